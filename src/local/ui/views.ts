/**
 * The runtime's values, records, states and events as the page reads them (web/protocol.ts):
 * each value decoded with the type a function declares for it when there is one (a protobuf
 * message then reads as JSON), a built-in value by its typename, JSON bytes as JSON, text as
 * text, anything else as base64.
 */
import { isUtf8 } from "node:buffer";
import type { AddressRef } from "../../base/address";
import { clip } from "../../base/text";
import { JsonType } from "../../serde/json";
import { ProtobufType } from "../../serde/protobuf";
import type { Type } from "../../serde/type";
import { typedValueBytes, type WireTypedValue } from "../../wire/codec";
import type { DeadLetter } from "../dead-letters";
import { formatEvent, type RuntimeEvent } from "../events";
import type { FunctionInspection, StateInspection } from "../inspection";
import { builtInType, render, type DecodedEgressRecord } from "../values";
import type { AddressJson, DeadLetterView, EventView, Json, RecordView, StateView, TypeOption, ValueKind, ValueView } from "./web/protocol";

/** How long a value's one-line text gets. */
const TEXT_CHARS = 400;
/** How deep a decoded value is followed (a protobuf message can nest without end in principle). */
const MAX_DEPTH = 64;

/** The types the bound functions declare, to decode values with: their states', and their handlers' by typename. */
export class TypeIndex {
  readonly #byTypename = new Map<string, Type<unknown>>();
  readonly #states = new Map<string, Type<unknown>>();

  constructor(functions: readonly FunctionInspection[]) {
    for (const f of functions) {
      for (const type of f.messageTypes) this.#byTypename.set(type.typename, type);
      for (const s of f.states) {
        if (s.type === undefined) continue;
        this.#states.set(`${f.typename}\u0000${s.name}`, s.type);
        if (!this.#byTypename.has(s.type.typename)) this.#byTypename.set(s.type.typename, s.type);
      }
    }
  }

  /** A declared type of this typename. */
  type(typename: string): Type<unknown> | undefined {
    return this.#byTypename.get(typename);
  }

  /** The declared type of a function's state. */
  state(functionType: string, name: string): Type<unknown> | undefined {
    return this.#states.get(`${functionType}\u0000${name}`);
  }

  /** Every declared type. */
  get all(): IterableIterator<Type<unknown>> {
    return this.#byTypename.values();
  }
}

/** How a type's values are sent and shown. */
export function typeKind(type: Type<unknown>): TypeOption["kind"] {
  if (builtInType(type.typename) !== undefined) return "builtin";
  if (type instanceof JsonType) return "json";
  if (type instanceof ProtobufType) return "protobuf";
  return "custom";
}

/**
 * A decoded value as JSON: bigints as digit strings, non-finite numbers as their names, bytes
 * as base64, protobufjs messages through their `toJSON`, google-protobuf ones through `toObject`.
 */
function toJson(value: unknown, depth = 0): Json {
  if (depth > MAX_DEPTH) return "…";
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "object": {
      if (value === null) return null;
      if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
      if (Array.isArray(value)) return value.map((v) => toJson(v, depth + 1));
      const o = value as { toJSON?: unknown; toObject?: unknown };
      if (typeof o.toJSON === "function") return toJson((o.toJSON as () => unknown).call(value), depth + 1);
      if (typeof o.toObject === "function") return toJson((o.toObject as () => unknown).call(value), depth + 1);
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== "function") out[k] = toJson(v, depth + 1);
      return out;
    }
    default:
      return null;
  }
}

/** Bytes that decode as nothing declared: JSON when they parse, text when printable UTF-8, else base64. */
function rawView(typename: string, bytes: Buffer, limit: number, error?: string): ValueView {
  const base = { typename, size: bytes.length, ...(error !== undefined ? { error } : {}) };
  const text = isUtf8(bytes) ? bytes.toString("utf8") : undefined;
  if (text !== undefined && text.length > 0) {
    try {
      const json = JSON.parse(text) as Json;
      return withJson({ ...base, kind: "json" }, json, render(json), limit);
    } catch {
      // not JSON: text, if it reads as text
    }
    if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return withJson({ ...base, kind: "text" }, text, JSON.stringify(text), limit);
  }
  const hex = bytes.length === 0 ? "(empty)" : `0x${bytes.toString("hex")}`;
  return { ...base, kind: "bytes", text: clip(hex, TEXT_CHARS), base64: bytes.toString("base64") };
}

/**
 * The view with its JSON, and its one line (clipped); the JSON left out (`truncated`) when the
 * line is longer than `limit` characters.
 */
function withJson(view: Omit<ValueView, "text" | "json">, json: Json, line: string, limit: number): ValueView {
  const text = clip(line, TEXT_CHARS);
  if (line.length > limit) return { ...view, text, truncated: true };
  return { ...view, text, json };
}

/**
 * A typed value decoded for the page.
 * @param type - the type a function declares for it, if any
 * @param limit - the longest JSON (in characters) to carry; a longer one is left out (`truncated`)
 */
export function valueView(value: WireTypedValue, type: Type<unknown> | undefined, limit = Infinity): ValueView {
  const bytes = typedValueBytes(value);
  const declared = type?.typename === value.typename ? type : builtInType(value.typename);
  if (declared === undefined) return rawView(value.typename, bytes, limit);
  let decoded: unknown;
  try {
    decoded = declared.deserialize(bytes);
  } catch (e) {
    return rawView(value.typename, bytes, limit, (e as Error).message);
  }
  const kind: ValueKind = typeKind(declared);
  const json = toJson(decoded);
  return withJson({ typename: value.typename, kind, size: bytes.length }, json, kind === "builtin" ? render(decoded) : render(json), limit);
}

/** Payload bytes of an egress record (no typename of their own). */
function payloadView(bytes: Buffer, limit: number): ValueView {
  return rawView("", bytes, limit);
}

/** An egress record for the page. */
export function recordView(record: DecodedEgressRecord, limit = Infinity): RecordView {
  switch (record.kind) {
    case "kafka":
      return { kind: "kafka", topic: record.topic, ...(record.key !== "" ? { key: record.key } : {}), value: payloadView(record.value, limit) };
    case "kinesis":
      return {
        kind: "kinesis",
        topic: record.stream,
        key: record.partitionKey,
        ...(record.explicitHashKey !== "" ? { explicitHashKey: record.explicitHashKey } : {}),
        value: payloadView(record.value, limit),
      };
    case "playground":
      return { kind: "playground", topic: record.topic, value: payloadView(Buffer.from(record.payload, "utf8"), limit) };
    case "typed":
      return { kind: "typed", value: rawView(record.typename, record.value, limit) };
  }
}

export function addressJson(a: AddressRef): AddressJson {
  return { typename: a.typename, id: a.id };
}

/** An address's state for the page, decoded with its function's declared type. */
export function stateView(functionType: string, state: Pick<StateInspection, "name" | "typename" | "value" | "expiresAt">, types: TypeIndex): StateView {
  return {
    name: state.name,
    typename: state.typename,
    value: state.value === null ? null : valueView(state.value, types.state(functionType, state.name)),
    ...(state.expiresAt !== undefined ? { expiresAt: state.expiresAt } : {}),
  };
}

export function deadLetterView(d: DeadLetter, types: TypeIndex): DeadLetterView {
  return {
    id: d.id,
    at: d.at,
    to: addressJson(d.to),
    from: d.from === null ? null : addressJson(d.from),
    value: valueView(d.value, types.type(d.value.typename)),
    attempts: d.attempts,
    error: d.error,
    ...(d.stack !== undefined ? { stack: d.stack } : {}),
  };
}

/** The addresses an event is about: where it happened first, then the other end. */
export function eventAddresses(e: RuntimeEvent): AddressRef[] {
  switch (e.kind) {
    case "ingress":
    case "retry":
    case "fault":
    case "dead-letter-retry":
    case "dead-letter-discard":
      return [e.to];
    case "deliver":
    case "dead-letter":
      return e.from === null ? [e.to] : [e.to, e.from];
    case "message":
    case "delayed":
      return [e.from, e.to];
    case "cancel":
    case "egress":
      return [e.from];
    case "state":
      return [e.address];
    case "register":
    case "restore":
    case "failure":
      return [];
  }
}

/**
 * An event for the page: its line, where it happened, its value decoded.
 * @param limit - the longest JSON of a value to carry (see {@link valueView})
 */
export function eventView(seq: number, e: RuntimeEvent, types: TypeIndex, limit = Infinity): EventView {
  const text = formatEvent(e).replace(/^\[[^\]]*\] /, "");
  const base = { seq, at: e.at, kind: e.kind, text };
  const message = (value: WireTypedValue): ValueView => valueView(value, types.type(value.typename), limit);
  switch (e.kind) {
    case "ingress":
      return { ...base, address: addressJson(e.to), from: null, value: message(e.value), detail: {} };
    case "deliver":
      return { ...base, batch: e.batch, address: addressJson(e.to), from: e.from && addressJson(e.from), value: message(e.value), detail: {} };
    case "register":
      return { ...base, batch: e.batch, detail: { functionType: e.functionType, states: [...e.states] } };
    case "message":
      return { ...base, batch: e.batch, address: addressJson(e.from), to: addressJson(e.to), value: message(e.value), detail: {} };
    case "delayed":
      return {
        ...base,
        batch: e.batch,
        address: addressJson(e.from),
        to: addressJson(e.to),
        value: message(e.value),
        detail: { dueAt: e.dueAt, ...(e.token !== undefined ? { token: e.token } : {}) },
      };
    case "cancel":
      return { ...base, batch: e.batch, address: addressJson(e.from), detail: { token: e.token, cancelled: e.cancelled } };
    case "egress":
      return { ...base, batch: e.batch, address: addressJson(e.from), record: recordView(e.record, limit), detail: { egress: e.egress } };
    case "state":
      return {
        ...base,
        batch: e.batch,
        address: addressJson(e.address),
        value: e.value === null ? null : valueView(e.value, types.state(e.address.typename, e.name), limit),
        detail: { name: e.name },
      };
    case "retry":
      return { ...base, batch: e.batch, address: addressJson(e.to), detail: { attempt: e.attempt, reason: e.reason, backoffMs: e.backoffMs } };
    case "fault":
      return { ...base, batch: e.batch, address: addressJson(e.to), detail: { fault: e.fault } };
    case "restore":
      return { ...base, detail: { checkpointAt: e.checkpointAt, replayed: e.replayed } };
    case "failure":
      return { ...base, detail: { reason: e.reason } };
    case "dead-letter":
      return {
        ...base,
        address: addressJson(e.to),
        from: e.from && addressJson(e.from),
        value: message(e.value),
        detail: { id: e.id, attempts: e.attempts, error: e.error, ...(e.stack !== undefined ? { stack: e.stack } : {}) },
      };
    case "dead-letter-retry":
    case "dead-letter-discard":
      return { ...base, address: addressJson(e.to), detail: { id: e.id } };
  }
}
