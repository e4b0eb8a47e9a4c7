/**
 * What the page reads of values (decoded with the declared type: protobuf as JSON, built-in
 * types as values, JSON, text, bytes) and how the send form's text becomes a value of its type.
 */
import { StateFun } from "../../src";
import { LocationType } from "../../examples/showcase/functions";
import { encodeTyped } from "../../src/local/ui/send";
import { valueView } from "../../src/local/ui/views";
import { typedValue, typedValueBytes } from "../../src/wire/codec";

const Point = StateFun.jsonType<{ x: number }>("example/Point", { schema: { type: "object", properties: { x: { type: "integer" } }, required: ["x"] } });
const Custom = StateFun.customType<string>("example/Reversed", (s) => Buffer.from([...s].reverse().join("")), (b) => [...b.toString()].reverse().join(""));

const of = (typename: string, bytes: Uint8Array) => typedValue(typename, bytes);

describe("valueView", () => {
  test("built-in types as values: a long as its digits, a float as rounded, a default value as such", () => {
    expect(valueView(of("io.statefun.types/long", StateFun.longType().serialize(2n ** 60n)), undefined)).toMatchObject({ kind: "builtin", json: "1152921504606846976", text: "1152921504606846976n" });
    expect(valueView(of("io.statefun.types/float", StateFun.floatType().serialize(0.1)), undefined)).toMatchObject({ kind: "builtin", json: Math.fround(0.1) });
    expect(valueView(of("io.statefun.types/int", new Uint8Array()), undefined)).toMatchObject({ kind: "builtin", json: 0, size: 0 });
    expect(valueView(of("io.statefun.types/double", StateFun.doubleType().serialize(NaN)), undefined)).toMatchObject({ json: "NaN" });
    expect(valueView(of("io.statefun.types/string", StateFun.stringType().serialize("hé")), undefined)).toMatchObject({ kind: "builtin", json: "hé", text: '"hé"' });
  });

  test("a protobuf message with its declared type reads as JSON; without it, as bytes", () => {
    const bytes = LocationType.serialize({ lat: 52.5, lon: 13.4, label: "Berlin" });
    expect(valueView(of(LocationType.typename, bytes), LocationType)).toMatchObject({ kind: "protobuf", json: { lat: 52.5, lon: 13.4, label: "Berlin" } });
    const raw = valueView(of(LocationType.typename, bytes), undefined);
    expect(raw).toMatchObject({ kind: "bytes", base64: bytes.toString("base64"), size: bytes.length });
    expect(raw.text).toMatch(/^0x[0-9a-f]+$/);
  });

  test("JSON, text and bytes by what they are; a value that does not decode as declared says why", () => {
    expect(valueView(of("example/Point", Point.serialize({ x: 1 })), Point)).toMatchObject({ kind: "json", json: { x: 1 } });
    expect(valueView(of("example/Any", Buffer.from('[1,"two"]')), undefined)).toMatchObject({ kind: "json", json: [1, "two"] });
    expect(valueView(of("example/Any", Buffer.from("plain words")), undefined)).toMatchObject({ kind: "text", json: "plain words", text: '"plain words"' });
    expect(valueView(of("example/Any", Buffer.from([0, 1, 255])), undefined)).toMatchObject({ kind: "bytes", text: "0x0001ff", base64: "AAH/" });
    const broken = valueView(of("example/Point", Buffer.from('{"x":1.5}')), Point);
    expect(broken).toMatchObject({ kind: "json", json: { x: 1.5 } });
    expect(broken.error).toContain("does not satisfy the schema");
    expect(valueView(of("example/Reversed", Custom.serialize("abc")), Custom)).toMatchObject({ kind: "custom", json: "abc" });
  });
});

describe("encodeTyped: the send form's text as a value of its type", () => {
  const bytes = (valueType: string, text: string, declared?: Parameters<typeof encodeTyped>[2]) => typedValueBytes(encodeTyped(valueType, text, declared));

  test("built-in values as written", () => {
    expect(bytes("io.statefun.types/int", "-7")).toEqual(StateFun.intType().serialize(-7));
    expect(bytes("io.statefun.types/long", "9007199254740993")).toEqual(StateFun.longType().serialize(9007199254740993n));
    expect(bytes("io.statefun.types/double", "1.5")).toEqual(StateFun.doubleType().serialize(1.5));
    expect(bytes("io.statefun.types/float", "NaN")).toEqual(StateFun.floatType().serialize(NaN));
    expect(bytes("io.statefun.types/bool", " true ")).toEqual(StateFun.booleanType().serialize(true));
    expect(bytes("io.statefun.types/string", " as is ")).toEqual(StateFun.stringType().serialize(" as is "));
  });

  test("JSON: checked against a declared type's schema; any JSON for an undeclared typename", () => {
    expect(bytes("example/Point", '{ "x": 3 }', Point).toString()).toBe('{"x":3}');
    expect(bytes("example/Undeclared", '{ "free": [1, 2] }').toString()).toBe('{"free":[1,2]}');
  });

  test.each([
    ["io.statefun.types/int", "1.5", undefined, "an int is a whole number"],
    ["io.statefun.types/int", "4294967296", undefined, "io.statefun.types/int cannot encode"],
    ["io.statefun.types/bool", "yes", undefined, "a bool is true or false"],
    ["io.statefun.types/double", "", undefined, "a double is a number"],
    ["example/Point", '{"x":"one"}', Point, "must be integer"],
    ["example/Point", "{x:1}", Point, "takes JSON, and this is not JSON"],
    [LocationType.typename, "{}", LocationType, "is a protobuf type: the form sends JSON and built-in values only"],
    ["noslash", "1", undefined, "the value's type:"],
  ])("%s %j is refused", (valueType, text, declared, reason) => {
    expect(() => encodeTyped(valueType, text, declared)).toThrow(reason);
  });
});
