/**
 * Every built-in type's exact bytes (PROTOCOL.md "Built-in types"), defaults as empty bytes,
 * long/double extremes, and agreement with the official SDK's google-protobuf encoders.
 */
import fc from "fast-check";
import * as official from "apache-flink-statefun";
import { SerializationError, StateFun } from "../../src";
import { hex } from "../requests";
import { wireValueOf } from "../../src/api/message";

const bytes = (h: string): Buffer => Buffer.from(h.replace(/ /g, ""), "hex");

describe.each([
  ["bool", StateFun.booleanType(), "io.statefun.types/bool", [[true, "08 01"], [false, ""]]],
  [
    "int",
    StateFun.intType(),
    "io.statefun.types/int",
    [[1, "0d 01 00 00 00"], [-1, "0d ff ff ff ff"], [0, ""], [2147483647, "0d ff ff ff 7f"], [-2147483648, "0d 00 00 00 80"]],
  ],
  [
    "long",
    StateFun.longType(),
    "io.statefun.types/long",
    [
      [5n, "09 05 00 00 00 00 00 00 00"],
      [0n, ""],
      [-1n, "09 ff ff ff ff ff ff ff ff"],
      [9223372036854775807n, "09 ff ff ff ff ff ff ff 7f"],
      [-9223372036854775808n, "09 00 00 00 00 00 00 00 80"],
      [4294967296n, "09 00 00 00 00 01 00 00 00"],
    ],
  ],
  ["float", StateFun.floatType(), "io.statefun.types/float", [[1.5, "0d 00 00 c0 3f"], [0, ""], [-2, "0d 00 00 00 c0"]]],
  [
    "double",
    StateFun.doubleType(),
    "io.statefun.types/double",
    [[1.5, "09 00 00 00 00 00 00 f8 3f"], [0, ""], [Number.MAX_VALUE, "09 ff ff ff ff ff ff ef 7f"], [-0.1, "09 9a 99 99 99 99 99 b9 bf"]],
  ],
  ["string", StateFun.stringType(), "io.statefun.types/string", [["hi", "0a 02 68 69"], ["", ""], ["é", "0a 02 c3 a9"]]],
] as const)("%s", (_name, type, typename, cases) => {
  test(`typename is ${typename}`, () => {
    expect(type.typename).toBe(typename);
  });
  test.each(cases as ReadonlyArray<readonly [unknown, string]>)("%p encodes as [%s] and decodes back", (value, expected) => {
    const t = type as unknown as { serialize(v: unknown): Buffer; deserialize(b: Buffer): unknown };
    expect(hex(t.serialize(value))).toBe(expected.replace(/ /g, ""));
    expect(t.deserialize(bytes(expected))).toEqual(value);
  });
  test("empty bytes decode to the default value", () => {
    const t = type as unknown as { deserialize(b: Buffer): unknown };
    const defaults: Record<string, unknown> = { bool: false, int: 0, long: 0n, float: 0, double: 0, string: "" };
    expect(t.deserialize(Buffer.alloc(0))).toEqual(defaults[_name]);
  });
});

test("a lone surrogate is written as U+FFFD, never as invalid UTF-8, in short and long strings alike", () => {
  // protobufjs writes strings under 40 characters itself and longer ones through Buffer; both
  // must give well-formed UTF-8 (protobuf-java rejects anything else).
  expect(hex(StateFun.stringType().serialize("a\uD800"))).toBe("0a0461efbfbd");
  const long = "x".repeat(50) + "\uDC00";
  expect(hex(StateFun.stringType().serialize(long))).toBe("0a35" + "78".repeat(50) + "efbfbd");
  expect(StateFun.stringType().deserialize(StateFun.stringType().serialize("ok \u{1F600}"))).toBe("ok \u{1F600}");
});

test("negative zero is a default value: float and double encode it as empty bytes", () => {
  expect(hex(StateFun.floatType().serialize(-0))).toBe("");
  expect(hex(StateFun.doubleType().serialize(-0))).toBe("");
});

test("long accepts safe-integer numbers and always decodes to bigint", () => {
  expect(hex(StateFun.longType().serialize(5 as unknown as bigint))).toBe("090500000000000000");
  expect(StateFun.longType().serialize(Number.MAX_SAFE_INTEGER as unknown as bigint)).toEqual(
    StateFun.longType().serialize(BigInt(Number.MAX_SAFE_INTEGER)),
  );
  expect(() => StateFun.longType().serialize(2 ** 60 as unknown as bigint)).toThrow(/not a safe integer.*bigint/);
  expect(() => StateFun.longType().serialize(2n ** 63n)).toThrow(/64-bit/);
});

test("long round-trips every 64-bit value", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const encoded = StateFun.longType().serialize(v);
      expect(StateFun.longType().deserialize(encoded)).toBe(v);
      expect(encoded.length).toBe(v === 0n ? 0 : 9);
    }),
  );
});

test("double round-trips every double, including extremes", () => {
  for (const v of [Number.MIN_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, Number.EPSILON]) {
    expect(StateFun.doubleType().deserialize(StateFun.doubleType().serialize(v))).toBe(v);
  }
  expect(StateFun.doubleType().deserialize(StateFun.doubleType().serialize(NaN))).toBeNaN();
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (v) => {
      expect(StateFun.doubleType().deserialize(StateFun.doubleType().serialize(v))).toBe(v === 0 ? 0 : v);
    }),
  );
});

describe("same bytes as the official SDK (google-protobuf) for the types it has", () => {
  const ours = StateFun;
  const theirs = official.StateFun;
  test("int", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (v) => {
        expect(hex(ours.intType().serialize(v))).toBe(hex(theirs.intType().serialize(v)));
      }),
    );
  });
  test("float (finite float32 values)", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(hex(ours.floatType().serialize(v))).toBe(hex(theirs.floatType().serialize(v)));
      }),
    );
  });
  test("string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (v) => {
        expect(hex(ours.stringType().serialize(v))).toBe(hex(theirs.stringType().serialize(v)));
      }),
    );
  });
  test("bool", () => {
    for (const v of [true, false]) expect(hex(ours.booleanType().serialize(v))).toBe(hex(theirs.booleanType().serialize(v)));
  });
});

describe("values a type cannot hold are rejected with a SerializationError that suggests the fix", () => {
  test.each([
    [StateFun.intType(), 2 ** 31, /io\.statefun\.types\/int cannot encode 2147483648: outside the 32-bit range.*StateFun\.longType\(\)/],
    [StateFun.intType(), 1.5, /io\.statefun\.types\/int cannot encode 1\.5: not an integer.*doubleType/],
    [StateFun.intType(), "3", /io\.statefun\.types\/int cannot encode "3": not a number/],
    [StateFun.floatType(), 1e40, /too large for a 32-bit float; use StateFun\.doubleType\(\)/],
    [StateFun.stringType(), 5, /io\.statefun\.types\/string cannot encode 5: not a string/],
    [StateFun.booleanType(), 1, /io\.statefun\.types\/bool cannot encode 1: not a boolean/],
    [StateFun.longType(), "1", /io\.statefun\.types\/long cannot encode "1"/],
  ] as const)("%#: %p", (type, value, message) => {
    const t = type as unknown as { serialize(v: unknown): Buffer };
    expect(() => t.serialize(value)).toThrow(SerializationError);
    expect(() => t.serialize(value)).toThrow(message);
  });
  test("JSON type: a value with no JSON form", () => {
    const t = StateFun.jsonType<unknown>("example/Doc");
    expect(() => t.serialize(undefined)).toThrow(/example\/Doc cannot encode undefined: it has no JSON form/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => t.serialize(cyclic)).toThrow(/JSON\.stringify failed/);
    expect(() => t.deserialize(Buffer.from("{nope"))).toThrow(/example\/Doc: the 5 bytes are not JSON/);
  });
});

describe("egress records", () => {
  // Decoded through the official SDK's google-protobuf classes: an independent check of our bytes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("apache-flink-statefun/dist/generated/kafka-egress_pb");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("apache-flink-statefun/dist/generated/kinesis-egress_pb");
  const pb = (globalThis as unknown as { proto: { io: { statefun: { sdk: { egress: Record<string, { deserializeBinary(b: Uint8Array): { toObject(): unknown } }> } } } } }).proto.io.statefun.sdk.egress;

  test("Kafka record: typename, fields, and an empty key left out", async () => {
    const { kafkaEgressMessage } = await import("../../src");
    const m = kafkaEgressMessage({ typename: "example/out", topic: "greets", key: "Bob", value: "hi" });
    expect(wireValueOf(m).typename).toBe("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
    expect(hex(wireValueOf(m).value)).toBe("0a03426f62" + "12026869" + "1a06677265657473");
    expect(pb.KafkaProducerRecord.deserializeBinary(wireValueOf(m).value!).toObject()).toEqual({
      key: "Bob",
      valueBytes: Buffer.from("hi").toString("base64"),
      topic: "greets",
    });
    const keyless = kafkaEgressMessage({ typename: "example/out", topic: "t", value: Buffer.from([1, 2]) });
    expect(hex(wireValueOf(keyless).value)).toBe("12020102" + "1a0174");
  });

  test("Kinesis record: typename, fields, optional hash key", async () => {
    const { kinesisEgressMessage } = await import("../../src");
    const m = kinesisEgressMessage({ typename: "example/out", stream: "s", partitionKey: "p", hashKey: "h", value: 7 });
    expect(wireValueOf(m).typename).toBe("type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord");
    expect(hex(wireValueOf(m).value)).toBe("0a0170" + "120400000007" + "1a0173" + "220168");
    expect(pb.KinesisEgressRecord.deserializeBinary(wireValueOf(m).value!).toObject()).toEqual({
      partitionKey: "p",
      valueBytes: Buffer.from([0, 0, 0, 7]).toString("base64"),
      stream: "s",
      explicitHashKey: "h",
    });
  });
});
