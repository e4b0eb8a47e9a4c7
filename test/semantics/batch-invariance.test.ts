/**
 * A function's result must not depend on where the cluster cuts batches (PROTOCOL.md). Each
 * case here runs the same invocations as one batch and as one batch each, carrying state as
 * the cluster does, and requires the same final state bytes and the same effects; each also
 * checks what the function read, so a case fails on an SDK that keeps assigned values instead
 * of what the state holds.
 */
import { inspect } from "node:util";
import protobuf from "protobufjs";
import { StateFun, type Context, type Type } from "../../src";
import { typedValue } from "../../src/wire/codec";
import { addr, tv } from "../requests";
import { runBatches, wholeAndSplit, type Outcome } from "./carry";

const FN = "test/fn";
const target = addr(FN, "x");
type Storage = Record<string, unknown>;
type Step = (s: Storage, i: number, ctx: Context<Storage>) => unknown;

/** A function whose invocation `i` (the message is its index) runs `step` and reports what it returns. */
function fnWith(state: Record<string, Type<unknown>>, step: Step): StateFun {
  return new StateFun().bind({
    typename: FN,
    state,
    fn(ctx, msg) {
      const i = msg.asInt() as number;
      const seen = step(ctx.storage as Storage, i, ctx as unknown as Context<Storage>);
      if (seen !== undefined) ctx.send({ typename: "test/echo", id: String(i), value: inspect(seen, { depth: null }) });
    },
  });
}

const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ argument: tv(StateFun.intType(), i) }));

/** Runs n invocations whole and split; expects both to agree and returns the whole run. */
async function invariant(sf: StateFun, n: number): Promise<Outcome> {
  const { whole, split } = wholeAndSplit(n);
  const one = await runBatches(sf, target, calls(n), whole);
  const each = await runBatches(sf, target, calls(n), split);
  expect(one.state).toEqual(each.state);
  expect(one.effects).toEqual(each.effects);
  return one;
}

/** The values the function reported, in order. */
const echoed = (o: Outcome): string[] =>
  o.effects.map((e) => StateFun.stringType().deserialize(Buffer.from(e.slice(e.lastIndexOf(":") + 1), "hex")));

describe("built-in types read what their bytes hold, from the write on", () => {
  test("float: ten times v = v + 0.1 is the float32 sum in one batch as split, and v === 0.1 is false", async () => {
    const sf = fnWith({ v: StateFun.floatType() }, (s, i) => {
      s.v = ((s.v as number | null) ?? 0) + 0.1;
      return i === 0 ? s.v === 0.1 : i === 9 ? s.v : undefined;
    });
    const out = await invariant(sf, 10);
    expect(echoed(out)).toEqual(["false", String(Math.fround(1.0000001))]);
  });

  test("float: 3.4028235e38, how Java prints Float.MAX_VALUE, is a float (it rounds to it)", async () => {
    const sf = fnWith({ v: StateFun.floatType() }, (s) => {
      s.v = 3.4028235e38;
      return s.v;
    });
    expect(echoed(await invariant(sf, 1))).toEqual(["3.4028234663852886e+38"]);
    expect(() => StateFun.floatType().serialize(3.5e38)).toThrow(/too large for a 32-bit float/);
  });

  test("long: v = 5 then v + 1n works in one batch as split (a long is always a bigint)", async () => {
    const sf = fnWith({ v: StateFun.longType() }, (s, i) => {
      if (i === 0) s.v = 5;
      else s.v = (s.v as bigint) + 1n;
      return s.v;
    });
    expect(echoed(await invariant(sf, 2))).toEqual(["5n", "6n"]);
  });

  test("string: appending the two halves of a surrogate pair gives two U+FFFD in one batch as split", async () => {
    const halves = ["\uD83D", "\uDE00"];
    const sf = fnWith({ v: StateFun.stringType() }, (s, i) => {
      s.v = ((s.v as string | null) ?? "") + halves[i];
      return s.v;
    });
    expect(echoed(await invariant(sf, 2))).toEqual([inspect("\uFFFD"), inspect("\uFFFD\uFFFD")]);
  });

  test.each([
    ["int", StateFun.intType()],
    ["float", StateFun.floatType()],
    ["double", StateFun.doubleType()],
  ])("%s: -0 reads as 0, as the wire holds it, right after the write and in the next invocation", async (_name, type) => {
    const sf = fnWith({ v: type as Type<unknown> }, (s, i) => {
      if (i === 0) s.v = -0;
      return Object.is(s.v, -0);
    });
    expect(echoed(await invariant(sf, 2))).toEqual(["false", "false"]);
  });
});

describe("JSON state: the next invocation reads what JSON text holds", () => {
  const J = StateFun.jsonType<unknown>("test/J");

  test("-0 reads as 0", async () => {
    const sf = fnWith({ j: J }, (s, i) => {
      if (i === 0) s.j = { n: -0 };
      return i === 1 ? Object.is((s.j as { n: number }).n, -0) : undefined;
    });
    expect(echoed(await invariant(sf, 2))).toEqual(["false"]);
  });

  test("a Date becomes its ISO string, NaN becomes null, an undefined field is gone", async () => {
    const sf = fnWith({ j: J }, (s, i) => {
      if (i === 0) s.j = { when: new Date(Date.UTC(2026, 11, 1)), ratio: NaN, gone: undefined, list: [undefined, NaN] };
      return i === 1 ? s.j : undefined;
    });
    expect(echoed(await invariant(sf, 2))).toEqual([inspect({ when: "2026-12-01T00:00:00.000Z", ratio: null, list: [null, null] })]);
  });

  test("two states assigned the same object are independent in the next invocation", async () => {
    const sf = fnWith({ a: J, b: J }, (s, i) => {
      if (i === 0) {
        const shared = { n: 1 };
        s.a = shared;
        s.b = shared;
        return undefined;
      }
      (s.a as { n: number }).n = 2;
      return [s.a === s.b, s.b];
    });
    expect(echoed(await invariant(sf, 2))).toEqual([inspect([false, { n: 1 }])]);
  });

  test("an object assigned and then edited is saved, and read fresh by the next invocation", async () => {
    const sf = fnWith({ j: J }, (s, i) => {
      if (i === 0) {
        const o = { items: ["a"] };
        s.j = o;
        o.items.push("b");
        return undefined;
      }
      (s.j as { items: string[] }).items.push(String(i));
      return s.j;
    });
    const out = await invariant(sf, 3);
    expect(echoed(out)).toEqual([inspect({ items: ["a", "b", "1"] }), inspect({ items: ["a", "b", "1", "2"] })]);
    expect(out.state.j).toBe(`test/J:${Buffer.from('{"items":["a","b","1","2"]}').toString("hex")}`);
  });

  test("within one invocation every read returns the same object", async () => {
    const sf = fnWith({ j: J }, (s, i) => {
      if (i === 0) s.j = { n: 0 };
      return s.j === s.j;
    });
    expect(echoed(await invariant(sf, 3))).toEqual(["true", "true", "true"]);
  });
});

describe("protobuf state", () => {
  const root = protobuf.Root.fromJSON({
    nested: { test: { nested: { Point: { fields: { x: { type: "int32", id: 1 }, tags: { rule: "repeated", type: "string", id: 2 } } } } } },
  });
  const Point = root.lookupType("test.Point");
  const P = StateFun.protoType<protobuf.Message & { x: number; tags: string[] }>(Point as never);

  test("edits in place are saved and the next invocation reads a fresh message", async () => {
    const sf = fnWith({ p: P as Type<unknown> }, (s, i) => {
      if (i === 0) s.p = Point.create({ x: 1, tags: [] });
      const p = s.p as { x: number; tags: string[] };
      p.x += 1;
      p.tags.push(`t${i}`);
      return [p.x, [...p.tags]];
    });
    const out = await invariant(sf, 3);
    expect(echoed(out)).toEqual([inspect([2, ["t0"]]), inspect([3, ["t0", "t1"]]), inspect([4, ["t0", "t1", "t2"]])]);
  });
});

describe("reading a state never fails the batch", () => {
  test("a JSON state nested too deeply for JSON.stringify, only read, yields no mutation", async () => {
    const depth = 20_000;
    const deep = Buffer.from("[".repeat(depth) + "]".repeat(depth));
    const J = StateFun.jsonType<unknown>("test/Deep");
    expect(() => J.serialize(J.deserialize(deep))).toThrow(/JSON.stringify failed/);
    const sf = fnWith({ j: J }, (s) => void s.j);
    const initial = { j: typedValue("test/Deep", deep) };
    const one = await runBatches(sf, target, calls(3), [3], initial);
    const each = await runBatches(sf, target, calls(3), [1, 1, 1], initial);
    expect(one.state).toEqual(each.state);
    expect(one.state.j).toBe(`test/Deep:${deep.toString("hex")}`);
  });

  test("editing such a state in place fails the batch with the encoding error, naming the state", async () => {
    const depth = 20_000;
    const deep = Buffer.from("[".repeat(depth) + "]".repeat(depth));
    const J = StateFun.jsonType<unknown>("test/Deep");
    const sf = fnWith({ j: J }, (s) => void (s.j as unknown[]).push(1));
    await expect(runBatches(sf, target, calls(1), [1], { j: typedValue("test/Deep", deep) })).rejects.toThrow(
      /state "j" of test\/fn\("x"\): test\/Deep cannot encode .*JSON.stringify failed/,
    );
  });
});

describe("cost: a batch of one does no extra work, an edit in place costs about what a replacement does", () => {
  let decodes = 0;
  let encodes = 0;
  const Counted = StateFun.customType<{ n: number }>(
    "test/Counted",
    (v) => (encodes++, Buffer.from(JSON.stringify(v))),
    (b) => (decodes++, JSON.parse(b.toString()) as { n: number }),
  );
  const initial = { c: typedValue("test/Counted", Buffer.from('{"n":0}')) };
  beforeEach(() => {
    decodes = 0;
    encodes = 0;
  });

  test("one invocation that only reads: one decode and one encode (to see whether it was edited)", async () => {
    const sf = fnWith({ c: Counted as Type<unknown> }, (s) => void s.c);
    await runBatches(sf, target, calls(1), [1], initial);
    expect([decodes, encodes]).toEqual([1, 1]);
  });

  test("a state edited in place batch after batch: from the second batch on, one decode and two encodes", async () => {
    const sf = fnWith({ c: Counted as Type<unknown> }, (s) => void (s.c as { n: number }).n++);
    await runBatches(sf, target, calls(1), [1], initial);
    // First time: the stored bytes are decoded and encoded again to tell an edit from another
    // SDK's formatting of the same value.
    expect([decodes, encodes]).toEqual([2, 2]);
    decodes = encodes = 0;
    await runBatches(sf, target, calls(1), [1], initial);
    // Known to be edited in place: encoded once at the read, while certainly unedited.
    expect([decodes, encodes]).toEqual([1, 2]);
  });

  test("a replacement: one decode (the read) and one encode", async () => {
    const sf = fnWith({ c: Counted as Type<unknown> }, (s) => void (s.c = { n: (s.c as { n: number }).n + 1 }));
    await runBatches(sf, target, calls(1), [1], initial);
    expect([decodes, encodes]).toEqual([1, 1]);
  });
});
