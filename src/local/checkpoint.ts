/**
 * Checkpoints, as the cluster takes them, and the same data as JSON for `--state-file`: the
 * states with their TTL clocks, every message not yet applied, the pending delayed messages,
 * and the egress output so far. Registrations are not part of it: after a restore every
 * function asks for its states again, as after a restart of the cluster.
 */
import type { AddressRef } from "../base/address";
import { typedValue, typedValueBytes, type WireTypedValue } from "../wire/codec";
import type { DeadLetter } from "./dead-letters";
import type { DelayedMessage } from "./delayed";
import type { EgressSnapshot } from "./egress";
import { addressKey, refOfKey, type MailboxSnapshot, type Pending } from "./mailboxes";
import type { StoreSnapshot, StoredValue } from "./store";

/** The runtime as of one moment. */
export interface Checkpoint {
  readonly at: number;
  readonly store: StoreSnapshot;
  readonly queues: MailboxSnapshot;
  readonly delayed: readonly DelayedMessage[];
  readonly egress: EgressSnapshot;
  /** How many ingress messages had arrived: those since are replayed after a restore. */
  readonly ingressCount: number;
}

/** A typed value in saved state: its typename and base64 bytes. */
export interface SavedValue {
  typename: string;
  value: string;
}

/** What `LocalRuntime.saveState` returns: plain JSON. */
export interface SavedRuntimeState {
  version: 1;
  savedAt: number;
  states: { address: AddressRef; name: string; value: SavedValue; writtenAt: number; accessedAt: number }[];
  queued: { to: AddressRef; caller: AddressRef | null; value: SavedValue }[];
  delayed: { from: AddressRef; to: AddressRef; due: number; token?: string; value: SavedValue }[];
  topics: Record<string, string[]>;
  /** Unread Kafka and Kinesis egress records, oldest first (absent in files saved before they were kept). */
  unread?: SavedUnreadRecord[];
  /** Invocations set aside by dead-lettering, oldest first. */
  deadLetters?: SavedDeadLetter[];
}

/** An unread Kafka or Kinesis egress record in saved state; `value` is base64. */
export type SavedUnreadRecord =
  | { kind: "kafka"; topic: string; key: string; value: string }
  | { kind: "kinesis"; stream: string; partitionKey: string; explicitHashKey: string; value: string };

/** A dead letter in saved state. */
export interface SavedDeadLetter {
  id: number;
  at: number;
  to: AddressRef;
  from: AddressRef | null;
  value: SavedValue;
  attempts: number;
  error: string;
  stack?: string;
}

function saved(v: WireTypedValue): SavedValue {
  return { typename: v.typename, value: typedValueBytes(v).toString("base64") };
}

function loaded(v: SavedValue): WireTypedValue {
  return typedValue(v.typename, Buffer.from(v.value, "base64"));
}

const withToken = (token: string | undefined): { token?: string } => (token !== undefined ? { token } : {});

/** A checkpoint as JSON-able data. */
export function saveCheckpoint(cp: Checkpoint, now: number): SavedRuntimeState {
  const states: SavedRuntimeState["states"] = [];
  for (const [key, values] of cp.store) {
    const address = refOfKey(key);
    for (const [name, v] of values) states.push({ address, name, value: saved(v.value), writtenAt: v.writtenAt, accessedAt: v.accessedAt });
  }
  return {
    version: 1,
    savedAt: now,
    states,
    queued: cp.queues.flatMap(({ ref, pending }) => pending.map((p) => ({ to: ref, caller: p.caller, value: saved(p.value) }))),
    delayed: cp.delayed.map((d) => ({ from: d.from, to: d.to, due: d.due, ...withToken(d.token), value: saved(d.value) })),
    topics: Object.fromEntries([...cp.egress.topics].map(([topic, payloads]) => [topic, [...payloads]])),
    unread: cp.egress.unread.map((r) => ({ ...r, value: r.value.toString("base64") })),
  };
}

/** Dead letters as JSON-able data. */
export function saveDeadLetters(letters: readonly DeadLetter[]): SavedDeadLetter[] {
  return letters.map((d) => ({ ...d, value: saved(d.value) }));
}

/** The dead letters saved data describes. */
export function loadDeadLetters(data: readonly SavedDeadLetter[]): DeadLetter[] {
  return data.map((d) => ({ ...d, value: loaded(d.value) }));
}

/**
 * The checkpoint saved data describes.
 * @param ingressCount - the runtime's ingress messages so far (none of them is replayed)
 * @throws Error for a version this runtime cannot read
 */
export function loadCheckpoint(data: SavedRuntimeState, now: number, ingressCount: number): Checkpoint {
  if (data.version !== 1) throw new Error(`saved runtime state version ${String(data.version)} is not supported (expected 1)`);
  const store = new Map<string, Map<string, StoredValue>>();
  for (const s of data.states) {
    const key = addressKey(s.address);
    if (!store.has(key)) store.set(key, new Map());
    store.get(key)?.set(s.name, { value: loaded(s.value), writtenAt: s.writtenAt, accessedAt: s.accessedAt });
  }
  const queues = new Map<string, { ref: AddressRef; pending: Pending[] }>();
  for (const q of data.queued) {
    const key = addressKey(q.to);
    if (!queues.has(key)) queues.set(key, { ref: q.to, pending: [] });
    queues.get(key)?.pending.push({ caller: q.caller, value: loaded(q.value) });
  }
  return {
    at: now,
    store,
    queues: [...queues.values()],
    delayed: data.delayed.map((d) => ({ from: d.from, to: d.to, due: d.due, ...withToken(d.token), value: loaded(d.value) })),
    egress: {
      records: new Map(),
      topics: new Map(Object.entries(data.topics)),
      unread: (data.unread ?? []).map((r) => ({ ...r, value: Buffer.from(r.value, "base64") })),
    },
    ingressCount,
  };
}
