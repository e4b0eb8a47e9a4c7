/** Records for Kafka and Kinesis egresses: `kafkaEgressMessage` and `kinesisEgressMessage`. */
import { validateTypeName } from "../base/address";
import { InvalidArgumentError, serializationErrorIn } from "../base/errors";
import { describe, quote } from "../base/text";
import { INT32_MAX, INT32_MIN } from "../base/int32";
import type { Type } from "../serde/type";
import {
  encodeKafkaProducerRecord,
  encodeKinesisEgressRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  typedValue,
} from "../wire/codec";
import { egressMessageOf, type EgressMessage } from "./message";

/**
 * The bytes of an egress record's value: `valueType` when given; otherwise a string as UTF-8,
 * a safe integer as 4 big-endian bytes (as the official SDK does) and bytes as they are.
 */
function recordValueBytes<T>(value: T, valueType: Type<T> | undefined, what: string): Buffer {
  if (valueType !== undefined && valueType !== null) {
    try {
      return valueType.serialize(value);
    } catch (e) {
      throw serializationErrorIn(what, e);
    }
  }
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    if (value < INT32_MIN || value > INT32_MAX) {
      throw new InvalidArgumentError(
        `${what}: ${value} does not fit the 4-byte integer an untyped value becomes; pass a valueType`,
      );
    }
    const buf = Buffer.alloc(4);
    buf.writeInt32BE(value);
    return buf;
  }
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new InvalidArgumentError(
    `${what}: cannot infer how to encode ${describe(value)}; pass a valueType, or a string or Buffer value`,
  );
}

function required(value: unknown, field: string, what: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError(`${what}: ${field} must be a non-empty string, got ${describe(value)}`);
  }
}

/** Options of {@link kafkaEgressMessage}. */
export interface KafkaEgressOpts<T = unknown> {
  /** The egress's `namespace/name` as declared in module.yaml. */
  typename: string;
  /** The Kafka topic. */
  topic: string;
  /** The record key; left out or empty means no key. */
  key?: string;
  /** The record value. */
  value: NoInfer<T>;
  /** How to encode the value (see {@link kafkaEgressMessage} for the default). */
  valueType?: Type<T>;
}

/**
 * A record for a Kafka egress (`io.statefun.kafka.v1/egress`).
 * Without a `valueType`, a string value is sent as UTF-8, a safe integer as 4 big-endian bytes,
 * and a Buffer/Uint8Array as is.
 */
export function kafkaEgressMessage<T>({ typename, topic, key, value, valueType }: KafkaEgressOpts<T>): EgressMessage {
  const what = `a Kafka record for egress ${quote(typename)}`;
  required(typename, "typename", what);
  validateTypeName(typename);
  required(topic, "topic", what);
  if (value === undefined || value === null) throw new InvalidArgumentError(`${what}: value is missing`);
  const bytes = recordValueBytes(value, valueType, what);
  const record = encodeKafkaProducerRecord({ topic, valueBytes: bytes, ...(key ? { key } : {}) });
  return egressMessageOf(typename, typedValue(KAFKA_PRODUCER_RECORD_TYPENAME, record));
}

/** Options of {@link kinesisEgressMessage}. */
export interface KinesisEgressOpts<T = unknown> {
  /** The egress's `namespace/name` as declared in module.yaml. */
  typename: string;
  /** The Kinesis stream. */
  stream: string;
  /** The partition key (required). */
  partitionKey: string;
  /** An explicit hash key (optional). */
  hashKey?: string;
  /** The record value. */
  value: NoInfer<T>;
  /** How to encode the value (defaults as for {@link kafkaEgressMessage}). */
  valueType?: Type<T>;
}

/** A record for a Kinesis egress (`io.statefun.kinesis.v1/egress`). */
export function kinesisEgressMessage<T>({
  typename,
  stream,
  partitionKey,
  hashKey,
  value,
  valueType,
}: KinesisEgressOpts<T>): EgressMessage {
  const what = `a Kinesis record for egress ${quote(typename)}`;
  required(typename, "typename", what);
  validateTypeName(typename);
  required(stream, "stream", what);
  required(partitionKey, "partitionKey", what);
  if (value === undefined || value === null) throw new InvalidArgumentError(`${what}: value is missing`);
  const bytes = recordValueBytes(value, valueType, what);
  const record = encodeKinesisEgressRecord({
    partitionKey,
    valueBytes: bytes,
    stream,
    ...(hashKey ? { explicitHashKey: hashKey } : {}),
  });
  return egressMessageOf(typename, typedValue(KINESIS_EGRESS_RECORD_TYPENAME, record));
}
