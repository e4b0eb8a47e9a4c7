import { validateTypeName } from "./address";
import { describe, quote } from "./text";
import type { default as Ajv, SchemaObject, ValidateFunction } from "ajv";
import { ConfigurationError, InvalidArgumentError, SerializationError } from "./errors";
import {
  BooleanWrapper,
  DoubleWrapper,
  FloatWrapper,
  IntWrapper,
  LongWrapper,
  StringWrapper,
  wellFormedWriter,
  type LongBits,
} from "./wire/codec";
import type { Writer as ProtobufWriter } from "protobufjs";

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

/**
 * A built-in type of immutable values. `normalize` validates a value and returns exactly what
 * decoding its bytes would give (a float rounded to 32 bits, -0 as 0, a long as a bigint, a
 * string well-formed), without encoding it: a state write fails at the assignment and reads
 * back as the cluster would deliver it, while the bytes are produced once, at the end of the batch.
 */
export abstract class PrimitiveType<T> extends Type<T> {
  /**
   * The value as a decoding of its bytes would give it.
   * @throws {@link SerializationError} when this type cannot hold `value`.
   */
  abstract normalize(value: unknown): T;
  /** Encodes a value that `normalize` returned. */
  protected abstract encode(value: T): Buffer;
  serialize(value: T): Buffer {
    return this.encode(this.normalize(value));
  }
}

function encodeError(type: Type<unknown>, value: unknown, problem: string, hint: string): SerializationError {
  return new SerializationError(`${type.typename} cannot encode ${describe(value)}: ${problem}; ${hint}`);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `io.statefun.types/bool` */
export class BooleanType extends PrimitiveType<boolean> {
  static readonly INSTANCE = new BooleanType();
  private constructor() {
    super("io.statefun.types/bool");
  }
  normalize(value: unknown): boolean {
    if (typeof value !== "boolean") {
      throw encodeError(this, value, "not a boolean", "store true or false");
    }
    return value;
  }
  protected encode(value: boolean): Buffer {
    return BooleanWrapper.encode(value);
  }
  deserialize(bytes: Buffer): boolean {
    return BooleanWrapper.decode(bytes);
  }
}

/** `io.statefun.types/int`: a 32-bit signed integer (sfixed32). */
export class IntType extends PrimitiveType<number> {
  static readonly INSTANCE = new IntType();
  private constructor() {
    super("io.statefun.types/int");
  }
  normalize(value: unknown): number {
    if (typeof value !== "number") {
      throw encodeError(this, value, "not a number", "convert it, or use a type that matches the value");
    }
    if (!Number.isInteger(value)) {
      throw encodeError(this, value, "not an integer", "use StateFun.doubleType() for fractional numbers");
    }
    if (value < INT32_MIN || value > INT32_MAX) {
      throw encodeError(
        this,
        value,
        `outside the 32-bit range ${INT32_MIN}..${INT32_MAX}`,
        "use StateFun.longType() for larger integers",
      );
    }
    return value | 0; // -0 is the default value, which encodes as empty and decodes as 0
  }
  protected encode(value: number): Buffer {
    return IntWrapper.encode(value);
  }
  deserialize(bytes: Buffer): number {
    return IntWrapper.decode(bytes);
  }
}

/**
 * `io.statefun.types/long`: a 64-bit signed integer (sfixed64), as Java's `long` and Python's
 * `int` state. Decodes to a `bigint`; encodes a `bigint` or a safe-integer `number`.
 */
export class LongType extends PrimitiveType<bigint> {
  static readonly INSTANCE = new LongType();
  private constructor() {
    super("io.statefun.types/long");
  }
  normalize(value: unknown): bigint {
    if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) {
        throw encodeError(this, value, "outside the 64-bit signed range", "a long holds -(2^63)..2^63-1");
      }
      return value;
    }
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      throw encodeError(
        this,
        value,
        typeof value === "number" ? "a number that is not a safe integer (precision is already lost)" : "not a bigint or number",
        "pass a bigint, e.g. 9007199254740993n",
      );
    }
    return BigInt(value);
  }
  protected encode(big: bigint): Buffer {
    const bits: LongBits = { low: Number(BigInt.asIntN(32, big)), high: Number(BigInt.asIntN(32, big >> 32n)) };
    return LongWrapper.encode(bits);
  }
  deserialize(bytes: Buffer): bigint {
    const bits = LongWrapper.decode(bytes);
    return (BigInt(bits.high) << 32n) | BigInt(bits.low >>> 0);
  }
}

/** `io.statefun.types/float`: a 32-bit IEEE float (values are rounded to float precision). */
export class FloatType extends PrimitiveType<number> {
  static readonly INSTANCE = new FloatType();
  private constructor() {
    super("io.statefun.types/float");
  }
  normalize(value: unknown): number {
    if (typeof value !== "number") {
      throw encodeError(this, value, "not a number", "convert it, or use a type that matches the value");
    }
    const float = Math.fround(value);
    // Rounding decides, so 3.4028235e38 (how Java prints Float.MAX_VALUE) is a float.
    if (float === Infinity || float === -Infinity) {
      if (Number.isFinite(value)) throw encodeError(this, value, "too large for a 32-bit float", "use StateFun.doubleType()");
      return value;
    }
    return float === 0 ? 0 : float; // -0 encodes as the empty default, which decodes as 0
  }
  protected encode(value: number): Buffer {
    return FloatWrapper.encode(value);
  }
  deserialize(bytes: Buffer): number {
    return FloatWrapper.decode(bytes);
  }
}

/** `io.statefun.types/double`: a 64-bit IEEE float, JavaScript's own `number`. */
export class DoubleType extends PrimitiveType<number> {
  static readonly INSTANCE = new DoubleType();
  private constructor() {
    super("io.statefun.types/double");
  }
  normalize(value: unknown): number {
    if (typeof value !== "number") {
      throw encodeError(this, value, "not a number", "convert it, or use a type that matches the value");
    }
    return value === 0 ? 0 : value; // -0 encodes as the empty default, which decodes as 0
  }
  protected encode(value: number): Buffer {
    return DoubleWrapper.encode(value);
  }
  deserialize(bytes: Buffer): number {
    return DoubleWrapper.decode(bytes);
  }
}

/** `io.statefun.types/string`: UTF-8 text. */
export class StringType extends PrimitiveType<string> {
  static readonly INSTANCE = new StringType();
  private constructor() {
    super("io.statefun.types/string");
  }
  normalize(value: unknown): string {
    if (typeof value !== "string") {
      throw encodeError(this, value, "not a string", "convert it with String(value), or use a matching type");
    }
    // UTF-8 cannot hold a lone surrogate: it is written, and so read back, as U+FFFD.
    return value.isWellFormed() ? value : value.toWellFormed();
  }
  protected encode(value: string): Buffer {
    return StringWrapper.encode(value);
  }
  deserialize(bytes: Buffer): string {
    return StringWrapper.decode(bytes);
  }
}

/** Options of a JSON type. */
export interface JsonTypeOptions {
  /**
   * A JSON Schema every value must satisfy, checked when a value is encoded and when one is
   * decoded (values are checked as given: store plain JSON data). Compiled once, by ajv in
   * strict mode.
   */
  schema?: SchemaObject;
}

let schemaCompiler: Ajv | undefined;

function compileSchema(typename: string, schema: SchemaObject): ValidateFunction {
  if (schemaCompiler === undefined) {
    // Loaded on first use: most applications declare no schema, and ajv takes ~25 ms to load.
    const { default: AjvClass } = require("ajv") as typeof import("ajv");
    schemaCompiler = new AjvClass({ strict: true });
  }
  try {
    return schemaCompiler.compile(schema);
  } catch (e) {
    throw new ConfigurationError(`jsonType(${quote(typename)}): the schema is not valid: ${(e as Error).message}`);
  }
}

/** What the first failed rule says: where in the value, what it must be, and which rule. */
function schemaProblem(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (error === undefined) return "it does not satisfy the schema";
  const where = error.instancePath === "" ? "the value" : `the value at ${error.instancePath}`;
  return `${where} ${error.message ?? "is invalid"} (schema rule ${JSON.stringify(error.keyword)} at ${error.schemaPath})`;
}

/** A user type whose values are UTF-8 JSON text, checked against a JSON Schema when given one. */
export class JsonType<T> extends Type<T> {
  readonly #validate: ValidateFunction | undefined;

  /** @throws {@link ConfigurationError} when `options.schema` is not a valid JSON Schema */
  constructor(typename: string, options: JsonTypeOptions = {}) {
    super(typename);
    this.#validate = options.schema === undefined ? undefined : compileSchema(typename, options.schema);
  }
  serialize(value: T): Buffer {
    const validate = this.#validate;
    if (validate !== undefined && !validate(value)) {
      throw new SerializationError(`${this.typename} cannot encode ${describe(value)}: ${schemaProblem(validate)}`);
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw encodeError(this, value, `JSON.stringify failed (${(e as Error).message})`, "store plain JSON data");
    }
    if (text === undefined) {
      throw encodeError(this, value, "it has no JSON form", "store plain JSON data");
    }
    return Buffer.from(text, "utf8");
  }
  deserialize(bytes: Buffer): T {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      throw new SerializationError(
        `${this.typename}: the ${bytes.length} bytes are not JSON (${(e as Error).message}); ` +
          `check that the sender encodes this typename as UTF-8 JSON`,
      );
    }
    const validate = this.#validate;
    if (validate !== undefined && !validate(value)) {
      throw new SerializationError(`${this.typename}: a received value does not satisfy the schema: ${schemaProblem(validate)}`);
    }
    return value as T;
  }
}

/** A class generated by google-protobuf's protoc plugin. */
export interface GoogleProtobufClass<T> {
  deserializeBinary(bytes: Uint8Array): T;
  prototype: { serializeBinary(): Uint8Array };
}

/** A protobufjs message type: a reflected `Type` or a class from `pbjs -t static-module`. */
export interface ProtobufJsType<T> {
  /** Encodes into `writer` (the SDK passes one that writes strings as well-formed UTF-8). */
  encode(message: T, writer?: ProtobufWriter): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  /** protobufjs' check of a message's fields: null when valid, else what is wrong. */
  verify?(message: { [key: string]: unknown }): string | null;
}

const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * Where protoc's google-protobuf output put a class: its generated code registers every
 * message class under the global `proto` namespace (`proto.<full.name>`, nested messages on
 * their parent class), which is the only run-time trace of the message's full name.
 */
function googleProtobufFullName(cls: unknown): string | undefined {
  const seen = new Set<unknown>();
  const search = (node: unknown, path: string, depth: number): string | undefined => {
    if (node === null || (typeof node !== "object" && typeof node !== "function") || seen.has(node) || depth > 16) return undefined;
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      if (value === cls) return `${path}${key}`;
      const found = search(value, `${path}${key}.`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return search((globalThis as { proto?: unknown }).proto, "", 0);
}

/**
 * `type.googleapis.com/<full.name>` for a message type: from a protobufjs reflected type's
 * `fullName`, a pbjs static class's `getTypeUrl()`, or where protoc's google-protobuf code
 * registered a class.
 * @throws {@link InvalidArgumentError} when the type does not tell its full name
 */
export function protobufTypeUrl(messageType: unknown): string {
  const t = messageType as { fullName?: unknown; getTypeUrl?: unknown; deserializeBinary?: unknown } | null;
  if (t !== null && (typeof t === "object" || typeof t === "function")) {
    if (typeof t.getTypeUrl === "function") {
      const url = (t.getTypeUrl as (prefix?: string) => unknown)("type.googleapis.com");
      if (typeof url === "string" && url.startsWith(TYPE_URL_PREFIX)) return url;
    }
    if (typeof t.fullName === "string" && t.fullName.length > 1) return TYPE_URL_PREFIX + t.fullName.replace(/^\./, "");
    if (typeof t.deserializeBinary === "function") {
      const name = googleProtobufFullName(t);
      if (name !== undefined) return TYPE_URL_PREFIX + name;
    }
  }
  throw new InvalidArgumentError(
    `protoType(): cannot tell the full name of ${describe(messageType)}; pass the typename, e.g. ` +
      `StateFun.protoType("type.googleapis.com/my.package.MyMessage", MyMessage)`,
  );
}

/** A user type whose values are protobuf messages (google-protobuf classes or protobufjs types). */
export class ProtobufType<T> extends Type<T> {
  readonly #encode: (value: T) => Uint8Array;
  readonly #decode: (bytes: Uint8Array) => T;

  constructor(typename: string, messageType: GoogleProtobufClass<T> | ProtobufJsType<T>) {
    super(typename);
    if (messageType !== null && typeof messageType === "function" && "deserializeBinary" in messageType) {
      const cls = messageType as GoogleProtobufClass<T>;
      this.#decode = (bytes) => cls.deserializeBinary(bytes);
      this.#encode = (value) => {
        if (!(value instanceof (cls as unknown as new () => T))) {
          throw encodeError(this, value, "not an instance of its google-protobuf class", "build it with new Class()");
        }
        return (value as unknown as { serializeBinary(): Uint8Array }).serializeBinary();
      };
    } else if (
      messageType !== null &&
      (typeof messageType === "function" || typeof messageType === "object") &&
      typeof (messageType as ProtobufJsType<T>).encode === "function" &&
      typeof (messageType as ProtobufJsType<T>).decode === "function"
    ) {
      const t = messageType as ProtobufJsType<T>;
      this.#decode = (bytes) => t.decode(bytes);
      this.#encode = (value) => {
        // protobufjs encodes a mistyped field without complaint (a string where a number belongs
        // becomes 0), so values are checked first.
        const problem = value === null || typeof value !== "object" ? "not a message object" : t.verify?.(value as { [key: string]: unknown });
        if (problem) throw encodeError(this, value, problem, "build it with Type.create({...}) or fix the field");
        return t.encode(value, wellFormedWriter()).finish();
      };
    } else {
      throw new InvalidArgumentError(
        `protoType(${quote(typename)}): ${describe(messageType)} is neither a google-protobuf ` +
          `generated class nor a protobufjs type`,
      );
    }
  }
  serialize(value: T): Buffer {
    const bytes = this.#encode(value);
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  deserialize(bytes: Buffer): T {
    try {
      return this.#decode(bytes);
    } catch (e) {
      throw new SerializationError(`${this.typename}: cannot decode ${bytes.length} bytes (${(e as Error).message})`);
    }
  }
}

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

export const BOOL_TYPE = BooleanType.INSTANCE;
export const INT_TYPE = IntType.INSTANCE;
export const LONG_TYPE = LongType.INSTANCE;
export const FLOAT_TYPE = FloatType.INSTANCE;
export const DOUBLE_TYPE = DoubleType.INSTANCE;
export const STRING_TYPE = StringType.INSTANCE;
