/**
 * The purpose-built request/reply codec (src/wire/reqreply.ts) against protobufjs, the codec it
 * replaces on the request path (src/wire/codec.ts), and against google-protobuf:
 *
 * The reference is protobufjs as src/wire/codec.ts used it (built below, not imported, so the
 * comparison stands once codec.ts delegates to this codec).
 *
 * 1. for random ToFunction bytes — every field, empty and absent values, unknown fields of every
 *    wire type (groups nested), known fields with another wire type (a "packed" bool among
 *    them), fields in any order, singular fields repeated (last one wins, messages merge),
 *    padded varints, huge and empty strings, invalid UTF-8 — it decodes what protobufjs decodes,
 *    compared as the request path reads a request (presence included);
 * 2. it throws (a plain Error) exactly when protobufjs throws, also for random mutations and
 *    truncations of valid messages;
 * 3. for random FromFunction objects it writes protobufjs' bytes, and those bytes decode to the
 *    same message under protobufjs and under google-protobuf (a reader on jspb.BinaryReader: no
 *    generated classes exist for these messages and protoc is not available), which is the
 *    message the object describes.
 */
import * as path from "node:path";
import fc from "fast-check";
import { BinaryReader } from "google-protobuf";
import protobuf from "protobufjs";
import type { WireAddress, WireFromFunction, WireToFunction, WireTypedValue } from "../../src/wire/codec";
import { decodeToFunction, encodeFromFunction } from "../../src/wire/reqreply";

const RUNS = 1000;

// ------------------------------------------------------------------------------------------------
// The reference: protobufjs exactly as src/wire/codec.ts used it before this codec (its types
// from protos/, which generate the same decoders and encoders as codec.ts' descriptor.json).
// Built here so the tests still compare against protobufjs once codec.ts delegates to ours.
// ------------------------------------------------------------------------------------------------

const reqreply = protobuf.loadSync(path.join(__dirname, "../../protos/request-reply.proto"));
const ToFunctionType = reqreply.lookupType("io.statefun.sdk.reqreply.ToFunction");
const FromFunction = reqreply.lookupType("io.statefun.sdk.reqreply.FromFunction");

/** codec.ts' writer: lone surrogates as U+FFFD. */
class WellFormedWriter extends protobuf.BufferWriter {
  override string(value: string): protobuf.Writer {
    return super.string(value.isWellFormed() ? value : value.toWellFormed());
  }
}

function protobufjsDecode(bytes: Buffer): WireToFunction {
  return ToFunctionType.decode(bytes) as unknown as WireToFunction;
}

function protobufjsEncode(message: WireFromFunction): Buffer {
  return Buffer.from(FromFunction.encode(message as protobuf.Message, new WellFormedWriter()).finish());
}

// ------------------------------------------------------------------------------------------------
// Building wire bytes by hand
// ------------------------------------------------------------------------------------------------

type Bytes = number[];

/** A varint, optionally padded with `pad` redundant bytes (…0x80 0x00), which decoders accept. */
function varint(value: bigint, pad = 0): Bytes {
  const out: Bytes = [];
  let v = BigInt.asUintN(64, value);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  if (pad > 0) {
    out[out.length - 1] |= 0x80;
    for (let i = 1; i < pad; i++) out.push(0x80);
    out.push(0);
  }
  return out;
}

function tag(field: number, wireType: number, pad = 0): Bytes {
  return varint(BigInt(field) * 8n + BigInt(wireType), pad);
}

function lenField(field: number, payload: Bytes, tagPad = 0, lenPad = 0): Bytes {
  return [...tag(field, 2, tagPad), ...varint(BigInt(payload.length), lenPad), ...payload];
}

const utf8 = (s: string): Bytes => [...Buffer.from(s, "utf8")];

// ------------------------------------------------------------------------------------------------
// Random ToFunction bytes
// ------------------------------------------------------------------------------------------------

/**
 * Mostly canonical varints, sometimes padded: tags and lengths stay within protobufjs' five
 * bytes (they are at most two bytes long here); `tooLong` goes beyond, now and then.
 */
const pad = fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) });

const NAMES = [
  "bench",
  "counter",
  "caller",
  "user-1",
  "user-2",
  "c0",
  "seen",
  "doc",
  "io.statefun.types/string",
  "io.statefun.types/int",
  "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord",
  // Same length and the same first and last four bytes: one slot of the decoder's string cache.
  "abcd-1-wxyz",
  "abcd-2-wxyz",
  "abcd-22wxyz",
  "é",
  "\u{1F600}",
  "\uFEFFbom",
];


/** Invalid (and a few valid but unusual) UTF-8 sequences. */
const ODD_UTF8: Bytes[] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc2],
  [0xe0, 0x80, 0x80],
  [0xe0, 0xa0],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xef, 0xbb, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff],
  [0xe2, 0x82, 0xac],
  [0xf0, 0x9f, 0x98, 0x80],
  [0x00],
];

/** String payloads: names, any text, long text, raw bytes and odd sequences (often invalid UTF-8). */
const stringBytes: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 240, arbitrary: fc.constantFrom(...NAMES).map(utf8) },
  { weight: 60, arbitrary: fc.constant<Bytes>([]) },
  { weight: 80, arbitrary: fc.string({ unit: "binary", maxLength: 24 }).map(utf8) },
  { weight: 40, arbitrary: fc.string({ unit: "binary-ascii", minLength: 40, maxLength: 90 }).map(utf8) },
  { weight: 24, arbitrary: fc.string({ unit: "binary", minLength: 20, maxLength: 200 }).map(utf8) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }).map((a) => [...a]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: "binary-ascii", maxLength: 70 }), fc.constantFrom(...ODD_UTF8), fc.nat())
      .map(([s, odd, at]) => {
        const b = utf8(s);
        const i = b.length === 0 ? 0 : at % (b.length + 1);
        return [...b.slice(0, i), ...odd, ...b.slice(i)];
      }),
  },
);

const bytesPayload: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Bytes>([]) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => [...a]) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 600 }).map((a) => [...a]) },
);

/** A bool's varint: 0, 1 or any value (true when any bit is set), up to 11 bytes long. */
const boolVarint: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0n, 1n), pad).map(([v, p]) => varint(v, p)) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => varint(v)) },
  // ten bytes with a payload bit only in the tenth (more than 64 bits), and eleven bytes
  { weight: 1, arbitrary: fc.constant<Bytes>([...Array<number>(9).fill(0x80), 0x7f]) },
);

/** A value for any wire type, for unknown fields (`depth` bounds nested groups). */
function unknownField(known: number[], depth: number): fc.Arbitrary<Bytes> {
  const field = fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 1, max: 40 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: (1 << 29) - 1 }) },
  ).filter((f) => !known.includes(f));
  const options: fc.MaybeWeightedArbitrary<Bytes>[] = [
    {
      weight: 3,
      arbitrary: fc
        .tuple(field, pad, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: 14 }))
        .map(([f, p, v, extra]) => [...tag(f, 0, p), ...varint(v, extra)]),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(field, pad, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([f, p, b]) => [...tag(f, 1, p), ...b]),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(field, pad, pad, fc.uint8Array({ maxLength: 30 }))
        .map(([f, p, lp, b]) => lenField(f, [...b], p, lp)),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(field, pad, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([f, p, b]) => [...tag(f, 5, p), ...b]),
    },
    // rarely: the wire types protobufjs rejects, and field number 0
    { weight: 1, arbitrary: fc.oneof(fc.tuple(field, fc.constantFrom(4, 6, 7)).map(([f, wt]) => tag(f, wt)), fc.constant(tag(0, 0))) },
    // (the valid kinds again, so the invalid ones above stay rare)
    { weight: 20, arbitrary: fc.tuple(field, fc.bigInt({ min: 0n, max: 300n })).map(([f, v]) => [...tag(f, 0), ...varint(v)]) },
  ];
  if (depth > 0) {
    // a group: start tag, nested unknown fields, end tag (mostly with the right field number)
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(field, fc.array(unknownField([], depth - 1), { maxLength: 3 }), fc.oneof({ weight: 20, arbitrary: fc.constant(true) }, fc.constant(false)))
        .map(([f, inner, matching]) => [...tag(f, 3), ...inner.flat(), ...tag(matching ? f : f + 1, 4)]),
    });
  }
  return fc.oneof(...options);
}

/** Varints longer than protobufjs accepts: a tag or a length of six bytes or more. */
const broken: fc.Arbitrary<Bytes> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 5, max: 8 })).map(([f, p]) => [...tag(f, 0, p), 1]),
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 5, max: 8 })).map(([f, p]) => [...tag(f, 2), ...varint(0n, p)]),
);

/** A known field number with a wire type it does not have: protobufjs skips it as unknown. */
function wrongWireType(fields: { field: number; wireType: number }[]): fc.Arbitrary<Bytes> {
  return fc
    .tuple(fc.constantFrom(...fields), fc.constantFrom(0, 1, 2, 5), fc.uint8Array({ maxLength: 12 }), fc.bigInt({ min: 0n, max: 1000n }))
    .filter(([f, wt]) => f.wireType !== wt)
    .map(([f, wt, b, v]) => {
      switch (wt) {
        case 0:
          return [...tag(f.field, 0), ...varint(v)];
        case 1:
          return [...tag(f.field, 1), ...[...b, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)];
        case 5:
          return [...tag(f.field, 5), ...[...b, 0, 0, 0, 0].slice(0, 4)];
        default:
          // for the bool this is the packed encoding of repeated bools
          return lenField(f.field, [...varint(v), ...varint(1n)]);
      }
    });
}

/** A message of the given fields, in random order, with unknown and mistyped fields mixed in. */
function message(
  known: fc.Arbitrary<Bytes>,
  fields: { field: number; wireType: number }[],
  maxFields: number,
  depth: number,
): fc.Arbitrary<Bytes> {
  const numbers = fields.map((f) => f.field);
  return fc
    .array(
      fc.oneof(
        { weight: 1000, arbitrary: known },
        { weight: 60, arbitrary: unknownField(numbers, depth) },
        { weight: 60, arbitrary: wrongWireType(fields) },
        { weight: 1, arbitrary: broken },
      ),
      { minLength: Math.min(1, maxFields), maxLength: maxFields },
    )
    .map((parts) => parts.flat());
}

const stringField = (field: number): fc.Arbitrary<Bytes> =>
  fc.tuple(stringBytes, pad, pad).map(([s, tp, lp]) => lenField(field, s, tp, lp));

const messageField = (field: number, payload: fc.Arbitrary<Bytes>): fc.Arbitrary<Bytes> =>
  fc.tuple(payload, pad, pad).map(([p, tp, lp]) => lenField(field, p, tp, lp));

const LEN = 2;

const addressBytes = message(
  fc.oneof(stringField(1), stringField(2), stringField(3)),
  [
    { field: 1, wireType: LEN },
    { field: 2, wireType: LEN },
    { field: 3, wireType: LEN },
  ],
  5,
  2,
);

const typedValueBytes = message(
  fc.oneof(
    { weight: 3, arbitrary: stringField(1) },
    { weight: 3, arbitrary: fc.tuple(pad, boolVarint).map(([p, v]) => [...tag(2, 0, p), ...v]) },
    { weight: 3, arbitrary: fc.tuple(bytesPayload, pad, pad).map(([b, tp, lp]) => lenField(3, b, tp, lp)) },
  ),
  [
    { field: 1, wireType: LEN },
    { field: 2, wireType: 0 },
    { field: 3, wireType: LEN },
  ],
  5,
  2,
);

const persistedValueBytes = message(
  fc.oneof(stringField(1), messageField(2, typedValueBytes)),
  [
    { field: 1, wireType: LEN },
    { field: 2, wireType: LEN },
  ],
  4,
  1,
);

const invocationBytes = message(
  fc.oneof(messageField(1, addressBytes), messageField(2, typedValueBytes)),
  [
    { field: 1, wireType: LEN },
    { field: 2, wireType: LEN },
  ],
  4,
  1,
);

const batchBytes = message(
  fc.oneof(
    { weight: 2, arbitrary: messageField(1, addressBytes) },
    { weight: 3, arbitrary: messageField(2, persistedValueBytes) },
    { weight: 4, arbitrary: messageField(3, invocationBytes) },
  ),
  [
    { field: 1, wireType: LEN },
    { field: 2, wireType: LEN },
    { field: 3, wireType: LEN },
  ],
  12,
  3,
);

/** Huge strings (a target id): built once, added to a few messages. */
const HUGE: Bytes[] = ["a".repeat(70_000), "ü€\u{1F600}x".repeat(6000)].map((s) => lenField(100, lenField(1, lenField(3, utf8(s)))));

const toFunctionBytes = fc
  .tuple(
    message(messageField(100, batchBytes), [{ field: 100, wireType: LEN }], 3, 3),
    fc.oneof({ weight: 40, arbitrary: fc.constant<Bytes>([]) }, { weight: 1, arbitrary: fc.constantFrom(...HUGE) }),
  )
  .map(([m, huge]) => (huge.length === 0 ? m : m.concat(huge)));

// ------------------------------------------------------------------------------------------------
// Comparing decodes as the request path reads them
// ------------------------------------------------------------------------------------------------

/**
 * A decoded request reduced to what dispatch, storage, message and context read: `!invocation`,
 * `!target`, the address strings, `state[i].stateName`, `stateValue ?? null`, `hasValue`,
 * `typename`, `typedValueBytes(v)` (`value`, absent or empty meaning no bytes), and `caller`
 * absent (null/undefined) versus present (possibly all-empty).
 */
function normalize(m: WireToFunction): unknown {
  const b = m.invocation;
  if (!b) return null;
  return {
    target: plainAddress(b.target),
    state: b.state.map((s) => ({ stateName: s.stateName, stateValue: plainTyped(s.stateValue ?? null) })),
    invocations: b.invocations.map((i) => ({ caller: plainAddress(i.caller), argument: plainTyped(i.argument) })),
  };
}

function plainAddress(a: WireAddress | null | undefined): WireAddress | null {
  return a ? { namespace: a.namespace, type: a.type, id: a.id } : null;
}

/** A TypedValue as read, its bytes (`value`, absent meaning none) as hex. */
function plainTyped(v: WireTypedValue | null | undefined): { typename: string; hasValue: boolean; value: string } | null {
  return v ? { typename: v.typename, hasValue: v.hasValue, value: Buffer.from(v.value ?? []).toString("hex") } : null;
}

/**
 * The own enumerable properties, recursively: what jest's toEqual, Object.keys and a spread
 * see. Ours sets a field as an own property exactly when protobufjs does (defaults come from
 * the prototype), so code and tests written against protobufjs' objects see the same.
 */
function ownProperties(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return { bytes: x.toString("hex") };
  if (Array.isArray(x)) return x.map(ownProperties);
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.keys(x).sort().map((k) => [k, ownProperties((x as Record<string, unknown>)[k])]));
  }
  return x;
}

/** What ours promises beyond protobufjs' reading: exact types, Buffers viewing the input. */
function checkShape(m: WireToFunction, input: Buffer): void {
  const strings = (...xs: unknown[]) => xs.forEach((x) => expect(typeof x).toBe("string"));
  const typed = (v: WireTypedValue | null | undefined) => {
    if (v === null) return;
    expect(v).toBeDefined();
    strings(v!.typename);
    expect(typeof v!.hasValue).toBe("boolean");
    if (v!.value !== undefined) {
      expect(Buffer.isBuffer(v!.value)).toBe(true);
      expect(v!.value.length).toBeGreaterThan(0);
      expect(v!.value.buffer).toBe(input.buffer); // zero-copy
    }
  };
  const address = (a: WireAddress | null | undefined) => {
    if (a !== null) strings(a!.namespace, a!.type, a!.id);
  };
  const b = m.invocation;
  if (b === null) return;
  expect(b).toBeDefined();
  address(b!.target);
  expect(Array.isArray(b!.state) && Array.isArray(b!.invocations)).toBe(true);
  for (const s of b!.state) {
    strings(s.stateName);
    typed(s.stateValue);
  }
  for (const i of b!.invocations) {
    address(i.caller);
    typed(i.argument);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function attempt(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Both decoders on one input: the same request, or both throwing (ours a plain Error). */
function compareDecode(input: Buffer): Outcome {
  const theirs = attempt(() => {
    const m = protobufjsDecode(input);
    return { read: normalize(m), own: ownProperties(m) };
  });
  const ours = attempt(() => decodeToFunction(input));
  if (!theirs.ok) {
    expect(ours.ok).toBe(false);
    if (!ours.ok) {
      expect(ours.error).toBeInstanceOf(Error);
      expect((ours.error as Error).constructor).toBe(Error); // not a RangeError/TypeError
      expect((ours.error as Error).message.length).toBeLessThan(200);
    }
  } else {
    if (!ours.ok) throw new Error(`ours threw where protobufjs decoded: ${String(ours.error)}`);
    expect({ read: normalize(ours.value as WireToFunction), own: ownProperties(ours.value) }).toEqual(theirs.value);
    checkShape(ours.value as WireToFunction, input);
  }
  return theirs;
}

/** Bytes in a Buffer that does not start its ArrayBuffer (as a pooled request body does). */
function body(bytes: Bytes): Buffer {
  const backing = Buffer.alloc(bytes.length + 16);
  backing.set(bytes, 7);
  return backing.subarray(7, 7 + bytes.length);
}

// ------------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------------

/** Typed as codec.ts' two functions: a drop-in for them (checked by the compiler). */
const asCodec: { decode: (bytes: Buffer) => WireToFunction; encode: (message: WireFromFunction) => Buffer } = {
  decode: decodeToFunction,
  encode: encodeFromFunction,
};

test("has the signatures of codec.ts' decodeToFunction and encodeFromFunction", () => {
  expect(asCodec.decode(Buffer.alloc(0)).invocation).toBeNull();
  const empty = { stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] };
  expect(asCodec.encode({ invocationResult: empty })).toEqual(Buffer.from([0xa2, 0x06, 0x00]));
});

describe("decodeToFunction", () => {
  it("decodes random ToFunction bytes exactly as protobufjs does, and fails exactly when it fails", () => {
    let decoded = 0;
    fc.assert(
      fc.property(toFunctionBytes, (bytes) => {
        if (compareDecode(body(bytes)).ok) decoded++;
      }),
      { numRuns: RUNS },
    );
    // Most generated messages must be valid (about two in three are), or the property would
    // mostly test errors.
    expect(decoded).toBeGreaterThan(RUNS / 2);
  });

  it("agrees with protobufjs on random mutations and truncations of valid messages", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
    );
    let failed = 0;
    fc.assert(
      fc.property(toFunctionBytes, fc.array(mutation, { minLength: 1, maxLength: 3 }), (bytes, mutations) => {
        const b = [...bytes];
        for (const m of mutations) {
          const at = m.at % (b.length + 1);
          if (m.kind === "truncate") b.length = at;
          else if (m.kind === "set") {
            if (b.length > 0) b[Math.min(at, b.length - 1)] = m.value;
          }
          else if (m.kind === "insert") b.splice(at, 0, m.value);
          else b.splice(at, 1);
        }
        if (!compareDecode(body(b)).ok) failed++;
      }),
      { numRuns: RUNS },
    );
    expect(failed).toBeGreaterThan(RUNS / 10);
  });

  const address = (ns: string, type: string, id: string): Bytes => [...lenField(1, utf8(ns)), ...lenField(2, utf8(type)), ...lenField(3, utf8(id))];
  const typed = (typename: string, value: Bytes): Bytes => [...lenField(1, utf8(typename)), 0x10, 0x01, ...lenField(3, value)];
  const request = (...batch: Bytes[]): Buffer => body(lenField(100, batch.flat()));

  /** Decodes with both and returns ours, after checking they agree. */
  function both(input: Buffer): WireToFunction {
    const theirs = compareDecode(input);
    expect(theirs.ok).toBe(true);
    return decodeToFunction(input);
  }

  it("leaves absent things absent (no batch, target, state value, caller), an all-empty caller present", () => {
    expect(both(body([])).invocation).toBeNull();
    const m = both(
      request(
        lenField(2, lenField(1, utf8("seen"))),
        lenField(3, lenField(2, typed("t/x", []))),
        lenField(3, [...lenField(1, []), ...lenField(2, typed("t/x", [1]))]),
      ),
    );
    const b = m.invocation!;
    expect(b.target).toBeNull();
    expect(b.state[0].stateName).toBe("seen");
    expect(b.state[0].stateValue).toBeNull();
    expect(b.invocations[0].caller).toBeNull();
    expect(plainTyped(b.invocations[0].argument)).toEqual({ typename: "t/x", hasValue: true, value: "" });
    expect(b.invocations[0].argument!.value).toBeUndefined();
    expect(plainAddress(b.invocations[1].caller)).toEqual({ namespace: "", type: "", id: "" });
    // and, as in protobufjs' objects, only what the request set is an own property
    expect(b.invocations[1].caller).toEqual({});
    expect(b.invocations[0]).toEqual({ argument: { typename: "t/x", hasValue: true } });
  });

  it("takes the last of a repeated scalar field, an empty one resetting it, as protobufjs does", () => {
    const m = both(request(lenField(1, [...lenField(1, utf8("a")), ...lenField(3, utf8("x")), ...lenField(1, utf8("b")), ...lenField(3, [])])));
    expect(plainAddress(m.invocation!.target)).toEqual({ namespace: "b", type: "", id: "" });
    const v = both(request(lenField(2, lenField(2, [0x10, 0x01, ...lenField(3, [9]), 0x10, 0x00, ...lenField(3, [])]))));
    expect(plainTyped(v.invocation!.state[0].stateValue)).toEqual({ typename: "", hasValue: false, value: "" });
    expect(v.invocation!.state[0].stateValue).toEqual({});
  });

  it("merges a repeated singular message field, as protobufjs (and protobuf) does", () => {
    // the target given twice: the second fills in what the first lacked
    const m = both(request(lenField(1, lenField(1, utf8("ns"))), lenField(1, lenField(3, utf8("id")))));
    expect(plainAddress(m.invocation!.target)).toEqual({ namespace: "ns", type: "", id: "id" });
    // an argument given twice: the typename of the first, the bytes of the second
    const a = both(request(lenField(3, [...lenField(2, typed("t/a", [1])), ...lenField(2, lenField(3, [7, 7]))])));
    expect(plainTyped(a.invocation!.invocations[0].argument)).toEqual({ typename: "t/a", hasValue: true, value: "0707" });
    // the batch (field 100) given twice: merged, its repeated fields appended
    const two = both(
      body([
        ...lenField(100, [...lenField(1, address("n", "t", "")), ...lenField(3, lenField(2, typed("t/a", [1])))]),
        ...lenField(100, [...lenField(1, lenField(3, utf8("i"))), ...lenField(3, lenField(2, typed("t/b", [2])))]),
      ]),
    );
    expect(plainAddress(two.invocation!.target)).toEqual({ namespace: "n", type: "t", id: "i" });
    expect(two.invocation!.invocations.map((i) => i.argument!.typename)).toEqual(["t/a", "t/b"]);
  });

  it("skips unknown fields of every wire type, groups nested, and known fields with another wire type", () => {
    const unknown = [
      ...tag(9, 0), ...varint(1n << 63n),
      ...tag(9, 0), ...Array<number>(19).fill(0x80), 0x00, // a 20-byte varint: protobufjs skips any length
      ...tag(10, 1), 1, 2, 3, 4, 5, 6, 7, 8,
      ...lenField(11, [1, 2, 3]),
      ...tag(12, 5), 1, 2, 3, 4,
      ...tag(13, 3), ...tag(14, 0), 1, ...tag(15, 3), ...tag(15, 4), ...lenField(16, [0]), ...tag(13, 4),
      ...tag(1, 0), 5, // a string or message field as a varint
      ...tag(2, 5), 0, 0, 0, 0,
    ];
    const packedBool = lenField(2, [0x01, 0x01]); // has_value as if repeated and packed: skipped
    const m = both(request(unknown, lenField(3, [...unknown, ...lenField(2, [...unknown, ...packedBool, ...typed("t/x", [3])])])));
    expect(plainTyped(m.invocation!.invocations[0].argument)).toEqual({ typename: "t/x", hasValue: true, value: "03" });
    const p = both(request(lenField(3, lenField(2, [...lenField(1, utf8("t/y")), ...packedBool]))));
    expect(plainTyped(p.invocation!.invocations[0].argument)).toEqual({ typename: "t/y", hasValue: false, value: "" });
  });

  it("rejects what protobufjs rejects", () => {
    const bad: Bytes[] = [
      [0x00, 0x00], // field number 0
      [...tag(5, 4)], // an end-group tag outside a group
      [...tag(5, 6), 0],
      [...tag(5, 7), 0],
      [...tag(5, 3), ...tag(6, 4)], // mismatched end group
      [...tag(5, 3), ...tag(6, 0), 1], // unterminated group
      [...tag(5, 3), 0x00, 0x00], // field 0 inside a group
      [0x80, 0x80, 0x80, 0x80, 0x10], // a tag's fifth byte above 0x0f
      [...tag(5, 2), 0x80, 0x80, 0x80, 0x80, 0x08], // a length's fifth byte above 0x07
      [...tag(5, 2), 0xff, 0xff, 0xff, 0xff, 0x07], // a length of 2^31 - 1 with nothing behind it
      [...tag(5, 2), 5, 1, 2], // a length past the end
      [...tag(5, 1), 1, 2, 3], // a truncated fixed64
      [...tag(5, 5), 1], // a truncated fixed32
      [...tag(5, 0), 0x80], // a truncated varint
      [0x80], // a truncated tag
      lenField(100, lenField(3, lenField(2, [0x10, ...Array<number>(10).fill(0x80), 0x01]))), // an 11-byte bool
      lenField(100, lenField(2, lenField(1, [0xc0, 0x80]))), // an overlong UTF-8 string
      lenField(100, lenField(1, lenField(2, [0xed, 0xa0, 0x80]))), // a UTF-16 surrogate in UTF-8
      lenField(100, [...lenField(1, []), 0x12]), // a truncated field in a sub-message
      [...lenField(100, [...tag(1, 2), 5]), 1, 2, 3, 4, 5], // a sub-message's field past its end
    ];
    for (const b of bad) {
      expect(compareDecode(body(b)).ok).toBe(false);
      expect(() => decodeToFunction(body(b))).toThrow(Error);
    }
  });

  it("nests unknown groups exactly as deep as protobufjs allows", () => {
    const nested = (depth: number, inner: Bytes): Bytes => {
      let b = inner;
      for (let d = 0; d < depth; d++) b = [...tag(5, 3), ...b, ...tag(5, 4)];
      return b;
    };
    let sawLimit = false;
    for (const inner of [[], [...tag(6, 0), 1]]) {
      for (const at of [(b: Bytes) => b, (b: Bytes) => lenField(100, lenField(3, lenField(2, b)))]) {
        for (let depth = 95; depth <= 104; depth++) {
          const ok = compareDecode(body(at(nested(depth, inner)))).ok;
          if (!ok) sawLimit = true;
        }
      }
    }
    expect(sawLimit).toBe(true);
  });

  it("decodes UTF-8 as protobufjs does: a BOM kept, huge and empty strings, the cache telling look-alikes apart", () => {
    const names = ["\uFEFFx", "", "abcd-1-wxyz", "abcd-2-wxyz", "abcd-1-wxyz", "é".repeat(20), "a".repeat(48), "a".repeat(49)];
    for (const name of names) {
      const m = both(request(lenField(2, lenField(1, utf8(name)))));
      expect(m.invocation!.state[0].stateName).toBe(name);
    }
    const huge = "\u{1F600}y".repeat(300_000);
    expect(both(request(lenField(1, lenField(3, utf8(huge))))).invocation!.target!.id).toBe(huge);
  });

  it("never confuses one interned string with another that shares its length and most bytes", () => {
    const names: string[] = [];
    // every printable character at the first, a middle and the last position: whatever the
    // cache's hash, some of these share a slot
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 47, 48]) {
      for (const at of new Set([0, n >> 1, n - 5, n - 4, n - 1].filter((i) => i >= 0))) {
        for (let c = 33; c < 127; c++) {
          const chars = Array.from({ length: n }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7) % 36]);
          chars[at] = String.fromCharCode(c);
          names.push(chars.join(""));
        }
      }
    }
    for (const order of [names, [...names].reverse()]) {
      const m = both(request(...order.map((n) => lenField(2, lenField(1, utf8(n))))));
      expect(m.invocation!.state.map((s) => s.stateName)).toEqual(order);
    }
  });

  it("makes its Buffer views through the public API where Buffer has no usable species", () => {
    const species = Object.getOwnPropertyDescriptor(Buffer, Symbol.species);
    expect(species).toBeDefined();
    Object.defineProperty(Buffer, Symbol.species, { configurable: true, get: () => undefined });
    try {
      jest.isolateModules(() => {
        const isolated = require("../../src/wire/reqreply") as typeof import("../../src/wire/reqreply");
        const input = body(lenField(100, lenField(2, [...lenField(1, utf8("s")), ...lenField(2, typed("t/x", [1, 2]))])));
        const m = isolated.decodeToFunction(input);
        const value = m.invocation!.state[0].stateValue!.value!;
        expect(Buffer.isBuffer(value)).toBe(true);
        expect(value.buffer).toBe(input.buffer);
        expect(normalize(m)).toEqual(normalize(protobufjsDecode(input)));
      });
    } finally {
      Object.defineProperty(Buffer, Symbol.species, species!);
    }
  });

  it("accepts a plain Uint8Array and still returns Buffers", () => {
    const bytes = lenField(100, lenField(2, [...lenField(1, utf8("s")), ...lenField(2, typed("t/x", [1, 2]))]));
    const m = decodeToFunction(new Uint8Array(bytes));
    expect(Buffer.isBuffer(m.invocation!.state[0].stateValue!.value)).toBe(true);
    expect(normalize(m)).toEqual(normalize(protobufjsDecode(Buffer.from(bytes))));
  });
});

// ------------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------------

/** A decoded reply as every reader sees it (int64 as decimal strings, bytes as hex). */
interface NAddress {
  namespace: string;
  type: string;
  id: string;
}
interface NTyped {
  typename: string;
  hasValue: boolean;
  value: string;
}
interface NReply {
  invocationResult: {
    stateMutations: { mutationType: number; stateName: string; stateValue: NTyped | null }[];
    outgoingMessages: { target: NAddress | null; argument: NTyped | null }[];
    delayedInvocations: {
      isCancellationRequest: boolean;
      cancellationToken: string;
      delayInMs: string;
      target: NAddress | null;
      argument: NTyped | null;
    }[];
    outgoingEgresses: { egressNamespace: string; egressType: string; argument: NTyped | null }[];
  } | null;
  incompleteInvocationContext: {
    missingValues: { stateName: string; typeTypename: string; expirationSpec: { mode: number; expireAfterMillis: string } | null }[];
  } | null;
}

// --- protobufjs ---------------------------------------------------------------------------------

/** A field of a protobufjs-decoded message: absent ones read their prototype default. */
type Decoded = Record<string, unknown>;

function pbjsReply(bytes: Uint8Array): NReply {
  const m = FromFunction.decode(bytes) as unknown as Decoded;
  const str = (x: unknown) => x as string;
  const hex = (x: unknown) => Buffer.from(x as Uint8Array).toString("hex");
  const long = (x: unknown) => String(x); // Long#toString: signed decimal
  const list = (x: unknown) => x as Decoded[];
  const address = (x: unknown): NAddress | null => {
    const a = x as Decoded | null;
    return a ? { namespace: str(a.namespace), type: str(a.type), id: str(a.id) } : null;
  };
  const typed = (x: unknown): NTyped | null => {
    const v = x as Decoded | null;
    return v ? { typename: str(v.typename), hasValue: v.hasValue as boolean, value: hex(v.value) } : null;
  };
  const r = m.invocationResult as Decoded | null;
  const c = m.incompleteInvocationContext as Decoded | null;
  return {
    invocationResult: r
      ? {
          stateMutations: list(r.stateMutations).map((s) => ({
            mutationType: s.mutationType as number,
            stateName: str(s.stateName),
            stateValue: typed(s.stateValue),
          })),
          outgoingMessages: list(r.outgoingMessages).map((o) => ({ target: address(o.target), argument: typed(o.argument) })),
          delayedInvocations: list(r.delayedInvocations).map((d) => ({
            isCancellationRequest: d.isCancellationRequest as boolean,
            cancellationToken: str(d.cancellationToken),
            delayInMs: long(d.delayInMs),
            target: address(d.target),
            argument: typed(d.argument),
          })),
          outgoingEgresses: list(r.outgoingEgresses).map((e) => ({
            egressNamespace: str(e.egressNamespace),
            egressType: str(e.egressType),
            argument: typed(e.argument),
          })),
        }
      : null,
    incompleteInvocationContext: c
      ? {
          missingValues: list(c.missingValues).map((s) => {
            const e = s.expirationSpec as Decoded | null;
            return {
              stateName: str(s.stateName),
              typeTypename: str(s.typeTypename),
              expirationSpec: e ? { mode: e.mode as number, expireAfterMillis: long(e.expireAfterMillis) } : null,
            };
          }),
        }
      : null,
  };
}

// --- google-protobuf: a reader on jspb.BinaryReader ---------------------------------------------

/** Reads the fields of one message, calling `field` for each known number (others skipped). */
function readFields(bytes: Uint8Array, field: (n: number, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.nextField()) {
    if (r.isEndGroup()) break;
    if (!field(r.getFieldNumber(), r)) r.skipField();
  }
}

const isLen = (r: BinaryReader) => r.getWireType() === 2;
const isVarint = (r: BinaryReader) => r.getWireType() === 0;

function jspbAddress(bytes: Uint8Array): NAddress {
  const a: NAddress = { namespace: "", type: "", id: "" };
  readFields(bytes, (n, r) => {
    if (!isLen(r)) return false;
    if (n === 1) a.namespace = r.readString();
    else if (n === 2) a.type = r.readString();
    else if (n === 3) a.id = r.readString();
    else return false;
    return true;
  });
  return a;
}

function jspbTyped(bytes: Uint8Array): NTyped {
  const v: NTyped = { typename: "", hasValue: false, value: "" };
  readFields(bytes, (n, r) => {
    if (n === 1 && isLen(r)) v.typename = r.readString();
    else if (n === 2 && isVarint(r)) v.hasValue = r.readBool();
    else if (n === 3 && isLen(r)) v.value = Buffer.from(r.readBytes()).toString("hex");
    else return false;
    return true;
  });
  return v;
}

function jspbReply(bytes: Uint8Array): NReply {
  const out: NReply = { invocationResult: null, incompleteInvocationContext: null };
  readFields(bytes, (n, r) => {
    if (!isLen(r)) return false;
    if (n === 100) {
      const res: NonNullable<NReply["invocationResult"]> = {
        stateMutations: [],
        outgoingMessages: [],
        delayedInvocations: [],
        outgoingEgresses: [],
      };
      readFields(r.readBytes(), (k, s) => {
        if (!isLen(s)) return false;
        const b = s.readBytes();
        if (k === 1) {
          const m = { mutationType: 0, stateName: "", stateValue: null as NTyped | null };
          readFields(b, (f, t) => {
            if (f === 1 && isVarint(t)) m.mutationType = t.readEnum();
            else if (f === 2 && isLen(t)) m.stateName = t.readString();
            else if (f === 3 && isLen(t)) m.stateValue = jspbTyped(t.readBytes());
            else return false;
            return true;
          });
          res.stateMutations.push(m);
        } else if (k === 2) {
          const m = { target: null as NAddress | null, argument: null as NTyped | null };
          readFields(b, (f, t) => {
            if (f === 1 && isLen(t)) m.target = jspbAddress(t.readBytes());
            else if (f === 2 && isLen(t)) m.argument = jspbTyped(t.readBytes());
            else return false;
            return true;
          });
          res.outgoingMessages.push(m);
        } else if (k === 3) {
          const m = {
            isCancellationRequest: false,
            cancellationToken: "",
            delayInMs: "0",
            target: null as NAddress | null,
            argument: null as NTyped | null,
          };
          readFields(b, (f, t) => {
            if (f === 10 && isVarint(t)) m.isCancellationRequest = t.readBool();
            else if (f === 11 && isLen(t)) m.cancellationToken = t.readString();
            else if (f === 1 && isVarint(t)) m.delayInMs = t.readInt64String();
            else if (f === 2 && isLen(t)) m.target = jspbAddress(t.readBytes());
            else if (f === 3 && isLen(t)) m.argument = jspbTyped(t.readBytes());
            else return false;
            return true;
          });
          res.delayedInvocations.push(m);
        } else if (k === 4) {
          const m = { egressNamespace: "", egressType: "", argument: null as NTyped | null };
          readFields(b, (f, t) => {
            if (!isLen(t)) return false;
            if (f === 1) m.egressNamespace = t.readString();
            else if (f === 2) m.egressType = t.readString();
            else if (f === 3) m.argument = jspbTyped(t.readBytes());
            else return false;
            return true;
          });
          res.outgoingEgresses.push(m);
        } else {
          return false;
        }
        return true;
      });
      // oneof `response`: the last member read wins, as in generated code
      out.invocationResult = res;
      out.incompleteInvocationContext = null;
      return true;
    }
    if (n === 101) {
      const ctx: NonNullable<NReply["incompleteInvocationContext"]> = { missingValues: [] };
      readFields(r.readBytes(), (k, s) => {
        if (k !== 1 || !isLen(s)) return false;
        const spec = {
          stateName: "",
          typeTypename: "",
          expirationSpec: null as { mode: number; expireAfterMillis: string } | null,
        };
        readFields(s.readBytes(), (f, t) => {
          if (f === 1 && isLen(t)) spec.stateName = t.readString();
          else if (f === 3 && isLen(t)) spec.typeTypename = t.readString();
          else if (f === 2 && isLen(t)) {
            const e = { mode: 0, expireAfterMillis: "0" };
            readFields(t.readBytes(), (g, u) => {
              if (g === 1 && isVarint(u)) e.mode = u.readEnum();
              else if (g === 2 && isVarint(u)) e.expireAfterMillis = u.readInt64String();
              else return false;
              return true;
            });
            spec.expirationSpec = e;
          } else return false;
          return true;
        });
        ctx.missingValues.push(spec);
        return true;
      });
      out.incompleteInvocationContext = ctx;
      out.invocationResult = null;
      return true;
    }
    return false;
  });
  return out;
}

// --- what the object means ------------------------------------------------------------------

/** protobufjs' int64 of a number: the magnitude truncated, modulo 2^64, negated; 0 for NaN/±∞. */
function int64(v: number | undefined | null): string {
  if (v == null || !Number.isFinite(v)) return "0";
  const magnitude = BigInt.asUintN(64, BigInt(Math.trunc(Math.abs(v))));
  return BigInt.asIntN(64, v < 0 ? -magnitude : magnitude).toString();
}

function expected(m: WireFromFunction): NReply {
  const s = (x: string | null | undefined) => (x == null ? "" : x.toWellFormed());
  const address = (a: WireAddress | null | undefined): NAddress | null =>
    a == null ? null : { namespace: s(a.namespace), type: s(a.type), id: s(a.id) };
  const typed = (v: WireTypedValue | null | undefined): NTyped | null =>
    v == null ? null : { typename: s(v.typename), hasValue: v.hasValue == null ? false : Boolean(v.hasValue), value: Buffer.from(v.value ?? []).toString("hex") };
  const int32 = (x: number | null | undefined) => (x == null ? 0 : x | 0);
  const r = m.invocationResult;
  const c = m.incompleteInvocationContext;
  return {
    // both members of the oneof set: decoders keep the later one (field 101)
    invocationResult:
      r != null && c == null
        ? {
            stateMutations: (r.stateMutations ?? []).map((x) => ({
              mutationType: int32(x.mutationType),
              stateName: s(x.stateName),
              stateValue: typed(x.stateValue),
            })),
            outgoingMessages: (r.outgoingMessages ?? []).map((x) => ({ target: address(x.target), argument: typed(x.argument) })),
            delayedInvocations: (r.delayedInvocations ?? []).map((x) => ({
              isCancellationRequest: x.isCancellationRequest == null ? false : Boolean(x.isCancellationRequest),
              cancellationToken: s(x.cancellationToken),
              delayInMs: int64(x.delayInMs),
              target: address(x.target),
              argument: typed(x.argument),
            })),
            outgoingEgresses: (r.outgoingEgresses ?? []).map((x) => ({
              egressNamespace: s(x.egressNamespace),
              egressType: s(x.egressType),
              argument: typed(x.argument),
            })),
          }
        : null,
    incompleteInvocationContext:
      c != null
        ? {
            missingValues: (c.missingValues ?? []).map((x) => ({
              stateName: s(x.stateName),
              typeTypename: s(x.typeTypename),
              expirationSpec:
                x.expirationSpec == null
                  ? null
                  : { mode: int32(x.expirationSpec.mode), expireAfterMillis: int64(x.expirationSpec.expireAfterMillis) },
            })),
          }
        : null,
  };
}

// --- random replies ---------------------------------------------------------------------------

/** A property that may be absent, undefined, null (all three left out) or set. */
function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined | null> {
  return fc.oneof({ weight: 8, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(null) });
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** UTF-16 units at the edges of UTF-8's 1-, 2-, 3- and 4-byte forms, and of the surrogates. */
const EDGE_UNITS = [0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfeff, 0xfffd, 0xffff].map((c) =>
  String.fromCharCode(c),
);
const edgeText = fc.string({ unit: fc.oneof(fc.constantFrom(...EDGE_UNITS, "\u{10000}", "\u{10FFFF}"), fc.constant("a")), maxLength: 10 });

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES, "") },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }), loneSurrogate), maxLength: 12 }) },
  { weight: 2, arbitrary: edgeText },
  { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", minLength: 50, maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 60, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(100_000), "é\ud800".repeat(20_000)) },
);

const bytesValue: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 20_000 }).map((a) => Buffer.from(a)) },
);

const int64Number: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) },
  { weight: 2, arbitrary: fc.maxSafeInteger() },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0, -0, 1, -1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
      2 ** 63, -(2 ** 63), 2 ** 64, 2 ** 64 + 2 ** 12, 2 ** 70, 1e300, -1e300, 0.5, 1.5, -1.5, -0.5,
      Number.MIN_VALUE, NaN, Infinity, -Infinity,
    ),
  },
  { weight: 2, arbitrary: fc.double() },
);

const enumNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 2) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(-0, 2 ** 31, 2 ** 32, 2 ** 32 + 1, -(2 ** 31) - 1, 1.5, -1.5, NaN, Infinity) },
);

const address: fc.Arbitrary<WireAddress> = fc.record(
  { namespace: optional(text), type: optional(text), id: optional(text) },
  { requiredKeys: [] },
) as fc.Arbitrary<unknown> as fc.Arbitrary<WireAddress>;

const typedValue: fc.Arbitrary<WireTypedValue> = fc.record(
  { typename: optional(text), hasValue: optional(fc.boolean()), value: optional(bytesValue) },
  { requiredKeys: [] },
) as fc.Arbitrary<unknown> as fc.Arbitrary<WireTypedValue>;

const reply: fc.Arbitrary<WireFromFunction> = fc.record(
  {
    invocationResult: optional(
      fc.record(
        {
          stateMutations: optional(
            fc.array(fc.record({ mutationType: optional(enumNumber), stateName: optional(text), stateValue: optional(typedValue) }, { requiredKeys: [] }), { maxLength: 4 }),
          ),
          outgoingMessages: optional(fc.array(fc.record({ target: optional(address), argument: optional(typedValue) }, { requiredKeys: [] }), { maxLength: 4 })),
          delayedInvocations: optional(
            fc.array(
              fc.record(
                {
                  isCancellationRequest: optional(fc.boolean()),
                  cancellationToken: optional(text),
                  delayInMs: optional(int64Number),
                  target: optional(address),
                  argument: optional(typedValue),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 3 },
            ),
          ),
          outgoingEgresses: optional(
            fc.array(fc.record({ egressNamespace: optional(text), egressType: optional(text), argument: optional(typedValue) }, { requiredKeys: [] }), { maxLength: 3 }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    incompleteInvocationContext: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.record(
          {
            missingValues: optional(
              fc.array(
                fc.record(
                  {
                    stateName: optional(text),
                    typeTypename: optional(text),
                    expirationSpec: optional(fc.record({ mode: optional(enumNumber), expireAfterMillis: optional(int64Number) }, { requiredKeys: [] })),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 4 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<unknown> as fc.Arbitrary<WireFromFunction>;

/** Ours, byte for byte protobufjs', read the same by both decoders, as the object means. */
function compareEncode(m: WireFromFunction): void {
  const ours = encodeFromFunction(m);
  const theirs = protobufjsEncode(m);
  expect(Buffer.isBuffer(ours)).toBe(true);
  if (!ours.equals(theirs)) {
    throw new Error(`bytes differ:\n ours       ${ours.toString("hex").slice(0, 400)}\n protobufjs ${theirs.toString("hex").slice(0, 400)}`);
  }
  const viaProtobufjs = pbjsReply(ours);
  expect(jspbReply(ours)).toEqual(viaProtobufjs);
  expect(viaProtobufjs).toEqual(expected(m));
}

describe("encodeFromFunction", () => {
  it("writes protobufjs' bytes for random replies, and both protobufjs and google-protobuf read them back", () => {
    fc.assert(fc.property(reply, compareEncode), { numRuns: RUNS });
  });

  it("writes the replies the request path builds, defaults left out", () => {
    const tv = (typename: string, bytes: number[]): WireTypedValue =>
      bytes.length === 0 ? { typename, hasValue: true } : { typename, hasValue: true, value: Buffer.from(bytes) };
    const cases: WireFromFunction[] = [
      { invocationResult: { stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] } },
      {
        invocationResult: {
          stateMutations: [{ stateName: "gone" }, { mutationType: 1, stateName: "seen", stateValue: tv("io.statefun.types/int", [0x0d, 1, 0, 0, 0]) }],
          outgoingMessages: [{ target: { namespace: "bench", type: "sink", id: "user-1" }, argument: tv("io.statefun.types/string", []) }],
          delayedInvocations: [
            { delayInMs: 1500, target: { namespace: "a", type: "b", id: "\ud800" }, argument: tv("t/x", [1]), cancellationToken: "tok" },
            { delayInMs: 2 ** 53 + 2, target: { namespace: "a", type: "b", id: "" }, argument: tv("t/x", [1]) },
            { isCancellationRequest: true, cancellationToken: "tok" },
          ],
          outgoingEgresses: [{ egressNamespace: "e", egressType: "kafka", argument: tv("type.googleapis.com/x", [1, 2]) }],
        },
      },
      {
        incompleteInvocationContext: {
          missingValues: [
            { stateName: "a", typeTypename: "t/a" },
            { stateName: "b", typeTypename: "t/b", expirationSpec: { mode: 1, expireAfterMillis: 60_000 } },
            { stateName: "c", typeTypename: "t/c", expirationSpec: { mode: 2, expireAfterMillis: 2 ** 40 } },
          ],
        },
      },
    ];
    for (const c of cases) compareEncode(c);
  });

  it("keeps little slack: ASCII replies sized exactly, others copied out of a bound too large", () => {
    for (const name of ["k".repeat(200_000), `é${"k".repeat(200_000)}`, "ü".repeat(100_000)]) {
      const m: WireFromFunction = {
        invocationResult: { stateMutations: [{ stateName: name }], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] },
      };
      const out = encodeFromFunction(m);
      const slack = out.buffer.byteLength - out.length;
      expect(slack <= 64 * 1024 || slack <= out.length).toBe(true);
      if (/^k+$/.test(name)) expect(slack).toBe(0);
      compareEncode(m);
    }
  });

});
