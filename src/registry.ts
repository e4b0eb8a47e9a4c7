/**
 * The functions bound on a StateFun instance, by function type. Lookups by the request's
 * namespace and type go through a per-namespace index, so the request path neither builds
 * the `namespace/name` string nor hashes it.
 */
import { ConfigurationError } from "./errors";
import type { FunctionSpec } from "./spec";

export class FunctionRegistry {
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

  /** The function bound to `namespace/name`, if any. */
  find(namespace: string, name: string): FunctionSpec | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  /** The function bound to a `namespace/name` typename, if any. */
  get(typename: string): FunctionSpec | undefined {
    return this.#byTypename.get(typename);
  }

  /** The bound function types, in binding order. */
  get types(): string[] {
    return [...this.#byTypename.keys()];
  }
}
