/**
 * Turning the typed values the runtime carries into something a person or a test can read:
 * built-in types and egress records by their typename, a user type through its `Type` when
 * one is known, JSON when the bytes are JSON, hex otherwise.
 */
import { isUtf8 } from "node:buffer";
import { BOOL_TYPE, DOUBLE_TYPE, FLOAT_TYPE, INT_TYPE, LONG_TYPE, STRING_TYPE } from "../serde/primitives";
import type { Type } from "../serde/type";
import {
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  typedValueBytes,
  type WireTypedValue,
} from "../wire/codec";

/** The typename of a playground egress record: JSON `{"topic","payload"}`. */
export const PLAYGROUND_EGRESS_RECORD_TYPENAME = "io.statefun.playground/EgressRecord";
/** The id of the playground egress (fixed by the playground image). */
export const PLAYGROUND_EGRESS_ID = "io.statefun.playground/egress";

const BUILT_IN: ReadonlyMap<string, Type<unknown>> = new Map<string, Type<unknown>>(
  [
    BOOL_TYPE,
    INT_TYPE,
    LONG_TYPE,
    FLOAT_TYPE,
    DOUBLE_TYPE,
    STRING_TYPE,
  ].map((t) => [t.typename, t as Type<unknown>]),
);

/** The built-in type of a typename (`io.statefun.types/int`, ...), if it is one. */
export function builtInType(typename: string): Type<unknown> | undefined {
  return BUILT_IN.get(typename);
}

/** A Kafka egress record, decoded. */
export interface KafkaRecord {
  readonly kind: "kafka";
  readonly topic: string;
  /** The record key; "" means none. */
  readonly key: string;
  readonly value: Buffer;
}

/** A Kinesis egress record, decoded. */
export interface KinesisRecord {
  readonly kind: "kinesis";
  readonly stream: string;
  readonly partitionKey: string;
  readonly explicitHashKey: string;
  readonly value: Buffer;
}

/** A playground egress record. */
export interface PlaygroundRecord {
  readonly kind: "playground";
  readonly topic: string;
  readonly payload: string;
}

/** Any other egress value, as sent. */
export interface TypedRecord {
  readonly kind: "typed";
  readonly typename: string;
  readonly value: Buffer;
}

export type DecodedEgressRecord = KafkaRecord | KinesisRecord | PlaygroundRecord | TypedRecord;

/**
 * Decodes an egress value by its typename.
 * @throws Error when a record's bytes do not decode as their typename says
 */
export function decodeEgressRecord(value: WireTypedValue): DecodedEgressRecord {
  const bytes = typedValueBytes(value);
  switch (value.typename) {
    case KAFKA_PRODUCER_RECORD_TYPENAME: {
      const r = decodeKafkaProducerRecord(bytes);
      return { kind: "kafka", topic: r.topic, key: r.key, value: Buffer.from(r.valueBytes) };
    }
    case KINESIS_EGRESS_RECORD_TYPENAME: {
      const r = decodeKinesisEgressRecord(bytes);
      return { kind: "kinesis", stream: r.stream, partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, value: Buffer.from(r.valueBytes) };
    }
    case PLAYGROUND_EGRESS_RECORD_TYPENAME: {
      const parsed = JSON.parse(bytes.toString("utf8")) as { topic?: unknown; payload?: unknown };
      if (typeof parsed.topic !== "string" || typeof parsed.payload !== "string") {
        throw new Error(`a playground egress record must be JSON {"topic": string, "payload": string}, got ${bytes.toString("utf8")}`);
      }
      return { kind: "playground", topic: parsed.topic, payload: parsed.payload };
    }
    default:
      return { kind: "typed", typename: value.typename, value: Buffer.from(bytes) };
  }
}

/**
 * A value decoded as far as the runtime can: with `type` when given, a built-in type by its
 * typename, JSON for JSON bytes, else the raw bytes.
 */
export function decodeValue(value: WireTypedValue, type?: Type<unknown>): unknown {
  const bytes = typedValueBytes(value);
  const known = type?.typename === value.typename ? type : BUILT_IN.get(value.typename);
  if (known !== undefined) return known.deserialize(bytes);
  return jsonOrBytes(bytes);
}

function jsonOrBytes(bytes: Buffer): unknown {
  if (bytes.length > 0 && (bytes[0] === 0x7b || bytes[0] === 0x5b || bytes[0] === 0x22)) {
    try {
      return JSON.parse(bytes.toString("utf8")) as unknown;
    } catch {
      // not JSON after all
    }
  }
  return Buffer.from(bytes);
}

/** One short line for logs: `example/GreetRequest {"name":"Bob"}`, `io.statefun.types/int 3`. */
export function describeValue(value: WireTypedValue, type?: Type<unknown>): string {
  let decoded: unknown;
  try {
    decoded = decodeValue(value, type);
  } catch {
    decoded = Buffer.from(typedValueBytes(value));
  }
  return `${value.typename} ${render(decoded)}`;
}

/** Renders a decoded value in one line. */
export function render(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.length === 0 ? "(empty)" : `0x${value.toString("hex")}`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  return text === undefined ? String(value) : text;
}

/** One line for an egress record. */
export function describeEgressRecord(record: DecodedEgressRecord): string {
  switch (record.kind) {
    case "kafka":
      return `kafka topic ${record.topic}${record.key ? ` key ${JSON.stringify(record.key)}` : ""}: ${utf8OrHex(record.value)}`;
    case "kinesis":
      return `kinesis stream ${record.stream} partition ${JSON.stringify(record.partitionKey)}: ${utf8OrHex(record.value)}`;
    case "playground":
      return `topic ${record.topic}: ${JSON.stringify(record.payload)}`;
    case "typed":
      return `${record.typename} ${utf8OrHex(record.value)}`;
  }
}

/** The bytes as text when they are valid UTF-8. */
export function utf8Text(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString("utf8") : undefined;
}

function utf8OrHex(bytes: Buffer): string {
  const text = utf8Text(bytes);
  return text !== undefined && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? JSON.stringify(text) : `0x${bytes.toString("hex")}`;
}
