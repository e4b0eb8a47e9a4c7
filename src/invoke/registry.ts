/**
 * The functions bound on a StateFun instance, by function type. Lookups by the request's
 * namespace and type go through a per-namespace index, so the request path neither builds
 * the `namespace/name` string nor hashes it.
 */
import { ConfigurationError } from "../base/errors";
import type { FunctionSpec } from "./function-spec";

/** The bound functions, read-only: what everything but `bind` sees. */
export interface FunctionLookup {
  /** The function bound to `namespace/name`, if any. */
  find(namespace: string, name: string): FunctionSpec | undefined;
  /** The function bound to a `namespace/name` typename, if any. */
  get(typename: string): FunctionSpec | undefined;
  /** The bound function types, in binding order. */
  readonly types: string[];
}

export class FunctionRegistry implements FunctionLookup {
  readonly #byTypename = new Map<string, FunctionSpec>();
  readonly #byNamespace = new Map<string, Map<string, FunctionSpec>>();

  /** @throws {@link ConfigurationError} when the type is already bound. */
  add(spec: FunctionSpec): void {
    if (this.#byTypename.has(spec.typename)) {
      throw new ConfigurationError(`bind(): function ${spec.typename} is already bound; bind each type once`);
    }
    this.#byTypename.set(spec.typename, spec);
    let names = this.#byNamespace.get(spec.namespace);
    if (names === undefined) this.#byNamespace.set(spec.namespace, (names = new Map()));
    names.set(spec.name, spec);
  }

  find(namespace: string, name: string): FunctionSpec | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  get(typename: string): FunctionSpec | undefined {
    return this.#byTypename.get(typename);
  }

  get types(): string[] {
    return [...this.#byTypename.keys()];
  }
}
