/**
 * Runs a batch: every invocation in order against one storage, each seeing the state the
 * previous one left, exactly as if a new batch began there (see storage.ts). A synchronous function never waits on the event loop; a returned thenable
 * is awaited before the next invocation. Any failure aborts the whole batch.
 */
import { Context, type CurrentInvocation } from "./context";
import type { RunnableBatch } from "./dispatch";
import { Effects } from "./effects";
import { FunctionInvocationError } from "./errors";
import { Message } from "./message";
import { AddressScopedStorage } from "./storage";
import type { WireInvocationResponse, WireTypedValue } from "./wire/codec";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

/** Runs the batch and returns its response, or a promise of it when a function was async. */
export function runBatch(batch: RunnableBatch): WireInvocationResponse | Promise<WireInvocationResponse> {
  const { fn, self, invocations } = batch;
  const storage = new AddressScopedStorage(fn, self, batch.stored);
  const effects = new Effects();
  const current: CurrentInvocation = { caller: null };
  const context = new Context(self, storage.proxy, effects, current);
  const call = fn.fn as (context: Context<object>, message: Message) => unknown;
  const fail = (cause: unknown, stage: string): FunctionInvocationError =>
    new FunctionInvocationError(fn.typename, self.id, cause, stage);
  const stage = (i: number): string => `invocation ${i + 1} of ${invocations.length}`;

  const finish = (): WireInvocationResponse => {
    try {
      return effects.response(storage.mutations());
    } catch (e) {
      throw fail(e, "encoding the batch's state");
    }
  };

  const runFrom = (start: number): WireInvocationResponse | Promise<WireInvocationResponse> => {
    for (let i = start; i < invocations.length; i++) {
      if (i > 0) {
        try {
          storage.nextInvocation();
        } catch (e) {
          throw fail(e, `encoding the state after ${stage(i - 1)}`);
        }
      }
      const invocation = invocations[i];
      current.caller = invocation.caller;
      let result: unknown;
      try {
        result = call(context, new Message(self, invocation.argument as WireTypedValue));
      } catch (e) {
        throw fail(e, stage(i));
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => runFrom(i + 1),
          (e: unknown) => {
            throw fail(e, stage(i));
          },
        );
      }
    }
    return finish();
  };

  return runFrom(0);
}
