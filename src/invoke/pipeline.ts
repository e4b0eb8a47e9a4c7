/**
 * The request path as one straight line: bytes → decode → dispatch → run batch → collect
 * effects → encode → bytes. Every server and the local runtime go through `handleRequestBytes`;
 * an optional reporter is told how each request ended (metrics), on the same path.
 */
import { FunctionInvocationError, MalformedRequestError, UnknownFunctionError } from "../base/errors";
import { decodeToFunction, encodeFromFunction, type WireInvocationResponse, type WireToFunction } from "../wire/codec";
import { runBatch } from "./batch";
import { dispatch } from "./dispatch";
import type { FunctionLookup } from "./registry";

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

/** The reply bytes of a batch that ran, accounted for. */
function answer(response: WireInvocationResponse, functionType: string, invocations: number, started: number, report?: BatchReporter): Buffer {
  const bytes = encodeFromFunction({ invocationResult: response });
  report?.({ functionType, invocations, outcome: "ok", seconds: seconds(started) });
  return bytes;
}

function seconds(started: number): number {
  return (performance.now() - started) / 1000;
}

function failureReport(e: unknown, invocations: number, started: number): BatchReport {
  if (e instanceof FunctionInvocationError) return { functionType: e.functionType, invocations, outcome: "failed", seconds: seconds(started) };
  if (e instanceof UnknownFunctionError) {
    return { functionType: e.functionType, invocations, outcome: "unknown_function", seconds: seconds(started) };
  }
  const functionType = e instanceof MalformedRequestError ? (e.functionType ?? "") : "";
  return { functionType, invocations, outcome: "malformed", seconds: seconds(started) };
}

/**
 * Handles one request body. Returns the reply bytes directly when every function ran
 * synchronously, otherwise a promise of them. Throws (or rejects with) a
 * MalformedRequestError, UnknownFunctionError or FunctionInvocationError.
 * @param report - told how the request ended (nothing is measured without one)
 */
export function handleRequestBytes(body: Uint8Array, functions: FunctionLookup, report?: BatchReporter): Buffer | Promise<Buffer> {
  const started = report === undefined ? 0 : performance.now();
  let invocations = 0;
  try {
    const dispatched = dispatch(decode(body), functions);
    if (dispatched.kind === "incomplete") {
      const bytes = encodeFromFunction({ incompleteInvocationContext: { missingValues: dispatched.missing } });
      report?.({ functionType: dispatched.functionType, invocations: 0, outcome: "incomplete", seconds: seconds(started) });
      return bytes;
    }
    invocations = dispatched.invocations.length;
    const functionType = dispatched.fn.typename;
    const response = runBatch(dispatched);
    if (!(response instanceof Promise)) return answer(response, functionType, invocations, started, report);
    const n = invocations;
    return response.then(
      (done) => answer(done, functionType, n, started, report),
      (e: unknown) => {
        report?.(failureReport(e, n, started));
        throw e;
      },
    );
  } catch (e) {
    report?.(failureReport(e, invocations, started));
    throw e;
  }
}
