/**
 * `Type`: what every StateFun type is, built-in or user-defined: a typename shared across
 * languages and the codec between values and bytes.
 */
import { validateTypeName } from "../base/address";
import { SerializationError } from "../base/errors";
import { describe } from "../base/text";

/**
 * A StateFun type: a globally unique typename (`<namespace>/<name>`, shared across languages)
 * and the codec between values of `T` and bytes.
 */
export abstract class Type<T> {
  readonly #typename: string;

  /** @throws {@link InvalidArgumentError} when `typename` is not `<namespace>/<name>`. */
  protected constructor(typename: string) {
    validateTypeName(typename);
    this.#typename = typename;
  }

  /** The `<namespace>/<name>` that identifies values of this type on the wire. */
  get typename(): string {
    return this.#typename;
  }

  /** Encodes a value. */
  abstract serialize(value: T): Buffer;

  /** Decodes bytes previously produced by a `serialize` of the same typename (in any SDK). */
  abstract deserialize(bytes: Buffer): T;
}

/** A type's refusal of a value: what the value is, what is wrong with it, and what to do. */
export function encodeError(type: Type<unknown>, value: unknown, problem: string, hint: string): SerializationError {
  return new SerializationError(`${type.typename} cannot encode ${describe(value)}: ${problem}; ${hint}`);
}

/** Whether a value is a StateFun type (of this or any copy of the SDK: checked by shape). */
export function isType(value: unknown): value is Type<unknown> {
  const t = value as Type<unknown> | null | undefined;
  return (
    t !== null &&
    typeof t === "object" &&
    typeof t.typename === "string" &&
    typeof t.serialize === "function" &&
    typeof t.deserialize === "function"
  );
}
