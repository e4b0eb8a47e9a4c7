/**
 * From what users pass to `bind` (or decorate with `@fn`) to the request path's validated
 * `FunctionSpec`: the typename, the states in either form, and the runner that calls the
 * user's function with a `Context` and a `Message`.
 */
import { parseTypeName } from "../base/address";
import { ConfigurationError } from "../base/errors";
import { describe } from "../base/text";
import { FunctionSpec, type FunctionRunner } from "../invoke/function-spec";
import { contextOf, type Context } from "./context";
import { messageOf, type Message } from "./message";
import { specsFromState, type FunctionOpts } from "./state";

type Call = (context: Context<object>, message: Message) => unknown;

/** Calls `call` once per invocation, with one context per batch. */
function runnerOf(call: Call): FunctionRunner {
  return (session) => {
    const context = contextOf(session);
    const self = session.self;
    return (argument) => call(context, messageOf(self, argument));
  };
}

/**
 * @param call - how to call the function (decorated methods are called with their instance)
 * @throws {@link ConfigurationError} with what is wrong and how to fix it.
 */
export function functionSpecOf(opts: FunctionOpts<never>, call?: Call): FunctionSpec {
  if (opts === null || typeof opts !== "object") {
    throw new ConfigurationError(`bind() takes { typename, fn, specs? }, got ${describe(opts)}`);
  }
  const { typename, fn, specs, state } = opts;
  let parts: { namespace: string; name: string };
  try {
    parts = parseTypeName(typename);
  } catch (e) {
    throw new ConfigurationError(`bind(): ${(e as Error).message}`);
  }
  if (typeof fn !== "function") {
    throw new ConfigurationError(`bind(): function ${typename} needs fn(context, message), got ${describe(fn)}`);
  }
  if (specs !== undefined && specs !== null && !Array.isArray(specs)) {
    throw new ConfigurationError(`bind(): function ${typename}: specs must be an array, got ${describe(specs)}`);
  }
  if (state !== undefined && state !== null && (typeof state !== "object" || Array.isArray(state))) {
    throw new ConfigurationError(`bind(): function ${typename}: state must be an object of { name: type }, got ${describe(state)}`);
  }
  if (state && specs) {
    throw new ConfigurationError(`bind(): function ${typename} gives both specs and state; declare its states one way`);
  }
  const states = state ? specsFromState(state) : (specs ?? []);
  return FunctionSpec.create({ typename, ...parts }, states, runnerOf(call ?? (fn as Call)));
}
