/**
 * `@fn`: binding class methods as stateful functions with standard (TC39) decorators, as
 * TypeScript 5 compiles them without `experimentalDecorators`.
 *
 * Node 20 has no `Symbol.metadata`, so nothing is stored on the class: each decorated method
 * adds an initializer that records it for the instance being constructed, and
 * `sf.register(instance)` binds what was recorded, with `this` set to the instance.
 */
import { parseTypeName } from "../base/address";
import { ConfigurationError } from "../base/errors";
import { quote } from "../base/text";
import type { Context } from "./context";
import type { Message } from "./message";
import type { StateDecls, StorageOfState } from "./state";

/** Options of {@link fn}. */
export interface FnOptions<S extends StateDecls> {
  /** The function's states by name: `{ visits: StateFun.intType() }`; types `ctx.storage`. */
  state?: S;
}

/** A decorated method, as recorded for an instance. */
export interface DecoratedFunction {
  readonly typename: string;
  readonly state: StateDecls | undefined;
  readonly methodName: string;
  readonly method: (this: object, context: Context<never>, message: Message) => unknown;
}

const recorded = new WeakMap<object, DecoratedFunction[]>();

/** The method shape `@fn` accepts: a function of the context (typed by `state`) and the message. */
export type FunctionMethod<This, S extends StateDecls> = (this: This, context: Context<StorageOfState<S>>, message: Message) => unknown;

function legacyCall(context: unknown): boolean {
  return context === null || typeof context !== "object" || !("kind" in context) || !("addInitializer" in context);
}

/**
 * Marks a method as the stateful function bound to `typename`; bind an instance's marked
 * methods with `sf.register(instance)`.
 *
 * ```ts
 * class Greeting {
 *   @fn("example/person", { state: { visits: StateFun.intType() } })
 *   person(ctx: Context<{ visits: number | null }>, msg: Message) { ... }
 * }
 * sf.register(new Greeting());
 * ```
 *
 * These are standard decorators: with `experimentalDecorators` in tsconfig TypeScript calls
 * them the legacy way, which they detect and refuse with a ConfigurationError.
 * @throws {@link ConfigurationError} on a malformed typename, on anything but an instance
 *   method, and (at construction) when two methods of a class claim the same typename
 */
export function fn<const S extends StateDecls = Record<never, never>>(typename: string, options: FnOptions<S> = {}) {
  try {
    parseTypeName(typename);
  } catch (e) {
    throw new ConfigurationError(`@fn(${quote(typename)}): ${(e as Error).message}`);
  }
  return function <This extends object>(method: FunctionMethod<This, S>, context: ClassMethodDecoratorContext<This, FunctionMethod<This, S>>): void {
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
    const methodName = String(context.name);
    context.addInitializer(function (this: This) {
      let list = recorded.get(this);
      if (list === undefined) recorded.set(this, (list = []));
      const twin = list.find((d) => d.typename === typename);
      if (twin !== undefined) {
        throw new ConfigurationError(
          `@fn(${quote(typename)}) is on both ${twin.methodName} and ${methodName} of ${this.constructor.name}; ` +
            "each function type is bound to one method",
        );
      }
      list.push({ typename, state: options.state, methodName, method: method as unknown as DecoratedFunction["method"] });
    });
  };
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
