/**
 * The built-in types (`io.statefun.types/*`), one table: each row is a typename, the wrapper
 * message that carries it on the wire, and the rule that turns a JavaScript value into what its
 * bytes decode to (or refuses it).
 */
import {
  BooleanWrapper,
  DoubleWrapper,
  FloatWrapper,
  IntWrapper,
  LongWrapper,
  StringWrapper,
  type LongBits,
  type WrapperCodec,
} from "../wire/codec";
import { INT32_MAX, INT32_MIN } from "../base/int32";
import { encodeError, Type } from "./type";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** One built-in type: its wire wrapper and how values map onto it. */
export interface Primitive<T, W> {
  readonly typename: string;
  readonly wrapper: WrapperCodec<W>;
  /**
   * The value as a decoding of its bytes gives it.
   * @throws SerializationError (see `refuse`) when the type cannot hold it
   */
  normalize(value: unknown, type: Type<unknown>): T;
  toWire(value: T): W;
  fromWire(wire: W): T;
}

const same = <T>(v: T): T => v;

/** Throws the type's refusal of a value. */
function refuse(type: Type<unknown>, value: unknown, problem: string, hint: string): never {
  throw encodeError(type, value, problem, hint);
}

function notA(what: string, type: Type<unknown>, value: unknown): never {
  return refuse(type, value, `not a ${what}`, what === "boolean" ? "store true or false" : "convert it, or use a type that matches the value");
}

/**
 * A built-in type of immutable values. `normalize` validates a value and returns exactly what
 * decoding its bytes would give (a float rounded to 32 bits, -0 as 0, a long as a bigint, a
 * string well-formed), without encoding it: a state write fails at the assignment and reads
 * back as the cluster would deliver it, while the bytes are produced once, at the end of the batch.
 */
export class PrimitiveType<T, W = T> extends Type<T> {
  readonly #row: Primitive<T, W>;

  /** One instance per row of the table below. */
  constructor(row: Primitive<T, W>) {
    super(row.typename);
    this.#row = row;
  }

  /**
   * The value as a decoding of its bytes would give it.
   * @throws {@link SerializationError} when this type cannot hold `value`.
   */
  normalize(value: unknown): T {
    return this.#row.normalize(value, this);
  }

  serialize(value: T): Buffer {
    const row = this.#row;
    return row.wrapper.encode(row.toWire(this.normalize(value)));
  }

  deserialize(bytes: Buffer): T {
    const row = this.#row;
    return row.fromWire(row.wrapper.decode(bytes));
  }
}

/** `io.statefun.types/bool` */
export const BOOL_TYPE = new PrimitiveType<boolean>({
  typename: "io.statefun.types/bool",
  wrapper: BooleanWrapper,
  normalize: (value, type) => (typeof value === "boolean" ? value : notA("boolean", type, value)),
  toWire: same,
  fromWire: same,
});

/** `io.statefun.types/int`: a 32-bit signed integer (sfixed32). */
export const INT_TYPE = new PrimitiveType<number>({
  typename: "io.statefun.types/int",
  wrapper: IntWrapper,
  normalize(value, type) {
    if (typeof value !== "number") return notA("number", type, value);
    if (!Number.isInteger(value)) return refuse(type, value, "not an integer", "use StateFun.doubleType() for fractional numbers");
    if (value < INT32_MIN || value > INT32_MAX) {
      return refuse(type, value, `outside the 32-bit range ${INT32_MIN}..${INT32_MAX}`, "use StateFun.longType() for larger integers");
    }
    return value | 0; // -0 is the default value, which encodes as empty and decodes as 0
  },
  toWire: same,
  fromWire: same,
});

/**
 * `io.statefun.types/long`: a 64-bit signed integer (sfixed64), as Java's `long` and Python's
 * `int` state. Decodes to a `bigint`; encodes a `bigint` or a safe-integer `number`.
 */
export const LONG_TYPE = new PrimitiveType<bigint, LongBits>({
  typename: "io.statefun.types/long",
  wrapper: LongWrapper,
  normalize(value, type) {
    if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) return refuse(type, value, "outside the 64-bit signed range", "a long holds -(2^63)..2^63-1");
      return value;
    }
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      return refuse(
        type,
        value,
        typeof value === "number" ? "a number that is not a safe integer (precision is already lost)" : "not a bigint or number",
        "pass a bigint, e.g. 9007199254740993n",
      );
    }
    return BigInt(value);
  },
  toWire: (big) => ({ low: Number(BigInt.asIntN(32, big)), high: Number(BigInt.asIntN(32, big >> 32n)) }),
  fromWire: (bits) => (BigInt(bits.high) << 32n) | BigInt(bits.low >>> 0),
});

/** `io.statefun.types/float`: a 32-bit IEEE float (values are rounded to float precision). */
export const FLOAT_TYPE = new PrimitiveType<number>({
  typename: "io.statefun.types/float",
  wrapper: FloatWrapper,
  normalize(value, type) {
    if (typeof value !== "number") return notA("number", type, value);
    const float = Math.fround(value);
    // Rounding decides, so 3.4028235e38 (how Java prints Float.MAX_VALUE) is a float.
    if (float === Infinity || float === -Infinity) {
      return Number.isFinite(value) ? refuse(type, value, "too large for a 32-bit float", "use StateFun.doubleType()") : value;
    }
    return float === 0 ? 0 : float; // -0 encodes as the empty default, which decodes as 0
  },
  toWire: same,
  fromWire: same,
});

/** `io.statefun.types/double`: a 64-bit IEEE float, JavaScript's own `number`. */
export const DOUBLE_TYPE = new PrimitiveType<number>({
  typename: "io.statefun.types/double",
  wrapper: DoubleWrapper,
  normalize(value, type) {
    if (typeof value !== "number") return notA("number", type, value);
    return value === 0 ? 0 : value; // -0 encodes as the empty default, which decodes as 0
  },
  toWire: same,
  fromWire: same,
});

/** `io.statefun.types/string`: UTF-8 text. */
export const STRING_TYPE = new PrimitiveType<string>({
  typename: "io.statefun.types/string",
  wrapper: StringWrapper,
  normalize(value, type) {
    if (typeof value !== "string") return refuse(type, value, "not a string", "convert it with String(value), or use a matching type");
    // UTF-8 cannot hold a lone surrogate: it is written, and so read back, as U+FFFD.
    return value.isWellFormed() ? value : value.toWellFormed();
  },
  toWire: same,
  fromWire: same,
});
