/**
 * The egresses functions may write to, as the cluster checks them: a record for an undeclared
 * egress, of the wrong kind, or for a playground topic the egress does not list fails the job.
 * Records are kept decoded per egress, and playground payloads queued per topic for
 * `GET :port/<topic>`.
 */
import { formatAddress, type AddressRef } from "../base/address";
import { JobFailedError } from "../base/errors";
import { didYouMean } from "../base/suggest";
import { listOf, quote } from "../base/text";
import { KAFKA_EGRESS, PLAYGROUND_EGRESS, type StateFunModule } from "../module";
import type { WireTypedValue } from "../wire/codec";
import { decodeEgressRecord, type DecodedEgressRecord, type KafkaRecord, type KinesisRecord } from "./values";

/** The kinds of egress the runtime can check records against. */
export type EgressKind = "kafka" | "kinesis" | "playground" | "generic";

/** An egress functions may write to (see `LocalRuntime.egresses`). */
export interface EgressInspection {
  readonly id: string;
  readonly kind: EgressKind;
  /** The topics a playground egress declares. */
  readonly topics?: readonly string[];
  /** How many records it has been written so far. */
  readonly records: number;
}

/** An egress besides the module's: a bare id accepts any record; a kind has records checked. */
export type EgressOption = string | { id: string; kind: EgressKind; topics?: readonly string[] };

interface Declaration {
  readonly kind: EgressKind;
  readonly topics?: ReadonlySet<string>;
}

/** A record that waits to be read from its topic or stream (`GET /kafka/<topic>`, `GET /kinesis/<stream>`). */
export type UnreadRecord = KafkaRecord | KinesisRecord;

/**
 * What a checkpoint keeps of the egresses: how many records each had, the unread playground
 * payloads, and the unread Kafka and Kinesis records (oldest first within a topic or stream).
 */
export interface EgressSnapshot {
  readonly records: ReadonlyMap<string, number>;
  readonly topics: ReadonlyMap<string, readonly string[]>;
  readonly unread: readonly UnreadRecord[];
}

const BUILDER: Record<Exclude<EgressKind, "generic">, string> = {
  kafka: "kafkaEgressMessage()",
  kinesis: "kinesisEgressMessage()",
  playground: "a JSON io.statefun.playground/EgressRecord {topic, payload}",
};

/** A Kafka topic's or Kinesis stream's queue of unread records, as a map key. */
function unreadKey(kind: UnreadRecord["kind"], name: string): string {
  return `${kind}\u0000${name}`;
}

function unreadKeyOf(record: UnreadRecord): string {
  return unreadKey(record.kind, record.kind === "kafka" ? record.topic : record.stream);
}

function queueOf<T>(queues: Map<string, T[]>, key: string): T[] {
  let queue = queues.get(key);
  if (queue === undefined) queues.set(key, (queue = []));
  return queue;
}

export class EgressSinks {
  readonly #declared = new Map<string, Declaration>();
  readonly #records = new Map<string, DecodedEgressRecord[]>();
  readonly #topics = new Map<string, string[]>();
  readonly #unread = new Map<string, UnreadRecord[]>();

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
   * Checks a record a function wrote and decodes it, writing nothing yet (see {@link append}).
   * @throws {@link JobFailedError} where the cluster would fail the job on it
   */
  check(from: AddressRef, id: string, value: WireTypedValue): DecodedEgressRecord {
    const declared = this.#declared.get(id);
    if (declared === undefined) {
      const ids = [...this.#declared.keys()];
      throw new JobFailedError(
        `${formatAddress(from)} wrote to egress ${id}, which is not declared (declared: ${listOf(ids)})${didYouMean(id, ids, (i) => i)}; ` +
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
    }
    return record;
  }

  /** Writes a record {@link check} accepted; playground, Kafka and Kinesis records also wait to be read. */
  append(id: string, record: DecodedEgressRecord): void {
    if (record.kind === "playground") queueOf(this.#topics, record.topic).push(record.payload);
    else if (record.kind === "kafka" || record.kind === "kinesis") queueOf(this.#unread, unreadKeyOf(record)).push(record);
    queueOf(this.#records, id).push(record);
  }

  /** Every record written to an egress so far. */
  records(id: string): DecodedEgressRecord[] {
    return [...(this.#records.get(id) ?? [])];
  }

  /** Every declared egress, in the order declared, with how many records it has been written. */
  declared(): EgressInspection[] {
    return [...this.#declared].map(([id, d]) => ({
      id,
      kind: d.kind,
      ...(d.topics !== undefined ? { topics: [...d.topics] } : {}),
      records: this.#records.get(id)?.length ?? 0,
    }));
  }

  /** Takes the oldest unread payload of a playground topic. */
  takeFromTopic(topic: string): string | undefined {
    return this.#topics.get(topic)?.shift();
  }

  /** Whether a playground egress declares `topic`. */
  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Takes the oldest unread record of a Kafka topic or a Kinesis stream, of any egress. */
  takeRecord<K extends UnreadRecord["kind"]>(kind: K, name: string): Extract<UnreadRecord, { kind: K }> | undefined {
    return this.#unread.get(unreadKey(kind, name))?.shift() as Extract<UnreadRecord, { kind: K }> | undefined;
  }

  snapshot(): EgressSnapshot {
    return {
      records: new Map([...this.#records].map(([id, records]) => [id, records.length])),
      topics: new Map([...this.#topics].map(([topic, payloads]) => [topic, [...payloads]])),
      unread: [...this.#unread.values()].flat(),
    };
  }

  /** Back to a checkpoint: records written since are dropped (uncommitted), unread records and payloads as they were. */
  restore(snapshot: EgressSnapshot): void {
    for (const [id, records] of this.#records) records.length = snapshot.records.get(id) ?? 0;
    this.#topics.clear();
    for (const [topic, payloads] of snapshot.topics) this.#topics.set(topic, [...payloads]);
    this.#unread.clear();
    for (const record of snapshot.unread) queueOf(this.#unread, unreadKeyOf(record)).push(record);
  }

  #declare(id: string, kind: EgressKind, topics?: readonly string[]): void {
    this.#declared.set(id, { kind, ...(topics ? { topics: new Set(topics) } : {}) });
    for (const topic of topics ?? []) this.#topics.set(topic, []);
  }
}
