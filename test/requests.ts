/**
 * Test helpers that play the cluster's part: build ToFunction requests, decode FromFunction
 * replies (through the SDK's own codec).
 */
import {
  decodeFromFunction,
  encodeToFunction,
  typedValue,
  type WireAddress,
  type WireFromFunction,
  type WireInvocationResponse,
  type WireTypedValue,
} from "../src/wire/codec";
import { parseTypeName } from "../src/base/address";
import type { Type } from "../src/serde/type";

export interface TestInvocation {
  caller?: WireAddress;
  argument: WireTypedValue;
}

export interface TestRequest {
  target: WireAddress;
  /** name → value; null means registered without a value. */
  state?: Record<string, WireTypedValue | null>;
  invocations: TestInvocation[];
}

export function tv<T>(type: Type<T>, value: T): WireTypedValue {
  return typedValue(type.typename, type.serialize(value));
}

export function addr(typename: string, id: string): WireAddress {
  const { namespace, name } = parseTypeName(typename);
  return { namespace, type: name, id };
}

export function request(r: TestRequest): Buffer {
  return encodeToFunction({
    invocation: {
      target: r.target,
      state: Object.entries(r.state ?? {}).map(([stateName, v]) => (v === null ? { stateName } : { stateName, stateValue: v })),
      invocations: r.invocations,
    },
  });
}

export function decodeReply(bytes: Uint8Array): WireFromFunction {
  return decodeFromFunction(bytes);
}

export function result(bytes: Uint8Array): WireInvocationResponse {
  const reply = decodeFromFunction(bytes);
  if (!reply.invocationResult) throw new Error(`expected an invocation result, got ${JSON.stringify(reply)}`);
  return reply.invocationResult;
}

export function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString("hex");
}
