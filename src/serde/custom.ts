/** Custom types: a user's own serializer and deserializer under a typename. */
import { InvalidArgumentError } from "../base/errors";
import { quote } from "../base/text";
import { Type } from "./type";

/** A user type with its own serializer and deserializer. */
export class CustomType<T> extends Type<T> {
  readonly #serialize: (value: T) => Buffer;
  readonly #deserialize: (bytes: Buffer) => T;

  constructor(typename: string, serialize: (value: T) => Buffer, deserialize: (bytes: Buffer) => T) {
    super(typename);
    if (typeof serialize !== "function" || typeof deserialize !== "function") {
      throw new InvalidArgumentError(`customType(${quote(typename)}) needs a serialize and a deserialize function`);
    }
    this.#serialize = serialize;
    this.#deserialize = deserialize;
  }
  serialize(value: T): Buffer {
    return this.#serialize(value);
  }
  deserialize(bytes: Buffer): T {
    return this.#deserialize(bytes);
  }
}
