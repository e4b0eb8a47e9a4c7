/**
 * The request path as one straight line: bytes → decode → dispatch → run batch → collect
 * effects → encode → bytes. Every server and the local runtime call it.
 */
import { runBatch } from "./batch";
import { dispatch, type FunctionRegistry } from "./dispatch";
import { MalformedRequestError } from "./errors";
import {
  decodeToFunction,
  encodeFromFunction,
  type WireInvocationResponse,
  type WireToFunction,
} from "./wire/codec";

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function decode(body: Uint8Array): WireToFunction {
  if (!(body instanceof Uint8Array)) {
    throw new MalformedRequestError("the request body must be bytes (a Buffer or Uint8Array)");
  }
  try {
    return decodeToFunction(asBuffer(body));
  } catch (e) {
    throw new MalformedRequestError(
      `the request body (${body.length} bytes) is not a StateFun ToFunction message: ${(e as Error).message}`,
    );
  }
}

function encodeResult(response: WireInvocationResponse): Buffer {
  return encodeFromFunction({ invocationResult: response });
}

/**
 * Handles one request body. Returns the reply bytes directly when every function ran
 * synchronously, otherwise a promise of them. Throws (or rejects with) a
 * MalformedRequestError, UnknownFunctionError or FunctionInvocationError.
 */
export function handleRequestBytes(body: Uint8Array, functions: FunctionRegistry): Buffer | Promise<Buffer> {
  const dispatched = dispatch(decode(body), functions);
  if (dispatched.kind === "incomplete") {
    return encodeFromFunction({ incompleteInvocationContext: { missingValues: dispatched.missing } });
  }
  const response = runBatch(dispatched);
  return response instanceof Promise ? response.then(encodeResult) : encodeResult(response);
}
