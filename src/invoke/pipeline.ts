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

/**
 * Told how each request ended, once it has been answered (metrics). Must not throw. The account
 * comes as arguments, not an object, so that reporting allocates nothing per request.
 * @param functionType - the target's function type (`namespace/name`); "" when the request named none
 * @param invocations - the invocations in the batch; 0 when the request was not usable
 * @param seconds - from the bytes in to the bytes out (or the error)
 */
export type BatchReporter = (functionType: string, invocations: number, outcome: BatchOutcome, seconds: number) => void;

function decode(body: Uint8Array): WireToFunction {
  if (!(body instanceof Uint8Array)) {
    throw new MalformedRequestError("the request body must be bytes (a Buffer or Uint8Array)");
  }
  try {
    return decodeToFunction(body);
  } catch (e) {
    throw new MalformedRequestError(
      `the request body (${body.length} bytes) is not a StateFun ToFunction message: ${(e as Error).message}`,
    );
  }
}

/** The reply bytes of a batch that ran, accounted for. */
function answer(response: WireInvocationResponse, functionType: string, invocations: number, started: number, report?: BatchReporter): Buffer {
  const bytes = encodeFromFunction({ invocationResult: response });
  report?.(functionType, invocations, "ok", seconds(started));
  return bytes;
}

function seconds(started: number): number {
  return (performance.now() - started) / 1000;
}

/** Accounts for a request that failed with `e`. */
function reportFailure(report: BatchReporter, e: unknown, invocations: number, started: number): void {
  if (e instanceof FunctionInvocationError) report(e.functionType, invocations, "failed", seconds(started));
  else if (e instanceof UnknownFunctionError) report(e.functionType, invocations, "unknown_function", seconds(started));
  else report(e instanceof MalformedRequestError ? (e.functionType ?? "") : "", invocations, "malformed", seconds(started));
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
      report?.(dispatched.functionType, 0, "incomplete", seconds(started));
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
        if (report !== undefined) reportFailure(report, e, n, started);
        throw e;
      },
    );
  } catch (e) {
    if (report !== undefined) reportFailure(report, e, invocations, started);
    throw e;
  }
}
