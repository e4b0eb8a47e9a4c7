/**
 * The request path as one straight line: bytes → decode → dispatch → run batch → collect
 * effects → encode → bytes. Every server and the local runtime call it.
 */
import { runBatch } from "./batch";
import { dispatch } from "./dispatch";
import { FunctionInvocationError, MalformedRequestError, UnknownFunctionError } from "./errors";
import type { FunctionRegistry } from "./registry";
import {
  decodeToFunction,
  encodeFromFunction,
  type WireInvocationResponse,
  type WireToFunction,
} from "./wire/codec";

/** How a request ended, as far as metrics care. */
export type BatchOutcome = "ok" | "incomplete" | "malformed" | "unknown_function" | "failed";

/** One request's account, given to a {@link BatchReporter} once it has been answered. */
export interface BatchReport {
  /** The target's function type (`namespace/name`); "" when the request named none. */
  readonly functionType: string;
  /** The invocations in the batch; 0 when the request was not usable. */
  readonly invocations: number;
  readonly outcome: BatchOutcome;
  /** From the bytes in to the bytes out (or the error), in seconds. */
  readonly seconds: number;
}

/** Receives a {@link BatchReport} per request (metrics). Must not throw. */
export type BatchReporter = (report: BatchReport) => void;

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
export function handleRequestBytes(
  body: Uint8Array,
  functions: FunctionRegistry,
  report?: BatchReporter,
): Buffer | Promise<Buffer> {
  if (report !== undefined) return handleReported(body, functions, report);
  const dispatched = dispatch(decode(body), functions);
  if (dispatched.kind === "incomplete") {
    return encodeFromFunction({ incompleteInvocationContext: { missingValues: dispatched.missing } });
  }
  const response = runBatch(dispatched);
  return response instanceof Promise ? response.then(encodeResult) : encodeResult(response);
}

function failureReport(e: unknown, invocations: number, started: number): BatchReport {
  const seconds = (performance.now() - started) / 1000;
  if (e instanceof FunctionInvocationError) return { functionType: e.functionType, invocations, outcome: "failed", seconds };
  if (e instanceof UnknownFunctionError) {
    return { functionType: e.functionType, invocations, outcome: "unknown_function", seconds };
  }
  const functionType = e instanceof MalformedRequestError ? (e.functionType ?? "") : "";
  return { functionType, invocations, outcome: "malformed", seconds };
}

/** {@link handleRequestBytes} that also accounts for the request. */
function handleReported(body: Uint8Array, functions: FunctionRegistry, report: BatchReporter): Buffer | Promise<Buffer> {
  const started = performance.now();
  let invocations = 0;
  try {
    const dispatched = dispatch(decode(body), functions);
    if (dispatched.kind === "incomplete") {
      const bytes = encodeFromFunction({ incompleteInvocationContext: { missingValues: dispatched.missing } });
      const seconds = (performance.now() - started) / 1000;
      report({ functionType: dispatched.functionType, invocations: 0, outcome: "incomplete", seconds });
      return bytes;
    }
    invocations = dispatched.invocations.length;
    const done = (response: WireInvocationResponse): Buffer => {
      const bytes = encodeResult(response);
      const seconds = (performance.now() - started) / 1000;
      report({ functionType: dispatched.fn.typename, invocations, outcome: "ok", seconds });
      return bytes;
    };
    const response = runBatch(dispatched);
    if (!(response instanceof Promise)) return done(response);
    return response.then(done, (e: unknown) => {
      report(failureReport(e, invocations, started));
      throw e;
    });
  } catch (e) {
    report(failureReport(e, invocations, started));
    throw e;
  }
}
