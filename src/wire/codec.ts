/**
 * The wire codec: the one place that turns StateFun protocol bytes into objects and back.
 *
 * Message types come from a precompiled protobufjs root (`descriptor.json`, generated from
 * `protos/` by `npm run protos`). protobufjs compiles a specialised encoder/decoder per type on
 * first use, and the type handles are looked up once here, never per request.
 *
 * Encoding rule that keeps us byte-exact with the other SDKs: build objects with proto3
 * default values left out (protobufjs skips implicit-presence defaults, as google-protobuf does).
 */
import protobuf from "protobufjs";
import descriptor from "./descriptor.json";
import { decodeToFunction as decodeRequest, encodeFromFunction as encodeReply } from "./reqreply";

const root = protobuf.Root.fromJSON(descriptor);

function type(name: string): protobuf.Type {
  return root.lookupType(name);
}

/**
 * Writes every string as well-formed UTF-8. protobufjs writes a lone UTF-16 surrogate in a short
 * string as the invalid bytes `ED A0 80` (and as U+FFFD in a long one); protobuf-java rejects a
 * message holding invalid UTF-8, so one bad id would fail the whole reply. A lone surrogate
 * becomes U+FFFD, as Node's Buffer and TextEncoder do.
 */
class WellFormedWriter extends protobuf.BufferWriter {
  override string(value: string): protobuf.Writer {
    return super.string(value.isWellFormed() ? value : value.toWellFormed());
  }
}

/**
 * protobufjs' `finish()` copies the written bytes into a new buffer unless asked for a view
 * (`shared`); each writer here is used once, so the view is safe and saves an allocation and
 * a copy per encode. (BufferWriter's typings leave out the parameter it inherits.)
 */
const finishShared = protobuf.Writer.prototype.finish as (this: protobuf.Writer, shared: boolean) => Uint8Array;

/**
 * A protobufjs writer that writes strings as well-formed UTF-8, for users' protobufjs types:
 * protobufjs' own decoder rejects the bytes its writer makes of a lone surrogate, so such a
 * value would be stored in a form no later batch could read.
 */
export function wellFormedWriter(): protobuf.Writer {
  return new WellFormedWriter();
}

function encode(t: protobuf.Type, message: object): Buffer {
  return finishShared.call(t.encode(message as protobuf.Message, new WellFormedWriter()), true) as Buffer;
}

/** `io.statefun.sdk.reqreply.Address` */
export interface WireAddress {
  namespace: string;
  type: string;
  id: string;
}

/** `io.statefun.sdk.reqreply.TypedValue`. `value` is absent or empty for a default value. */
export interface WireTypedValue {
  typename: string;
  hasValue: boolean;
  value?: Buffer;
}

/** `ToFunction.PersistedValue`; `stateValue` is null when the state has no stored value. */
export interface WirePersistedValue {
  stateName: string;
  stateValue?: WireTypedValue | null;
}

/** `ToFunction.Invocation` */
export interface WireInvocation {
  caller?: WireAddress | null;
  argument?: WireTypedValue | null;
}

/** `ToFunction.InvocationBatchRequest` */
export interface WireInvocationBatchRequest {
  target?: WireAddress | null;
  state: WirePersistedValue[];
  invocations: WireInvocation[];
}

/** `ToFunction` */
export interface WireToFunction {
  invocation?: WireInvocationBatchRequest | null;
}

/** `FromFunction.PersistedValueMutation.MutationType` */
export const MutationType = { DELETE: 0, MODIFY: 1 } as const;

/** `FromFunction.ExpirationSpec.ExpireMode` */
export const ExpireMode = { NONE: 0, AFTER_WRITE: 1, AFTER_INVOKE: 2 } as const;

/** `FromFunction.PersistedValueMutation` (DELETE is the default and so left out). */
export interface WireStateMutation {
  mutationType?: number;
  stateName: string;
  stateValue?: WireTypedValue;
}

/** `FromFunction.Invocation` */
export interface WireOutgoingMessage {
  target: WireAddress;
  argument: WireTypedValue;
}

/** `FromFunction.DelayedInvocation` */
export interface WireDelayedInvocation {
  isCancellationRequest?: boolean;
  cancellationToken?: string;
  delayInMs?: number;
  target?: WireAddress;
  argument?: WireTypedValue;
}

/** `FromFunction.EgressMessage` */
export interface WireEgressMessage {
  egressNamespace: string;
  egressType: string;
  argument: WireTypedValue;
}

/** `FromFunction.InvocationResponse` */
export interface WireInvocationResponse {
  stateMutations: WireStateMutation[];
  outgoingMessages: WireOutgoingMessage[];
  delayedInvocations: WireDelayedInvocation[];
  outgoingEgresses: WireEgressMessage[];
}

/** `FromFunction.PersistedValueSpec` */
export interface WirePersistedValueSpec {
  stateName: string;
  typeTypename: string;
  expirationSpec?: { mode: number; expireAfterMillis: number };
}

/** `FromFunction` */
export interface WireFromFunction {
  invocationResult?: WireInvocationResponse | null;
  incompleteInvocationContext?: { missingValues: WirePersistedValueSpec[] } | null;
}

const ToFunction = type("io.statefun.sdk.reqreply.ToFunction");
const FromFunction = type("io.statefun.sdk.reqreply.FromFunction");

/**
 * Decodes a request body (the purpose-built codec of reqreply.ts: what protobufjs decodes,
 * faster). Throws an Error saying where the bytes stop being a ToFunction.
 */
export function decodeToFunction(bytes: Uint8Array): WireToFunction {
  return decodeRequest(bytes);
}

/** Encodes a reply body (reqreply.ts: protobufjs' bytes, faster). */
export function encodeFromFunction(message: WireFromFunction): Buffer {
  return encodeReply(message);
}

/** Encodes a request body (used by the local runtime and by tests that play the cluster). */
export function encodeToFunction(message: WireToFunction): Buffer {
  return encode(ToFunction, message);
}

/**
 * Decodes a reply body into plain objects with 64-bit fields as numbers (used by the local
 * runtime and by tests that play the cluster; not on the SDK's request path).
 */
export function decodeFromFunction(bytes: Uint8Array): WireFromFunction {
  return FromFunction.toObject(FromFunction.decode(bytes), { longs: Number, arrays: true }) as WireFromFunction;
}

/** A TypedValue for a present value; empty bytes are left out, as proto3 requires. */
export function typedValue(typename: string, bytes: Uint8Array): WireTypedValue {
  return bytes.length === 0
    ? { typename, hasValue: true }
    : { typename, hasValue: true, value: bytes as Buffer };
}

/**
 * The bytes a TypedValue carries (empty for a default value). An absent field decodes to
 * protobufjs' shared empty default, which is not a Buffer.
 */
export function typedValueBytes(value: WireTypedValue): Buffer {
  const bytes = value.value;
  return bytes !== undefined && bytes.length !== 0 ? bytes : EMPTY;
}

const EMPTY = Buffer.alloc(0);

/**
 * A codec for one single-field wrapper message (`io.statefun.sdk.types.*Wrapper`, field 1).
 * `encode` leaves the field out for a default value, so defaults encode to zero bytes.
 */
export interface WrapperCodec<W> {
  encode(value: W): Buffer;
  decode(bytes: Buffer): W;
}

function wrapper<W>(name: string, isDefault: (v: W) => boolean): WrapperCodec<W> {
  const t = type(`io.statefun.sdk.types.${name}`);
  return {
    encode: (value) =>
      isDefault(value) ? EMPTY : encode(t, { value }),
    decode: (bytes) => (t.decode(bytes) as unknown as { value: W }).value,
  };
}

/** A 64-bit value as protobufjs reads and writes it. */
export interface LongBits {
  low: number;
  high: number;
}

export const BooleanWrapper = wrapper<boolean>("BooleanWrapper", (v) => v === false);
export const IntWrapper = wrapper<number>("IntWrapper", (v) => v === 0);
export const LongWrapper = wrapper<LongBits>("LongWrapper", (v) => v.low === 0 && v.high === 0);
// -0 counts as the default too, as in the official JS SDK, so its bytes match ours.
export const FloatWrapper = wrapper<number>("FloatWrapper", (v) => v === 0);
export const DoubleWrapper = wrapper<number>("DoubleWrapper", (v) => v === 0);
export const StringWrapper = wrapper<string>("StringWrapper", (v) => v === "");

/** `io.statefun.sdk.egress.KafkaProducerRecord` */
export interface WireKafkaProducerRecord {
  key?: string;
  valueBytes?: Uint8Array;
  topic: string;
}

/** `io.statefun.sdk.egress.KinesisEgressRecord` */
export interface WireKinesisEgressRecord {
  partitionKey: string;
  valueBytes?: Uint8Array;
  stream: string;
  explicitHashKey?: string;
}

const KafkaProducerRecord = type("io.statefun.sdk.egress.KafkaProducerRecord");
const KinesisEgressRecord = type("io.statefun.sdk.egress.KinesisEgressRecord");

/** The typename a Kafka egress record travels under. */
export const KAFKA_PRODUCER_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";
/** The typename a Kinesis egress record travels under. */
export const KINESIS_EGRESS_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";

export function encodeKafkaProducerRecord(record: WireKafkaProducerRecord): Buffer {
  return encode(KafkaProducerRecord, record);
}

export function decodeKafkaProducerRecord(bytes: Uint8Array): Required<WireKafkaProducerRecord> {
  return KafkaProducerRecord.decode(bytes) as unknown as Required<WireKafkaProducerRecord>;
}

export function encodeKinesisEgressRecord(record: WireKinesisEgressRecord): Buffer {
  return encode(KinesisEgressRecord, record);
}

export function decodeKinesisEgressRecord(bytes: Uint8Array): Required<WireKinesisEgressRecord> {
  return KinesisEgressRecord.decode(bytes) as unknown as Required<WireKinesisEgressRecord>;
}
