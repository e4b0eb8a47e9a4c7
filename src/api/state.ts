/**
 * How functions declare their states, and the `ctx.storage` types the compiler derives from the
 * declarations. (The request path's validated form of a declaration is `invoke/function-spec`.)
 */
import type { Type } from "../serde/type";
import { isType } from "../serde/type";
import type { Context, UntypedStorage } from "./context";
import type { Message } from "./message";

/** A state declaration: `{ name, type, expireAfterCall?, expireAfterWrite? }`. */
export interface ValueSpecOpts<N extends string = string, T = unknown> {
  /** The state's name: a letter or `_`, then letters, digits or `_` (the Java SDK's rule). */
  name: N;
  /** The state's type; its typename is registered with the cluster and cannot change later. */
  type: Type<T>;
  /** Time-to-live in ms, restarted by every invocation of the function for this address. */
  expireAfterCall?: number;
  /** Time-to-live in ms, restarted by every write of this state. */
  expireAfterWrite?: number;
}

/** The value type a state spec holds. */
export type ValueOf<S> = S extends ValueSpecOpts<string, infer T> ? T : never;

/** `ctx.storage` for a list of state specs: one property per state, null when it has no value. */
export type StorageOf<Specs extends readonly ValueSpecOpts[]> = {
  [S in Specs[number] as S["name"]]: ValueOf<S> | null;
};

/** A state in the record form of `state: { ... }`: its type, or its type with a TTL. */
export type StateDecl<T = unknown> =
  | Type<T>
  | {
      /** The state's type. */
      type: Type<T>;
      /** Time-to-live in ms, restarted by every invocation of the function for this address. */
      expireAfterCall?: number;
      /** Time-to-live in ms, restarted by every write of this state. */
      expireAfterWrite?: number;
    };

/** States by name: `{ visits: StateFun.intType(), cart: { type: CartType, expireAfterWrite: 3_600_000 } }`. */
export type StateDecls = { readonly [name: string]: StateDecl };

/** The value type a state declaration holds. */
export type DeclValue<D> = D extends Type<infer T> ? T : D extends { type: Type<infer T> } ? T : never;

/** `ctx.storage` for a record of state declarations: one property per state, null when it has no value. */
export type StorageOfState<S extends StateDecls> = { -readonly [K in keyof S]: DeclValue<S[K]> | null };

/** The record form as the list form `bind` also takes. */
export function specsFromState(state: StateDecls): ValueSpecOpts[] {
  return Object.entries(state).map(([name, decl]) =>
    decl !== null && typeof decl === "object" && "type" in decl && !isType(decl)
      ? { name, type: decl.type, ...(decl.expireAfterCall !== undefined ? { expireAfterCall: decl.expireAfterCall } : {}), ...(decl.expireAfterWrite !== undefined ? { expireAfterWrite: decl.expireAfterWrite } : {}) }
      : { name, type: decl as Type<unknown> },
  );
}

/** A stateful function: called once per message, in order, with the address's context. */
export type StatefulFunction<S extends object = UntypedStorage> = (
  context: Context<S>,
  message: Message,
) => unknown;

/** What `StateFun.bind` takes. */
export interface FunctionOpts<S extends object = UntypedStorage> {
  /** The function type, `namespace/name`. */
  typename: string;
  /** The function; may return a promise (or any thenable), which is awaited. */
  fn: StatefulFunction<S>;
  /** The states this function keeps per address. */
  specs?: readonly ValueSpecOpts[];
  /** The same in the record form, `{ name: type }` (give `specs` or `state`, not both). */
  state?: StateDecls;
}

/**
 * A function's handler of one message type: messages whose typename is `type`'s are decoded
 * with it and passed to `fn` as `value`.
 *
 * ```ts
 * const onAdd: MessageHandler<AddItem, CartStorage> = { type: AddItemType, fn: (ctx, add) => { ... } };
 * ```
 */
export interface MessageHandler<T, S extends object = UntypedStorage> {
  /** The message type it handles; one handler per typename. */
  readonly type: Type<T>;
  /** Called for each message of that type, with the decoded value; may return a promise. */
  readonly fn: (context: Context<S>, value: T, message: Message) => unknown;
}

/** One {@link MessageHandler} per message type: the `M[i]` are their value types, inferred from each `type`. */
export type MessageHandlers<S extends object, M extends readonly unknown[]> = { readonly [K in keyof M]: MessageHandler<M[K], S> };
