/**
 * Runs a batch: every invocation in order against one storage, each seeing the state the
 * previous one left, exactly as if a new batch began there (see storage.ts). A synchronous
 * function never waits on the event loop; a returned thenable is awaited before the next
 * invocation. Any failure aborts the whole batch.
 */
import { FunctionInvocationError } from "../base/errors";
import type { WireInvocationResponse, WireTypedValue } from "../wire/codec";
import type { RunnableBatch } from "./dispatch";
import { Effects } from "./effects";
import type { BatchSession } from "./function-spec";
import { AddressScopedStorage } from "./storage";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

function failure(batch: RunnableBatch, cause: unknown, where: string): FunctionInvocationError {
  return new FunctionInvocationError(batch.fn.typename, batch.self.id, cause, where);
}

function stage(i: number, n: number): string {
  return `invocation ${i + 1} of ${n}`;
}

/** Runs the batch and returns its response, or a promise of it when a function was async. */
export function runBatch(batch: RunnableBatch): WireInvocationResponse | Promise<WireInvocationResponse> {
  const storage = new AddressScopedStorage(batch.fn, batch.self, batch.stored);
  const session: BatchSession = { self: batch.self, storage: storage.proxy, effects: new Effects(), caller: null, context: undefined };
  return runFrom(batch, storage, session, 0);
}

/** Runs invocations `start`.. to the end; the promise-free path unless a function returns a thenable. */
function runFrom(
  batch: RunnableBatch,
  storage: AddressScopedStorage,
  session: BatchSession,
  start: number,
): WireInvocationResponse | Promise<WireInvocationResponse> {
  const { invocations } = batch;
  const runner = batch.fn.runner;
  const n = invocations.length;
  for (let i = start; i < n; i++) {
    if (i > 0) {
      try {
        storage.nextInvocation();
      } catch (e) {
        throw failure(batch, e, `encoding the state after ${stage(i - 1, n)}`);
      }
    }
    const invocation = invocations[i];
    session.caller = invocation.caller;
    let result: unknown;
    try {
      result = runner(session, invocation.argument as WireTypedValue);
    } catch (e) {
      throw failure(batch, e, stage(i, n));
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => runFrom(batch, storage, session, i + 1),
        (e: unknown) => {
          throw failure(batch, e, stage(i, n));
        },
      );
    }
  }
  try {
    return session.effects.response(storage.mutations());
  } catch (e) {
    throw failure(batch, e, "encoding the batch's state");
  }
}
