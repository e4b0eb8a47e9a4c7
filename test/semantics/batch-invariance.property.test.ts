/**
 * The batch-invariance property (PROTOCOL.md, "What a function may rely on"): generated
 * sequences of invocations over every built-in type, JSON (with values JSON text cannot hold:
 * Dates, NaN, undefined, -0, lone surrogates, shared objects) and protobuf state, run as one
 * batch, one batch each and at random cuts, with state carried between requests from the
 * replies and the missing-state handshake answered as the runtime does. Every run must leave
 * the same state bytes and produce the same effects, including what each invocation read.
 */
import { inspect } from "node:util";
import fc from "fast-check";
import protobuf from "protobufjs";
import { StateFun } from "../../src";
import { addr, tv } from "../requests";
import { runBatches } from "./carry";

const FN = "test/prop";
const target = addr(FN, "p");

const root = protobuf.Root.fromJSON({
  nested: {
    test: {
      nested: {
        Item: {
          fields: {
            n: { type: "int32", id: 1 },
            label: { type: "string", id: 2 },
            tags: { rule: "repeated", type: "string", id: 3 },
          },
        },
      },
    },
  },
});
const Item = root.lookupType("test.Item");
type ItemValue = { n: number; label: string; tags: string[] };

const STATE = {
  i: StateFun.intType(),
  l: StateFun.longType(),
  f: StateFun.floatType(),
  d: StateFun.doubleType(),
  b: StateFun.booleanType(),
  s: StateFun.stringType(),
  j: StateFun.jsonType<unknown>("test/J"),
  k: StateFun.jsonType<unknown>("test/K"),
  p: StateFun.protoType<ItemValue>(Item as never),
} as const;
type Name = keyof typeof STATE;
const NAMES = Object.keys(STATE) as Name[];

/** A JS value to put into JSON state, described so that the test can build it afresh each time. */
type Leaf =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "bool"; v: boolean }
  | { k: "null" }
  | { k: "undefined" }
  | { k: "date"; ms: number };
type Tree = Leaf | { k: "arr"; items: Tree[] } | { k: "obj"; entries: [string, Tree][] };

function build(t: Tree): unknown {
  switch (t.k) {
    case "num":
    case "str":
    case "bool":
      return t.v;
    case "null":
      return null;
    case "undefined":
      return undefined;
    case "date":
      return new Date(t.ms);
    case "arr":
      return t.items.map(build);
    case "obj":
      return Object.fromEntries(t.entries.map(([key, v]) => [key, build(v)]));
  }
}

/** Strings with lone surrogates, halves of pairs and plain text. */
const textArb = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", "\uD83D", "\uDE00", "😀", "a\uD800b", "ü"),
  fc.string({ unit: "binary", maxLength: 4 }),
);
const numberArb = fc.oneof(
  fc.double(),
  fc.constantFrom(-0, 0, 0.1, NaN, Infinity, -Infinity, 1e300, 3.4028235e38, 2 ** 31, -(2 ** 31)),
  fc.integer(),
);
const leafArb: fc.Arbitrary<Leaf> = fc.oneof(
  numberArb.map((v) => ({ k: "num" as const, v })),
  textArb.map((v) => ({ k: "str" as const, v })),
  fc.boolean().map((v) => ({ k: "bool" as const, v })),
  fc.constant({ k: "null" as const }),
  fc.constant({ k: "undefined" as const }),
  fc.integer({ min: 0, max: 4e12 }).map((ms) => ({ k: "date" as const, ms })),
);
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.array(tie("tree"), { maxLength: 3 }).map((items) => ({ k: "arr" as const, items })),
    fc.array(fc.tuple(fc.constantFrom("a", "b", "1", "0", "x y", "\uD83D"), tie("tree")), { maxLength: 3 }).map((entries) => ({ k: "obj" as const, entries })),
  ),
})).tree;

/** What one invocation does; every op is one a valid function may do (none throws). */
type Op =
  | { op: "read"; name: Name }
  | { op: "delete"; name: Name }
  | { op: "setInt"; v: number }
  | { op: "addInt"; v: number }
  | { op: "setLong"; v: bigint | number }
  | { op: "addLong"; v: bigint }
  | { op: "setFloat"; v: number }
  | { op: "addFloat"; v: number }
  | { op: "setDouble"; v: number }
  | { op: "addDouble"; v: number }
  | { op: "toggle" }
  | { op: "setString"; v: string }
  | { op: "append"; v: string }
  | { op: "setJson"; name: "j" | "k"; tree: Tree }
  | { op: "editJson"; name: "j" | "k"; key: string; tree: Tree }
  | { op: "alias" }
  | { op: "setItem"; n: number; label: string }
  | { op: "editItem"; n: number; tag: string };

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES).map((name) => ({ op: "read" as const, name })) },
  fc.constantFrom(...NAMES).map((name) => ({ op: "delete" as const, name })),
  int32.map((v) => ({ op: "setInt" as const, v })),
  int32.map((v) => ({ op: "addInt" as const, v })),
  fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.maxSafeInteger(), fc.constant(-0)).map((v) => ({ op: "setLong" as const, v })),
  fc.bigInt({ min: -1000n, max: 1000n }).map((v) => ({ op: "addLong" as const, v })),
  fc.oneof(fc.float(), fc.double({ min: -3e38, max: 3e38 }), fc.constantFrom(0.1, -0, NaN, 3.4028235e38)).map((v) => ({ op: "setFloat" as const, v })),
  fc.constantFrom(0.1, 0.3, -0.7, 1e-8).map((v) => ({ op: "addFloat" as const, v })),
  numberArb.map((v) => ({ op: "setDouble" as const, v })),
  fc.constantFrom(0.1, 0.2, -0).map((v) => ({ op: "addDouble" as const, v })),
  fc.constant({ op: "toggle" as const }),
  textArb.map((v) => ({ op: "setString" as const, v })),
  textArb.map((v) => ({ op: "append" as const, v })),
  { weight: 3, arbitrary: fc.record({ op: fc.constant("setJson" as const), name: fc.constantFrom("j" as const, "k" as const), tree: treeArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("editJson" as const), name: fc.constantFrom("j" as const, "k" as const), key: fc.constantFrom("a", "b", "1"), tree: treeArb }) },
  fc.constant({ op: "alias" as const }),
  fc.record({ op: fc.constant("setItem" as const), n: int32, label: textArb }),
  fc.record({ op: fc.constant("editItem" as const), n: fc.integer({ min: -5, max: 5 }), tag: textArb }),
);

type Invocation = { ops: Op[]; async: boolean };
const invocationArb: fc.Arbitrary<Invocation> = fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 4 }), async: fc.boolean() });

function run(s: Record<Name, unknown>, op: Op, seen: string[]): void {
  switch (op.op) {
    case "read": {
      const v = s[op.name];
      seen.push(`${op.name}=${inspect(v instanceof protobuf.Message ? Item.toObject(v, { defaults: true }) : v, { depth: null })}`);
      return;
    }
    case "delete":
      delete s[op.name];
      return;
    case "setInt":
      s.i = op.v;
      return;
    case "addInt":
      s.i = (((s.i as number | null) ?? 0) + op.v) | 0;
      return;
    case "setLong":
      s.l = op.v;
      return;
    case "addLong":
      s.l = BigInt.asIntN(64, ((s.l as bigint | null) ?? 0n) + op.v);
      return;
    case "setFloat":
      s.f = op.v;
      return;
    case "addFloat":
      s.f = ((s.f as number | null) ?? 0) + op.v;
      return;
    case "setDouble":
      s.d = op.v;
      return;
    case "addDouble":
      s.d = ((s.d as number | null) ?? 0) + op.v;
      return;
    case "toggle":
      s.b = !((s.b as boolean | null) ?? false);
      return;
    case "setString":
      s.s = op.v;
      return;
    case "append":
      s.s = ((s.s as string | null) ?? "") + op.v;
      return;
    case "setJson":
      s[op.name] = build(op.tree);
      return;
    case "editJson": {
      const v = s[op.name];
      if (Array.isArray(v)) v.push(build(op.tree));
      else if (v !== null && typeof v === "object") (v as Record<string, unknown>)[op.key] = build(op.tree);
      return;
    }
    case "alias":
      s.k = s.j;
      seen.push(`alias ${s.j === s.k}`);
      return;
    case "setItem":
      s.p = Item.create({ n: op.n, label: op.label, tags: [] });
      return;
    case "editItem": {
      const item = s.p as ItemValue | null;
      if (item === null) return;
      item.n = (item.n + op.n) | 0;
      item.tags.push(op.tag);
      return;
    }
  }
}

function bindProgram(invocations: Invocation[]): StateFun {
  return new StateFun().bind({
    typename: FN,
    state: STATE,
    fn(ctx, msg) {
      const i = msg.asInt() as number;
      const { ops, async } = invocations[i];
      const go = (): void => {
        const seen: string[] = [];
        for (const op of ops) run(ctx.storage as Record<Name, unknown>, op, seen);
        ctx.send({ typename: "test/seen", id: String(i), value: seen.join("; ") || "-" });
      };
      if (!async) return go();
      return Promise.resolve().then(go);
    },
  });
}

/** Batch sizes from cut points. */
function sizesOf(n: number, cuts: boolean[]): number[] {
  const sizes: number[] = [];
  let size = 0;
  for (let i = 0; i < n; i++) {
    size++;
    if (i === n - 1 || cuts[i]) {
      sizes.push(size);
      size = 0;
    }
  }
  return sizes;
}

test("one batch, one batch each and random cuts leave the same state bytes and effects", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(invocationArb, { minLength: 1, maxLength: 10 }).chain((invocations) =>
        fc.tuple(fc.constant(invocations), fc.array(fc.boolean(), { minLength: invocations.length, maxLength: invocations.length })),
      ),
      async ([invocations, cuts]) => {
        const sf = bindProgram(invocations);
        const calls = invocations.map((_, i) => ({ argument: tv(StateFun.intType(), i) }));
        const n = invocations.length;
        const whole = await runBatches(sf, target, calls, [n]);
        const each = await runBatches(sf, target, calls, Array<number>(n).fill(1));
        const cut = await runBatches(sf, target, calls, sizesOf(n, cuts));
        expect(each.state).toEqual(whole.state);
        expect(each.effects).toEqual(whole.effects);
        expect(cut.state).toEqual(whole.state);
        expect(cut.effects).toEqual(whole.effects);
      },
    ),
    { numRuns: 600 },
  );
});
