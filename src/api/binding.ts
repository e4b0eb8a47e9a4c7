/**
 * From what users pass to `bind` (or decorate with `@fn`) to the request path's validated
 * `FunctionSpec`: the typename, the states in either form, and the runner that calls the
 * user's code with a `Context` and a `Message`: one function for every message, or one handler
 * per message type (with an optional function for the rest).
 */
import { parseTypeName } from "../base/address";
import { ConfigurationError, TypeMismatchError } from "../base/errors";
import { didYouMean } from "../base/suggest";
import { clip, describe, listOf, quote } from "../base/text";
import { FunctionSpec, type BatchSession, type FunctionRunner } from "../invoke/function-spec";
import { isType, type Type } from "../serde/type";
import { contextOf, type Context } from "./context";
import { messageOf, type Message } from "./message";
import { specsFromState, type StateDecls, type ValueSpecOpts } from "./state";

type Call = (context: Context<object>, message: Message) => unknown;
type HandlerCall = (context: Context<object>, value: unknown, message: Message) => unknown;

/** What `bind` and `register` hand over, in any of the forms `bind` takes. */
export interface Binding {
  readonly typename: string;
  /** The function for every message (or, with handlers, for messages no handler takes). */
  readonly fn?: unknown;
  readonly specs?: readonly ValueSpecOpts[] | null;
  readonly state?: StateDecls | null;
  readonly handlers?: readonly { readonly type: Type<unknown>; readonly fn: unknown }[] | null;
}

/** The batch's context, made on its first invocation. */
function contextIn(session: BatchSession): Context<object> {
  return (session.context ??= contextOf(session)) as Context<object>;
}

/** Calls `call` once per invocation, with one context per batch. */
function runnerOf(call: Call): FunctionRunner {
  return (session, argument) => call(contextIn(session), messageOf(session.self, argument));
}

/**
 * Calls the handler of each message's type with its decoded value; a message of another type
 * goes to `otherwise`, or fails naming the types the handlers take.
 */
function dispatchingRunnerOf(handlers: ReadonlyMap<string, { type: Type<unknown>; call: HandlerCall }>, otherwise: Call | undefined): FunctionRunner {
  const accepted = [...handlers.keys()];
  return (session, argument) => {
    const self = session.self;
    const context = contextIn(session);
    const message = messageOf(self, argument);
    const handler = handlers.get(argument.typename);
    if (handler === undefined) {
      if (otherwise !== undefined) return otherwise(context, message);
      throw new TypeMismatchError(
        `${self} got a message of type ${clip(argument.typename)}, which none of its handlers takes (they take ` +
          `${listOf(accepted)})${didYouMean(argument.typename, accepted, (t) => t)}; add a handler for it, or an fn ` +
          "for messages of other types",
      );
    }
    const value = message.as(handler.type);
    if (value === null) throw new TypeMismatchError(`${self} got a message of type ${handler.type.typename} that carries no value`);
    return handler.call(context, value, message);
  };
}

/**
 * The validated function spec of a binding.
 * @throws {@link ConfigurationError} with what is wrong and how to fix it.
 */
export function functionSpecOf(binding: Binding): FunctionSpec {
  if (binding === null || typeof binding !== "object") {
    throw new ConfigurationError(`bind() takes { typename, fn, specs? } or { typename, state?, handlers }, got ${describe(binding)}`);
  }
  const { typename, fn, specs, state, handlers } = binding;
  let parts: { namespace: string; name: string };
  try {
    parts = parseTypeName(typename);
  } catch (e) {
    throw new ConfigurationError(`bind(): ${(e as Error).message}`);
  }
  const dispatching = handlers !== undefined && handlers !== null;
  if (!dispatching && typeof fn !== "function") {
    throw new ConfigurationError(`bind(): function ${typename} needs fn(context, message), got ${describe(fn)}`);
  }
  if (dispatching && fn !== undefined && typeof fn !== "function") {
    throw new ConfigurationError(`bind(): function ${typename}: fn, for the messages no handler takes, must be fn(context, message), got ${describe(fn)}`);
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
  const otherwise = fn as Call | undefined;
  if (!dispatching) return FunctionSpec.create({ typename, ...parts }, states, runnerOf(fn as Call));
  const byType = handlersOf(typename, handlers, otherwise);
  const messageTypes = { handled: [...byType.values()].map((h) => h.type), others: otherwise !== undefined };
  return FunctionSpec.create({ typename, ...parts }, states, dispatchingRunnerOf(byType, otherwise), messageTypes);
}

/** The handlers by the typename they take. @throws {@link ConfigurationError} on a malformed or repeated one */
function handlersOf(typename: string, handlers: unknown, otherwise: Call | undefined): Map<string, { type: Type<unknown>; call: HandlerCall }> {
  if (!Array.isArray(handlers)) {
    throw new ConfigurationError(`bind(): function ${typename}: handlers must be an array of { type, fn }, got ${describe(handlers)}`);
  }
  if (handlers.length === 0 && otherwise === undefined) {
    throw new ConfigurationError(`bind(): function ${typename} has no handlers; give at least one { type, fn }, or fn(context, message)`);
  }
  const byTypename = new Map<string, { type: Type<unknown>; call: HandlerCall }>();
  handlers.forEach((handler: unknown, i) => {
    const { type, fn } = (handler ?? {}) as { type?: unknown; fn?: unknown };
    if (!isType(type) || typeof fn !== "function") {
      throw new ConfigurationError(`bind(): function ${typename}: handler ${i + 1} must be { type, fn(context, value, message) }, got ${describe(handler)}`);
    }
    if (byTypename.has(type.typename)) {
      throw new ConfigurationError(`bind(): function ${typename} has two handlers for ${quote(type.typename)}; give each message type one`);
    }
    byTypename.set(type.typename, { type, call: fn as HandlerCall });
  });
  return byTypename;
}
