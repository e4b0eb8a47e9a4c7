/**
 * The page's send form: a value typed as text, encoded as its type says. A built-in type takes
 * its value as written (`42`, `9007199254740993` for a long, `1.5`, `true`, any text for a
 * string); a JSON type, declared or not, takes JSON text (checked against the schema of a
 * declared one). Protobuf and custom types cannot be written as text, so the form does not
 * send them.
 */
import { validateTypeName } from "../../base/address";
import { InvalidArgumentError } from "../../base/errors";
import { quote } from "../../base/text";
import type { Type } from "../../serde/type";
import { typedValue, type WireTypedValue } from "../../wire/codec";
import { builtInType } from "../values";
import { typeKind } from "./views";

/** A built-in type's value from its text; what the type then refuses (an int out of range) it says itself. */
function builtInValue(typename: string, text: string): unknown {
  const t = text.trim();
  const name = typename.slice(typename.indexOf("/") + 1);
  switch (name) {
    case "bool":
      if (t !== "true" && t !== "false") throw new InvalidArgumentError(`a bool is true or false, not ${quote(text)}`);
      return t === "true";
    case "int":
      if (!/^[+-]?\d+$/.test(t)) throw new InvalidArgumentError(`an int is a whole number, not ${quote(text)}`);
      return Number(t);
    case "long":
      if (!/^[+-]?\d+$/.test(t)) throw new InvalidArgumentError(`a long is a whole number, not ${quote(text)}`);
      return BigInt(t);
    case "float":
    case "double": {
      const n = Number(t);
      if (t === "" || (Number.isNaN(n) && t !== "NaN")) throw new InvalidArgumentError(`a ${name} is a number, not ${quote(text)}`);
      return n;
    }
    default:
      return text;
  }
}

/**
 * Encodes a value typed in the form.
 * @param declared - the type a bound function declares for `valueType`, if any
 * @throws {@link InvalidArgumentError} saying what is wrong with the value or its type
 */
export function encodeTyped(valueType: string, text: string, declared: Type<unknown> | undefined): WireTypedValue {
  try {
    validateTypeName(valueType);
  } catch (e) {
    throw new InvalidArgumentError(`the value's type: ${(e as Error).message}`);
  }
  const builtIn = builtInType(valueType);
  const type = declared?.typename === valueType ? declared : builtIn;
  if (type !== undefined && builtIn === undefined && typeKind(type) !== "json") {
    throw new InvalidArgumentError(`${valueType} is a ${typeKind(type)} type: the form sends JSON and built-in values only`);
  }
  if (type === builtIn && builtIn !== undefined) return typedValue(valueType, serialize(builtIn, builtInValue(valueType, text)));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${valueType} takes JSON, and this is not JSON: ${(e as Error).message}`);
  }
  return typedValue(valueType, type === undefined ? Buffer.from(JSON.stringify(json), "utf8") : serialize(type, json));
}

/** The type's bytes for a value, its refusal as an InvalidArgumentError. */
function serialize(type: Type<unknown>, value: unknown): Buffer {
  try {
    return type.serialize(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
