import { ConfigurationError, InvalidArgumentError } from "./errors";
import { clip, describe, quote } from "./text";

/**
 * Splits a `<namespace>/<name>` typename at its last `/`, as every StateFun SDK does.
 * @throws {@link InvalidArgumentError} when either part is empty.
 */
export function parseTypeName(typename: string): { namespace: string; name: string } {
  if (typeof typename !== "string" || typename.length === 0) {
    throw new InvalidArgumentError(
      `a typename must be a non-empty string of the form <namespace>/<name>, got ${describe(typename)}`,
    );
  }
  const slash = typename.lastIndexOf("/");
  if (slash <= 0 || slash === typename.length - 1) {
    throw new InvalidArgumentError(
      `typename ${quote(typename)} must be of the form <namespace>/<name>, e.g. "example/greeter"`,
    );
  }
  return { namespace: typename.substring(0, slash), name: typename.substring(slash + 1) };
}

/** Throws unless `typename` has the form `<namespace>/<name>`. */
export function validateTypeName(typename: string): void {
  parseTypeName(typename);
}

/**
 * Throws unless `typename` has exactly one `/`, which the cluster requires of a state's type
 * (it fails the job otherwise).
 */
export function validateStateTypeName(typename: string, where: string): void {
  const slash = typename.indexOf("/");
  if (slash <= 0 || slash === typename.length - 1 || typename.indexOf("/", slash + 1) !== -1) {
    throw new ConfigurationError(
      `${where}: the state type's typename ${quote(typename)} must contain exactly one "/" ` +
        `(<namespace>/<name>); the cluster rejects any other form`,
    );
  }
}

/** A Stateful Function's address: its function type (`namespace/name`) and its id. */
export class Address {
  /**
   * @param namespace - the function type's namespace
   * @param name - the function type's name
   * @param id - the id of this instance of the function
   * @param typename - `namespace/name`
   */
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly id: string,
    readonly typename: string,
  ) {}

  /** An address from its three parts. */
  static fromParts(namespace: string, name: string, id: string): Address {
    return new Address(namespace, name, id, `${namespace}/${name}`);
  }

  /**
   * An address from a `namespace/name` typename and an id.
   * @throws {@link InvalidArgumentError} when the typename is malformed or the id is empty.
   */
  static fromTypeNameId(typename: string, id: string): Address {
    if (typeof id !== "string" || id.length === 0) {
      throw new InvalidArgumentError(
        `the id of an address of ${quote(typename)} must be a non-empty string, got ${describe(id)}`,
      );
    }
    const { namespace, name } = parseTypeName(typename);
    return new Address(namespace, name, id, typename);
  }

  /** `namespace/name/id`-style rendering for logs and error messages: `example/person("Bob")`. */
  toString(): string {
    return `${clip(this.typename)}(${quote(this.id)})`;
  }
}
