import { parseTypeName, validateStateTypeName } from "./address";
import { describe } from "./text";
import type { Context } from "./context";
import { ConfigurationError } from "./errors";
import type { Message } from "./message";
import { createStorageHandler, type StorageHandler } from "./storage";
import type { Type } from "./types";
import { ExpireMode, type WirePersistedValueSpec } from "./wire/codec";

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

/**
 * `ctx.storage` when the compiler does not know the function's states: a function declared as
 * `fn(context: Context, message: Message)`, as code written for `apache-flink-statefun` is.
 * Its properties are `any`, exactly as the official SDK types the whole of `storage`, so such
 * code compiles unchanged after switching the import. This is the one deliberate `any` of the
 * public API; pass specs to `bind` inline (or write `Context<{ visits: number | null }>`) to get
 * checked state types.
 */
export type UntypedStorage = Record<string, any>;

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

const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A validated state declaration. */
export class ValueSpec {
  /** The spec the cluster is asked to register when this state is missing from a request. */
  readonly wireSpec: WirePersistedValueSpec;
  /**
   * Whether the last batch that only read this state had edited it in place: a hint that makes
   * the storage encode such a value at its first read (see storage.ts). It decides only how the
   * storage finds an edit, never what it finds.
   */
  editedInPlace = false;

  private constructor(
    readonly name: string,
    readonly type: Type<unknown>,
    readonly expireAfterCall: number | undefined,
    readonly expireAfterWrite: number | undefined,
  ) {
    const ttl =
      expireAfterWrite !== undefined
        ? { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: expireAfterWrite }
        : expireAfterCall !== undefined
          ? { mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: expireAfterCall }
          : undefined;
    this.wireSpec = { stateName: name, typeTypename: type.typename, ...(ttl ? { expirationSpec: ttl } : {}) };
  }

  /** @throws {@link ConfigurationError} naming the function and the state. */
  static fromOpts(opts: ValueSpecOpts, functionType: string): ValueSpec {
    const where = `function ${functionType}`;
    if (opts === null || typeof opts !== "object") {
      throw new ConfigurationError(`${where}: a state spec must be { name, type }, got ${describe(opts)}`);
    }
    const { name, type, expireAfterCall, expireAfterWrite } = opts;
    if (typeof name !== "string" || !STATE_NAME.test(name)) {
      throw new ConfigurationError(
        `${where}: state name ${describe(name)} is invalid; use a letter or "_" followed by letters, digits ` +
          `or "_" (e.g. "visits", "cart_v2")`,
      );
    }
    if (!isType(type)) {
      throw new ConfigurationError(
        `${where}: state "${name}" needs a type such as StateFun.intType(), got ${describe(type)}`,
      );
    }
    validateStateTypeName(type.typename, `${where}, state "${name}"`);
    const ttl = (value: number | undefined, field: string): number | undefined => {
      if (value === undefined || value === null) return undefined;
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new ConfigurationError(
          `${where}: state "${name}" ${field} must be a positive whole number of milliseconds, got ${describe(value)}`,
        );
      }
      return value;
    };
    const afterCall = ttl(expireAfterCall, "expireAfterCall");
    const afterWrite = ttl(expireAfterWrite, "expireAfterWrite");
    if (afterCall !== undefined && afterWrite !== undefined) {
      throw new ConfigurationError(
        `${where}: state "${name}" sets both expireAfterCall and expireAfterWrite; a state has one TTL mode`,
      );
    }
    return new ValueSpec(name, type, afterCall, afterWrite);
  }
}

function isType(value: unknown): value is Type<unknown> {
  const t = value as Type<unknown> | null | undefined;
  return (
    t !== null &&
    typeof t === "object" &&
    typeof t.typename === "string" &&
    typeof t.serialize === "function" &&
    typeof t.deserialize === "function"
  );
}

/** A validated, bound function: what the dispatcher looks up by function type. */
export class FunctionSpec {
  /** Index of each state in `valueSpecs`, by name. */
  readonly stateIndex: ReadonlyMap<string, number>;
  /** The `ctx.storage` proxy handler shared by every batch of this function. */
  readonly storageHandler: StorageHandler;

  private constructor(
    /** The function type, `namespace/name`. */
    readonly typename: string,
    /** The function type's namespace. */
    readonly namespace: string,
    /** The function type's name. */
    readonly name: string,
    readonly fn: StatefulFunction<never>,
    readonly valueSpecs: readonly ValueSpec[],
  ) {
    this.stateIndex = new Map(valueSpecs.map((spec, i) => [spec.name, i]));
    this.storageHandler = createStorageHandler(this);
  }

  /** @throws {@link ConfigurationError} with what is wrong and how to fix it. */
  static fromOpts(opts: FunctionOpts<never>): FunctionSpec {
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
    const valueSpecs = (state ? specsFromState(state) : (specs ?? [])).map((s) => ValueSpec.fromOpts(s, typename));
    const seen = new Set<string>();
    for (const spec of valueSpecs) {
      if (seen.has(spec.name)) {
        throw new ConfigurationError(`bind(): function ${typename} declares state "${spec.name}" twice`);
      }
      seen.add(spec.name);
    }
    return new FunctionSpec(typename, parts.namespace, parts.name, fn, valueSpecs);
  }
}
