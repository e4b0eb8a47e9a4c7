/**
 * The egresses functions may write to, as the cluster checks them: a record for an undeclared
 * egress, of the wrong kind, or for a playground topic the egress does not list fails the job.
 * Records are kept decoded per egress, and playground payloads queued per topic for
 * `GET :port/<topic>`.
 */
import { formatAddress, type AddressRef } from "../base/address";
import { JobFailedError } from "../base/errors";
import { quote } from "../base/text";
import { KAFKA_EGRESS, PLAYGROUND_EGRESS, type StateFunModule } from "../module";
import type { WireTypedValue } from "../wire/codec";
import { decodeEgressRecord, type DecodedEgressRecord } from "./values";

/** The kinds of egress the runtime can check records against. */
export type EgressKind = "kafka" | "kinesis" | "playground" | "generic";

/** An egress besides the module's: a bare id accepts any record; a kind has records checked. */
export type EgressOption = string | { id: string; kind: EgressKind; topics?: readonly string[] };

interface Declaration {
  readonly kind: EgressKind;
  readonly topics?: ReadonlySet<string>;
}

/** What a checkpoint keeps of the egresses: how many records each had, and the unread playground payloads. */
export interface EgressSnapshot {
  readonly records: ReadonlyMap<string, number>;
  readonly topics: ReadonlyMap<string, readonly string[]>;
}

const BUILDER: Record<Exclude<EgressKind, "generic">, string> = {
  kafka: "kafkaEgressMessage()",
  kinesis: "kinesisEgressMessage()",
  playground: "a JSON io.statefun.playground/EgressRecord {topic, payload}",
};

export class EgressSinks {
  readonly #declared = new Map<string, Declaration>();
  readonly #records = new Map<string, DecodedEgressRecord[]>();
  readonly #topics = new Map<string, string[]>();

  constructor(module: StateFunModule | undefined, options: readonly EgressOption[]) {
    for (const egress of module?.egresses ?? []) {
      if (egress.kind === PLAYGROUND_EGRESS) this.#declare(egress.id, "playground", egress.topics);
      else this.#declare(egress.id, egress.kind === KAFKA_EGRESS ? "kafka" : "kinesis");
    }
    for (const e of options) {
      if (typeof e === "string") this.#declare(e, "generic");
      else this.#declare(e.id, e.kind, e.topics);
    }
  }

  /**
   * Takes a record a function wrote, decoded.
   * @throws {@link JobFailedError} where the cluster would fail the job on it
   */
  write(from: AddressRef, id: string, value: WireTypedValue): DecodedEgressRecord {
    const declared = this.#declared.get(id);
    if (declared === undefined) {
      throw new JobFailedError(
        `${formatAddress(from)} wrote to egress ${id}, which is not declared (declared: ${[...this.#declared.keys()].join(", ") || "none"}); ` +
          "declare it in module.yaml or in the runtime's `egresses`: the cluster fails the job on an unknown egress",
      );
    }
    let record: DecodedEgressRecord;
    try {
      record = decodeEgressRecord(value);
    } catch (e) {
      throw new JobFailedError(`${formatAddress(from)} wrote to egress ${id} a record that does not decode: ${(e as Error).message}`);
    }
    if (declared.kind !== "generic" && record.kind !== declared.kind) {
      throw new JobFailedError(
        `${formatAddress(from)} wrote a ${value.typename} value to egress ${id}, a ${declared.kind} egress, which only takes ` +
          `${declared.kind} records (use ${BUILDER[declared.kind]})`,
      );
    }
    if (record.kind === "playground") {
      if (declared.topics !== undefined && !declared.topics.has(record.topic)) {
        throw new JobFailedError(
          `${formatAddress(from)} wrote to playground topic ${quote(record.topic)}, which the egress does not declare ` +
            `(topics: ${[...declared.topics].join(", ")}); the playground fails the job on an unknown topic`,
        );
      }
      let queue = this.#topics.get(record.topic);
      if (queue === undefined) this.#topics.set(record.topic, (queue = []));
      queue.push(record.payload);
    }
    let records = this.#records.get(id);
    if (records === undefined) this.#records.set(id, (records = []));
    records.push(record);
    return record;
  }

  /** Every record written to an egress so far. */
  records(id: string): DecodedEgressRecord[] {
    return [...(this.#records.get(id) ?? [])];
  }

  /** Takes the oldest unread payload of a playground topic. */
  takeFromTopic(topic: string): string | undefined {
    return this.#topics.get(topic)?.shift();
  }

  /** Whether a playground egress declares `topic`. */
  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  snapshot(): EgressSnapshot {
    return {
      records: new Map([...this.#records].map(([id, records]) => [id, records.length])),
      topics: new Map([...this.#topics].map(([topic, payloads]) => [topic, [...payloads]])),
    };
  }

  /** Back to a checkpoint: records written since are dropped (uncommitted), unread payloads as they were. */
  restore(snapshot: EgressSnapshot): void {
    for (const [id, records] of this.#records) records.length = snapshot.records.get(id) ?? 0;
    this.#topics.clear();
    for (const [topic, payloads] of snapshot.topics) this.#topics.set(topic, [...payloads]);
  }

  #declare(id: string, kind: EgressKind, topics?: readonly string[]): void {
    this.#declared.set(id, { kind, ...(topics ? { topics: new Set(topics) } : {}) });
    for (const topic of topics ?? []) this.#topics.set(topic, []);
  }
}
