/**
 * `@fn`: binding class methods as stateful functions with standard (TC39) decorators, as
 * TypeScript 5 compiles them without `experimentalDecorators`.
 *
 * Node 20 has no `Symbol.metadata`, so nothing is stored on the class: each decorated method
 * adds an initializer that records it for the instance being constructed, and
 * `sf.register(instance)` binds what was recorded, with `this` set to the instance. Several
 * methods may make up one function type, each handling one message type (`handles`), with at
 * most one plain method for the messages of other types.
 */
import { parseTypeName } from "../base/address";
import { ConfigurationError } from "../base/errors";
import { quote } from "../base/text";
import type { Type } from "../serde/type";
import type { Context } from "./context";
import type { Message } from "./message";
import { specsFromState, type StateDecls, type StorageOfState } from "./state";

/** Options of {@link fn}. */
export interface FnOptions<S extends StateDecls, T = unknown> {
  /**
   * The function's states by name: `{ visits: StateFun.intType() }`; types `ctx.storage`. The
   * methods of one function type declare the same states (or leave them to another method).
   */
  state?: S;
  /**
   * The message type this method handles: it is called with each message of that type, its
   * value decoded (`(ctx, value: T, message)`). Other methods may handle other types of the
   * same function; a method without `handles` takes the messages none of them takes.
   */
  handles?: Type<T>;
}

/** A decorated method, as recorded for an instance. */
export interface DecoratedMethod {
  readonly methodName: string;
  /** The message type it handles; undefined for a plain `(ctx, message)` method. */
  readonly handles: Type<unknown> | undefined;
  /** Called as `(ctx, message)`, or `(ctx, value, message)` when it handles a type. */
  readonly method: (this: object, context: Context<object>, ...args: unknown[]) => unknown;
}

/** A function type made of decorated methods, as recorded for an instance (methods join as the instance is constructed). */
export interface DecoratedFunction {
  readonly typename: string;
  state: StateDecls | undefined;
  readonly methods: DecoratedMethod[];
}

const recorded = new WeakMap<object, DecoratedFunction[]>();

/** The method shape `@fn` accepts: a function of the context (typed by `state`) and the message. */
export type FunctionMethod<This, S extends StateDecls> = (this: This, context: Context<StorageOfState<S>>, message: Message) => unknown;

/** The method shape `@fn(typename, { handles: type })` accepts: the context, the message's decoded value and the message. */
export type HandlerMethod<This, S extends StateDecls, T> = (this: This, context: Context<StorageOfState<S>>, value: T, message: Message) => unknown;

function legacyCall(context: unknown): boolean {
  return context === null || typeof context !== "object" || !("kind" in context) || !("addInitializer" in context);
}

/**
 * Marks a method as the stateful function bound to `typename`, or, with `handles`, as its
 * handler of one message type; bind an instance's marked methods with `sf.register(instance)`.
 *
 * ```ts
 * class Greeting {
 *   @fn("example/person", { state: { visits: StateFun.intType() } })
 *   person(ctx: Context<{ visits: number | null }>, msg: Message) { ... }
 *
 *   @fn("example/cart", { state: cartState, handles: AddItemType })
 *   add(ctx: Context<StorageOfState<typeof cartState>>, add: AddItem) { ... }
 *   @fn("example/cart", { state: cartState, handles: CheckoutType })
 *   checkout(ctx: Context<StorageOfState<typeof cartState>>, checkout: Checkout) { ... }
 * }
 * sf.register(new Greeting());
 * ```
 *
 * These are standard decorators: with `experimentalDecorators` in tsconfig TypeScript calls
 * them the legacy way, which they detect and refuse with a ConfigurationError.
 * @throws {@link ConfigurationError} on a malformed typename, on anything but an instance
 *   method, and (at construction) when two methods of a class take the same messages of one
 *   function type (two plain methods, or two handling one message type) or declare different states
 */
export function fn<const S extends StateDecls = Record<never, never>, T = unknown>(
  typename: string,
  options: FnOptions<S, T> & { handles: Type<T> },
): <This extends object>(method: HandlerMethod<This, S, T>, context: ClassMethodDecoratorContext<This, HandlerMethod<This, S, T>>) => void;
export function fn<const S extends StateDecls = Record<never, never>>(
  typename: string,
  options?: FnOptions<S, never>,
): <This extends object>(method: FunctionMethod<This, S>, context: ClassMethodDecoratorContext<This, FunctionMethod<This, S>>) => void;
export function fn(typename: string, options: FnOptions<StateDecls> = {}) {
  try {
    parseTypeName(typename);
  } catch (e) {
    throw new ConfigurationError(`@fn(${quote(typename)}): ${(e as Error).message}`);
  }
  return function (method: DecoratedMethod["method"], context: ClassMethodDecoratorContext): void {
    if (legacyCall(context)) {
      throw new ConfigurationError(
        `@fn(${quote(typename)}) was applied as a legacy decorator: statefun-ts decorators are standard (TC39) ` +
          "decorators; remove experimentalDecorators from tsconfig (TypeScript 5 compiles standard decorators without it), " +
          "or bind the function with sf.bind()",
      );
    }
    const kind: string = context.kind;
    if (kind !== "method") {
      throw new ConfigurationError(`@fn(${quote(typename)}) is on the ${kind} ${String(context.name)}; it goes on instance methods`);
    }
    if (context.static) {
      throw new ConfigurationError(
        `@fn(${quote(typename)}) is on the static method ${String(context.name)}; it goes on instance methods, bound with sf.register(instance)`,
      );
    }
    const decorated: DecoratedMethod = { methodName: String(context.name), handles: options.handles, method };
    context.addInitializer(function (this: unknown) {
      const instance = this as object;
      let list = recorded.get(instance);
      if (list === undefined) recorded.set(instance, (list = []));
      const fellow = list.find((d) => d.typename === typename);
      if (fellow === undefined) {
        list.push({ typename, state: options.state, methods: [decorated] });
        return;
      }
      join(fellow, decorated, options.state, instance.constructor.name);
    });
  };
}

/**
 * Adds a method to the function type other methods of the class already make up.
 * @throws {@link ConfigurationError} when it takes the same messages as one of them, or declares other states
 */
function join(fellow: DecoratedFunction, decorated: DecoratedMethod, state: StateDecls | undefined, className: string): void {
  const where = `@fn(${quote(fellow.typename)})`;
  const twin = fellow.methods.find((m) => m.handles?.typename === decorated.handles?.typename);
  if (twin !== undefined) {
    const what = decorated.handles === undefined ? "" : ` handling ${quote(decorated.handles.typename)}`;
    throw new ConfigurationError(
      `${where}${what} is on both ${twin.methodName} and ${decorated.methodName} of ${className}; ` +
        (decorated.handles === undefined
          ? "each function type is bound to one method (or to one per message type it handles, with at most one for the others)"
          : "each message type of a function is handled by one method"),
    );
  }
  if (state !== undefined && fellow.state !== undefined && !sameStates(state, fellow.state)) {
    const other = fellow.methods.map((m) => m.methodName).join(", ");
    throw new ConfigurationError(
      `${where} declares other states on ${decorated.methodName} than on ${other} of ${className}; the methods of one ` +
        "function type declare the same states (declare them once in a const and pass it to each)",
    );
  }
  fellow.state ??= state;
  fellow.methods.push(decorated);
}

/** Whether two state declarations declare the same states: names, typenames and TTLs. */
function sameStates(a: StateDecls, b: StateDecls): boolean {
  if (a === b) return true;
  const key = (decls: StateDecls): string =>
    JSON.stringify(
      specsFromState(decls)
        .map((s) => [s.name, s.type.typename, s.expireAfterCall ?? null, s.expireAfterWrite ?? null])
        .sort(),
    );
  return key(a) === key(b);
}

/**
 * The methods of `instance` marked with {@link fn}.
 * @throws {@link ConfigurationError} when there are none
 */
export function decoratedFunctions(instance: object): readonly DecoratedFunction[] {
  const list = instance !== null && typeof instance === "object" ? recorded.get(instance) : undefined;
  if (list === undefined || list.length === 0) {
    const name = instance !== null && typeof instance === "object" ? instance.constructor.name : String(instance);
    throw new ConfigurationError(
      `register(): ${name} has no methods decorated with @fn(typename); decorate them, or bind functions with sf.bind()`,
    );
  }
  return list;
}
