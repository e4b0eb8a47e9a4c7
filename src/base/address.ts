/**
 * Addresses and typenames: the one address model (`Address`, and `AddressRef`, the plain
 * `{ typename, id }` view of it), its one formatter, and its conversions from and to the wire.
 */
import { ConfigurationError, InvalidArgumentError } from "./errors";
import { clip, describe, quote } from "./text";

/** An address as plain data: a function type (`namespace/name`) and an id. An {@link Address} is one. */
export interface AddressRef {
  readonly typename: string;
  readonly id: string;
}

/** An address as the wire carries it (`io.statefun.sdk.reqreply.Address`). */
export interface WireAddressParts {
  namespace: string;
  type: string;
  id: string;
}

/** `example/person("Bob")`, for logs and error messages; long parts are cut (see `clip`). */
export function formatAddress(a: AddressRef): string {
  return `${clip(a.typename)}(${quote(a.id)})`;
}

/** The wire form of an address. */
export function toWire(a: AddressRef): WireAddressParts {
  if (a instanceof Address) return { namespace: a.namespace, type: a.name, id: a.id };
  const slash = a.typename.lastIndexOf("/");
  return { namespace: a.typename.slice(0, slash), type: a.typename.slice(slash + 1), id: a.id };
}

/** The address a wire `Address` names, as plain data. */
export function refFromWire(w: WireAddressParts): AddressRef {
  return { typename: `${w.namespace}/${w.type}`, id: w.id };
}

/**
 * Splits a `<namespace>/<name>` typename at its last `/`, as every StateFun SDK does.
 * @throws {@link InvalidArgumentError} when either part is empty.
 */
export function parseTypeName(typename: string): { readonly namespace: string; readonly name: string } {
  const known = parsed.get(typename);
  if (known !== undefined) return known;
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
  const parts = Object.freeze({ namespace: typename.substring(0, slash), name: typename.substring(slash + 1) });
  // A program sends to a handful of typenames over and over; the bound keeps odd ones from piling up.
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(typename, parts);
  return parts;
}

/** Typenames parsed so far (every send parses its target's). */
const parsed = new Map<string, { readonly namespace: string; readonly name: string }>();
const PARSED_MAX = 1024;

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

  /** The address a wire `Address` names. */
  static fromWire(w: WireAddressParts): Address {
    return new Address(w.namespace, w.type, w.id, `${w.namespace}/${w.type}`);
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

  /** `example/person("Bob")`, for logs and error messages. */
  toString(): string {
    return formatAddress(this);
  }
}
