/**
 * Messages: what a function receives (`Message`), what it sends (`messageBuilder`,
 * `egressMessageBuilder`), and the values they carry in wire form, which only the SDK sees.
 */
import { Address, parseTypeName } from "../base/address";
import { InvalidArgumentError, serializationErrorIn, TypeMismatchError } from "../base/errors";
import { clip, describe, quote } from "../base/text";
import { INT32_MAX, INT32_MIN } from "../base/int32";
import { BOOL_TYPE, DOUBLE_TYPE, FLOAT_TYPE, INT_TYPE, LONG_TYPE, STRING_TYPE } from "../serde/primitives";
import type { Type } from "../serde/type";
import { typedValue, typedValueBytes, type WireTypedValue } from "../wire/codec";

/**
 * Encodes `value` with `type` into a TypedValue.
 * @param to - the message's target, or the typename of the egress it goes to; named in the
 *   error when the value cannot be encoded (the text is built only then: this is the hot path
 *   of every send)
 */
export function toTypedValue<T>(value: T, type: Type<T>, to: Address | string): WireTypedValue {
  let bytes: Buffer;
  try {
    bytes = type.serialize(value);
  } catch (e) {
    throw serializationErrorIn(typeof to === "string" ? `a message to egress ${quote(to)}` : `a message to ${to}`, e);
  }
  return typedValue(type.typename, bytes);
}

let makeMessage: (target: Address, value: WireTypedValue) => Message;
let messageValue: (message: Message) => WireTypedValue;

/** A message to or from a function: its target address and a typed value. */
export class Message {
  readonly #typedValue: WireTypedValue;

  /** Messages come from `messageBuilder` or, received, from the SDK. */
  private constructor(
    /** The address this message is sent to (for a received message: the function itself). */
    readonly targetAddress: Address,
    typedValue: WireTypedValue,
  ) {
    this.#typedValue = typedValue;
  }

  static {
    makeMessage = (target, value) => new Message(target, value);
    messageValue = (message) => message.#typedValue;
  }

  /** The typename of the value this message carries. */
  get valueTypeName(): string {
    return this.#typedValue.typename;
  }

  /** A copy of the value's encoded bytes. */
  get rawValueBytes(): Buffer {
    if (!this.#typedValue.hasValue) {
      throw new InvalidArgumentError(`the message to ${this.targetAddress} carries no value`);
    }
    return Buffer.from(typedValueBytes(this.#typedValue));
  }

  /** Whether the value's typename is `type`'s. */
  is<T>(type: Type<T>): boolean {
    return type.typename === this.#typedValue.typename;
  }

  /**
   * Decodes the value with `type`; null when the message carries no value.
   * @throws {@link TypeMismatchError} when the value has another typename.
   */
  as<T>(type: Type<T>): T | null {
    const tv = this.#typedValue;
    if (!tv.hasValue) return null;
    if (tv.typename !== type.typename) {
      throw new TypeMismatchError(
        `a message to ${this.targetAddress} carries a ${clip(tv.typename)} value, not ${type.typename}: ` +
          `check message.is(type) first, or decode it with a type whose typename is ${quote(tv.typename)}` +
          longHint(tv.typename, type.typename),
      );
    }
    try {
      return type.deserialize(typedValueBytes(tv));
    } catch (e) {
      throw serializationErrorIn(`a message to ${this.targetAddress}`, e);
    }
  }

  /** Whether the value is an `io.statefun.types/string`. */
  isString(): boolean {
    return this.is(STRING_TYPE);
  }
  /** The value as a string (`io.statefun.types/string`). */
  asString(): string | null {
    return this.as(STRING_TYPE);
  }
  /** Whether the value is an `io.statefun.types/bool`. */
  isBoolean(): boolean {
    return this.is(BOOL_TYPE);
  }
  /** The value as a boolean (`io.statefun.types/bool`). */
  asBoolean(): boolean | null {
    return this.as(BOOL_TYPE);
  }
  /** Whether the value is an `io.statefun.types/float`. */
  isFloat(): boolean {
    return this.is(FLOAT_TYPE);
  }
  /** The value as a number (`io.statefun.types/float`). */
  asFloat(): number | null {
    return this.as(FLOAT_TYPE);
  }
  /** Whether the value is an `io.statefun.types/int`. */
  isInt(): boolean {
    return this.is(INT_TYPE);
  }
  /** The value as a number (`io.statefun.types/int`). */
  asInt(): number | null {
    return this.as(INT_TYPE);
  }
  /** Whether the value is an `io.statefun.types/long`. */
  isLong(): boolean {
    return this.is(LONG_TYPE);
  }
  /** The value as a bigint (`io.statefun.types/long`). */
  asLong(): bigint | null {
    return this.as<bigint>(LONG_TYPE);
  }
  /** Whether the value is an `io.statefun.types/double`. */
  isDouble(): boolean {
    return this.is(DOUBLE_TYPE);
  }
  /** The value as a number (`io.statefun.types/double`). */
  asDouble(): number | null {
    return this.as(DOUBLE_TYPE);
  }
}

function longHint(actual: string, wanted: string): string {
  if (actual === LONG_TYPE.typename && wanted === INT_TYPE.typename) return " (use message.asLong())";
  if (actual === DOUBLE_TYPE.typename && wanted === FLOAT_TYPE.typename) return " (use message.asDouble())";
  return "";
}

/** A message to `target` carrying `value` (the SDK's own constructor of messages). */
export function messageOf(target: Address, value: WireTypedValue): Message {
  return makeMessage(target, value);
}

/** The value a message carries, as it travels on the wire. */
export function wireValueOf(message: Message | EgressMessage): WireTypedValue {
  return message instanceof Message ? messageValue(message) : egressValue(message);
}

let makeEgressMessage: (typename: string, namespace: string, type: string, value: WireTypedValue) => EgressMessage;
let egressValue: (message: EgressMessage) => WireTypedValue;
let egressParts: (message: EgressMessage) => { readonly namespace: string; readonly type: string };

/** A message to an egress (a Kafka topic, a Kinesis stream, a playground egress, ...). */
export class EgressMessage {
  readonly #typedValue: WireTypedValue;
  readonly #namespace: string;
  readonly #type: string;

  /** Egress messages come from `egressMessageBuilder`, `kafkaEgressMessage` and `kinesisEgressMessage`. */
  private constructor(
    /** The egress's `namespace/name` as declared in module.yaml. */
    readonly typename: string,
    namespace: string,
    type: string,
    typedValue: WireTypedValue,
  ) {
    this.#namespace = namespace;
    this.#type = type;
    this.#typedValue = typedValue;
  }

  static {
    makeEgressMessage = (typename, namespace, type, value) => new EgressMessage(typename, namespace, type, value);
    egressValue = (message) => message.#typedValue;
    egressParts = (message) => ({ namespace: message.#namespace, type: message.#type });
  }
}

/**
 * A message to the egress `typename` carrying `value` (the SDK's own constructor of egress messages).
 * @throws {@link InvalidArgumentError} when the typename is not `namespace/name`
 */
export function egressMessageOf(typename: string, value: WireTypedValue): EgressMessage {
  const { namespace, name } = parseTypeName(typename);
  return makeEgressMessage(typename, namespace, name, value);
}

/** The egress's namespace and type, as the wire carries them. */
export function egressAddressOf(message: EgressMessage): { readonly namespace: string; readonly type: string } {
  return egressParts(message);
}

/** Options of {@link messageBuilder}. */
export interface MessageOpts<T = unknown> {
  /** The target function type, `namespace/name`. */
  typename: string;
  /** The target's id. */
  id: string;
  /** The value to send; checked against `valueType` when given (`T` is inferred from it). */
  value: NoInfer<T>;
  /**
   * The value's type. When left out, a string is sent as `stringType()`, a safe integer as
   * `intType()` (or `longType()` outside 32 bits) and a bigint as `longType()`.
   */
  valueType?: Type<T>;
}

/** The type a value is sent as when the caller gave none. */
function inferType(value: unknown, target: Address): Type<unknown> {
  if (typeof value === "string") return STRING_TYPE as Type<unknown>;
  if (typeof value === "number" && Number.isSafeInteger(value)) {
    return (value >= INT32_MIN && value <= INT32_MAX ? INT_TYPE : LONG_TYPE) as Type<unknown>;
  }
  if (typeof value === "bigint") return LONG_TYPE as Type<unknown>;
  throw new InvalidArgumentError(
    `a message to ${target}: no valueType given and none can be inferred for ${describe(value)}; ` +
      `pass one, e.g. valueType: StateFun.doubleType() or StateFun.jsonType("example/MyType")`,
  );
}

/**
 * Builds a message to a function.
 * @throws {@link InvalidArgumentError} on a malformed typename, an empty id or a missing value.
 */
export function messageBuilder<T>({ typename, id, value, valueType }: MessageOpts<T>): Message {
  const target = Address.fromTypeNameId(typename, id);
  if (value === undefined || value === null) {
    throw new InvalidArgumentError(`a message to ${target} needs a value, got ${describe(value)}`);
  }
  const type = (valueType ?? inferType(value, target)) as Type<T>;
  return makeMessage(target, toTypedValue(value, type, target));
}

/** Options of {@link egressMessageBuilder}. */
export interface EgressOpts<T = unknown> {
  /** The egress's `namespace/name`. */
  typename: string;
  /** The value to send. */
  value: NoInfer<T>;
  /** The value's type (required). */
  valueType: Type<T>;
}

/**
 * Builds a message to a generic egress, e.g. a playground egress.
 * @throws {@link InvalidArgumentError} on a malformed typename, a missing value or type.
 */
export function egressMessageBuilder<T>({ typename, value, valueType }: EgressOpts<T>): EgressMessage {
  const { namespace, name } = parseTypeName(typename);
  if (value === undefined || value === null) {
    throw new InvalidArgumentError(`a message to egress ${quote(typename)} needs a value, got ${describe(value)}`);
  }
  if (valueType === undefined || valueType === null) {
    throw new InvalidArgumentError(`a message to egress ${quote(typename)} needs a valueType`);
  }
  return makeEgressMessage(typename, namespace, name, toTypedValue(value, valueType, typename));
}
