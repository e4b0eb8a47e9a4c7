/**
 * What the inspector keeps of the runtime's events: the newest `capacity` of them in a ring
 * (numbered, the oldest dropped first), each batch's states before it and what its reply
 * changed, and counts that outlive the ring, as they are bounded by the application's shape
 * rather than by its traffic: the graph of which function types message which and write to
 * which egresses, the message types seen per function type, and per address its events kept.
 */
import type { AddressRef } from "../../base/address";
import type { WireTypedValue } from "../../wire/codec";
import type { RuntimeEvent } from "../events";
import { addressKey } from "../mailboxes";
import { eventAddresses } from "./views";
import type { GraphEdge, GraphNode } from "./web/protocol";

/** An address's states when its batch began, by name (null: no value). */
export type StatesBefore = ReadonlyMap<string, WireTypedValue | null>;

/** One kept event. */
export interface Entry {
  readonly seq: number;
  readonly event: RuntimeEvent;
  /** Its JSON for the page, made when first sent. */
  json?: string;
}

/** A batch: its address, its states before (when recorded), and the states its reply changed. */
export interface BatchRecord {
  readonly address: AddressRef;
  readonly before?: StatesBefore;
  readonly changed: Map<string, WireTypedValue | null>;
}

/** The node id of an egress in the graph. */
function egressNode(id: string): string {
  return `egress:${id}`;
}

/** The node of the ingresses: every message from outside comes from it. */
const INGRESS_NODE = "ingress";

interface EdgeCount {
  readonly from: string;
  readonly to: string;
  readonly kind: GraphEdge["kind"];
  count: number;
  readonly topics: Set<string>;
}

export class Recorder {
  readonly #capacity: number;
  readonly #ring: Entry[] = [];
  /** Index in the ring of the oldest entry, once the ring is full. */
  #start = 0;
  #nextSeq = 1;
  readonly #batches = new Map<number, BatchRecord>();
  readonly #edges = new Map<string, EdgeCount>();
  readonly #seenTypes = new Map<string, Set<string>>();
  readonly #perAddress = new Map<string, { events: number; lastAt: number }>();
  readonly #listeners = new Set<() => void>();

  /** @param capacity - how many events to keep */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`the UI keeps a whole number of at least 1 events, not ${capacity}`);
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** The number of the newest event; 0 before the first. */
  get last(): number {
    return this.#nextSeq - 1;
  }

  /** The number of the oldest event kept. */
  get first(): number {
    return this.#nextSeq - this.#ring.length;
  }

  /**
   * Keeps an event.
   * @param before - for a batch's first delivery: the address's states as the batch began
   */
  record(event: RuntimeEvent, before?: StatesBefore): void {
    const entry: Entry = { seq: this.#nextSeq++, event };
    if (this.#ring.length < this.#capacity) this.#ring.push(entry);
    else {
      this.#forget(this.#ring[this.#start].event);
      this.#ring[this.#start] = entry;
      this.#start = (this.#start + 1) % this.#capacity;
    }
    for (const ref of eventAddresses(event)) {
      const key = addressKey(ref);
      const counts = this.#perAddress.get(key);
      if (counts === undefined) this.#perAddress.set(key, { events: 1, lastAt: event.at });
      else {
        counts.events++;
        counts.lastAt = event.at;
      }
    }
    this.#count(event, before);
    for (const listener of this.#listeners) listener();
  }

  /** The kept event with this number. */
  get(seq: number): Entry | undefined {
    if (seq < this.first || seq > this.last) return undefined;
    return this.#ring[(this.#start + seq - this.first) % this.#ring.length];
  }

  /** The kept events after number `seq`, oldest first, at most `max`. */
  after(seq: number, max: number): Entry[] {
    const out: Entry[] = [];
    for (let s = Math.max(seq + 1, this.first); s <= this.last && out.length < max; s++) out.push(this.get(s) as Entry);
    return out;
  }

  /** A batch, while it is among the newest `capacity` batches. */
  batch(id: number): BatchRecord | undefined {
    return this.#batches.get(id);
  }

  /** How many kept events are about an address, and when the last happened. */
  addressCounts(ref: AddressRef): { events: number; lastAt?: number } {
    const counts = this.#perAddress.get(addressKey(ref));
    return counts === undefined || counts.events === 0 ? { events: 0 } : counts;
  }

  /** The typenames of the messages delivered to a function type so far. */
  seenTypes(functionType: string): readonly string[] {
    return [...(this.#seenTypes.get(functionType) ?? [])];
  }

  /**
   * The graph of the traffic so far: the ingresses (once they sent something), the function
   * types and egresses given and those traffic reached, and the counted edges between them.
   */
  graph(functionTypes: readonly string[], egressIds: readonly string[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
    const nodes = new Map<string, GraphNode>();
    const node = (id: string): void => {
      if (nodes.has(id)) return;
      if (id === INGRESS_NODE) nodes.set(id, { id, kind: "ingress", label: "ingress" });
      else if (id.startsWith("egress:")) nodes.set(id, { id, kind: "egress", label: id.slice("egress:".length) });
      else nodes.set(id, { id, kind: "function", label: id });
    };
    for (const t of functionTypes) node(t);
    for (const id of egressIds) node(egressNode(id));
    const edges: GraphEdge[] = [];
    for (const e of this.#edges.values()) {
      node(e.from);
      node(e.to);
      edges.push({ from: e.from, to: e.to, kind: e.kind, count: e.count, ...(e.topics.size > 0 ? { topics: [...e.topics].sort() } : {}) });
    }
    return { nodes: [...nodes.values()], edges };
  }

  /** Calls `listener` after each event is kept; returns what unsubscribes it. */
  onRecord(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #count(event: RuntimeEvent, before: StatesBefore | undefined): void {
    switch (event.kind) {
      case "deliver": {
        if (!this.#batches.has(event.batch)) {
          this.#batches.set(event.batch, { address: event.to, ...(before !== undefined ? { before } : {}), changed: new Map() });
          // Batches are numbered in order: the first one kept is the oldest.
          if (this.#batches.size > this.#capacity) this.#batches.delete(this.#batches.keys().next().value as number);
        }
        let seen = this.#seenTypes.get(event.to.typename);
        if (seen === undefined) this.#seenTypes.set(event.to.typename, (seen = new Set()));
        seen.add(event.value.typename);
        if (event.from === null) this.#edge(INGRESS_NODE, event.to.typename, "ingress");
        break;
      }
      case "message":
        this.#edge(event.from.typename, event.to.typename, "message");
        break;
      case "delayed":
        this.#edge(event.from.typename, event.to.typename, "delayed");
        break;
      case "egress": {
        const r = event.record;
        const topic = r.kind === "kafka" || r.kind === "playground" ? r.topic : r.kind === "kinesis" ? r.stream : undefined;
        this.#edge(event.from.typename, egressNode(event.egress), "egress", topic);
        break;
      }
      case "state":
        this.#batches.get(event.batch)?.changed.set(event.name, event.value);
        break;
      default:
        break;
    }
  }

  #edge(from: string, to: string, kind: GraphEdge["kind"], topic?: string): void {
    const key = `${kind}\u0000${from}\u0000${to}`;
    let edge = this.#edges.get(key);
    if (edge === undefined) this.#edges.set(key, (edge = { from, to, kind, count: 0, topics: new Set() }));
    edge.count++;
    if (topic !== undefined) edge.topics.add(topic);
  }

  /** An event leaves the ring: its addresses have one event fewer kept. */
  #forget(event: RuntimeEvent): void {
    for (const ref of eventAddresses(event)) {
      const counts = this.#perAddress.get(addressKey(ref));
      if (counts !== undefined) counts.events--;
    }
  }
}
