/**
 * Comparing replies of the two SDKs: decoded (through our codec) and as raw bytes.
 */
import protobuf from "protobufjs";
import {
  decodeFromFunction,
  encodeFromFunction,
  type WireDelayedInvocation,
  type WireFromFunction,
} from "../../src/wire/codec";
import type { HttpOutcome, Program } from "./sdk";
import { OFFICIAL, OURS, callHandle } from "./sdk";

/** A JSON-like tree in which every byte string is replaced by `hex:<bytes>`. */
export type Normalized = null | boolean | number | string | Normalized[] | { [key: string]: Normalized };

/** Replaces Buffers/Uint8Arrays by their hex content, so replies compare by content. */
export function normalize(value: unknown): Normalized {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString("hex")}`;
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Normalized } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalize(v);
    return out;
  }
  if (value === undefined) return null;
  return value as Normalized;
}

/** A reply decoded with our codec, byte strings as hex. */
export function decodedReply(body: Uint8Array): Normalized {
  return normalize(decodeFromFunction(body));
}

/**
 * The reply re-encoded by our codec (protobufjs writes fields in field-number order, as
 * protobuf-java does). Equal to the input unless the input orders fields differently.
 */
export function canonicalBytes(body: Uint8Array): Buffer {
  return encodeFromFunction(decodeFromFunction(body));
}

/**
 * Whether a reply holds a delayed message with a cancellation token. The official SDK's
 * google-protobuf code writes DelayedInvocation fields in .proto declaration order
 * (is_cancellation_request = 10, cancellation_token = 11, then 1, 2, 3); ours writes them in
 * field-number order (1, 2, 3, 11). So exactly these replies differ in byte order.
 */
export function hasTokenedDelayedMessage(reply: WireFromFunction): boolean {
  const delayed: WireDelayedInvocation[] = reply.invocationResult?.delayedInvocations ?? [];
  return delayed.some((d) => !d.isCancellationRequest && !!d.cancellationToken);
}

/** Both SDKs' HTTP answers to the same request bytes. */
export interface BothOutcomes {
  ours: HttpOutcome;
  official: HttpOutcome;
}

/** Binds `program` on a fresh StateFun of each SDK and sends both the same bytes. */
export async function runBoth(program: Program, body: Uint8Array): Promise<BothOutcomes> {
  const ours = await callHandle(OURS.serve(program), body);
  const official = await callHandle(OFFICIAL.serve(program), body);
  return { ours, official };
}

/** The decoded reply of a 200 answer (throws with the status and body otherwise). */
export function replyOf(outcome: HttpOutcome): WireFromFunction {
  if (outcome.status !== 200) {
    throw new Error(`expected a 200 reply, got ${outcome.status}: ${outcome.body.toString("utf8")}`);
  }
  return decodeFromFunction(outcome.body);
}

/** The field numbers of a protobuf message's top-level fields, in the order they are written. */
export function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = protobuf.Reader.create(bytes);
  const out: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    out.push(tag >>> 3);
    reader.skipType(tag & 7);
  }
  return out;
}

/** The payloads of a message's length-delimited field `field` (e.g. the entries of a repeated message field). */
export function lengthDelimited(bytes: Uint8Array, field: number): Uint8Array[] {
  const reader = protobuf.Reader.create(bytes);
  const out: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) out.push(reader.bytes());
    else reader.skipType(tag & 7);
  }
  return out;
}

/** The field order of each DelayedInvocation in a FromFunction reply. */
export function delayedFieldOrders(body: Uint8Array): number[][] {
  const [response] = lengthDelimited(body, 100); // FromFunction.invocation_result
  return response === undefined ? [] : lengthDelimited(response, 3).map(fieldNumbers); // delayed_invocations
}
