/** State semantics: missing specs, absent vs empty, one final mutation, caching, in-place edits. */
import { StateFun, type Type } from "../../src";
import { decodeReply, addr, hex, request, result, tv } from "../requests";
import { typedValue } from "../../src/wire/codec";

const PERSON = "example/person";
const target = addr(PERSON, "Bob");
const ping = { argument: tv(StateFun.stringType(), "ping") };

describe("missing declared states", () => {
  const sf = new StateFun();
  const calls: string[] = [];
  sf.bind({
    typename: PERSON,
    specs: [
      { name: "visits", type: StateFun.intType() },
      { name: "seen_at", type: StateFun.longType(), expireAfterWrite: 60_000 },
      { name: "profile", type: StateFun.jsonType("example/Profile"), expireAfterCall: 5_000 },
    ],
    fn: () => void calls.push("ran"),
  });

  test("every missing spec is listed (name, typename, TTL only when set) and nothing runs", async () => {
    const reply = decodeReply(await sf.handleRequest(request({ target, state: { visits: null }, invocations: [ping] })));
    expect(reply.invocationResult).toBeUndefined();
    expect(reply.incompleteInvocationContext?.missingValues).toEqual([
      { stateName: "seen_at", typeTypename: "io.statefun.types/long", expirationSpec: { mode: 1, expireAfterMillis: 60000 } },
      { stateName: "profile", typeTypename: "example/Profile", expirationSpec: { mode: 2, expireAfterMillis: 5000 } },
    ]);
    expect(calls).toEqual([]);
  });

  test("after a restart the request carries no state at all: every spec is missing", async () => {
    const reply = decodeReply(await sf.handleRequest(request({ target, invocations: [ping] })));
    expect(reply.incompleteInvocationContext?.missingValues.map((s) => s.stateName)).toEqual(["visits", "seen_at", "profile"]);
    expect(reply.incompleteInvocationContext?.missingValues[0]).toEqual({ stateName: "visits", typeTypename: "io.statefun.types/int" });
  });

  test("the reply is exactly the IncompleteInvocationContext bytes", async () => {
    const one = new StateFun().bind({ typename: PERSON, specs: [{ name: "n", type: StateFun.intType() }], fn() {} });
    const bytes = await one.handleRequest(request({ target, invocations: [ping] }));
    // field 101 (len) { field 1 (len) { state_name "n", type_typename "io.statefun.types/int" } }
    const spec = "0a016e" + "1a15" + Buffer.from("io.statefun.types/int").toString("hex");
    expect(hex(bytes)).toBe("aa06" + "1c" + "0a1a" + spec);
  });

  test("states in the request that the function does not declare are ignored", async () => {
    const state = {
      visits: null,
      seen_at: null,
      profile: null,
      legacy: tv(StateFun.stringType(), "old"),
    };
    const reply = result(await sf.handleRequest(request({ target, state, invocations: [ping] })));
    expect(reply.stateMutations).toEqual([]);
  });
});

describe("absent vs empty values", () => {
  const seen: unknown[] = [];
  const sf = new StateFun().bind({
    typename: PERSON,
    specs: [
      { name: "n", type: StateFun.intType() },
      { name: "s", type: StateFun.stringType() },
    ],
    fn(ctx) {
      seen.push(ctx.storage.n, ctx.storage.s);
    },
  });
  beforeEach(() => (seen.length = 0));

  test("a state registered without a value reads as null", async () => {
    await sf.handleRequest(request({ target, state: { n: null, s: null }, invocations: [ping] }));
    expect(seen).toEqual([null, null]);
  });

  test("a stored default value (has_value, zero bytes) reads as the default, not null", async () => {
    const empty = (t: Type<unknown>) => typedValue(t.typename, Buffer.alloc(0));
    await sf.handleRequest(
      request({ target, state: { n: empty(StateFun.intType()), s: empty(StateFun.stringType()) }, invocations: [ping] }),
    );
    expect(seen).toEqual([0, ""]);
  });
});

describe("mutations", () => {
  const bind = (fn: (storage: Record<string, unknown>) => void) =>
    new StateFun().bind({
      typename: PERSON,
      specs: [
        { name: "n", type: StateFun.intType() },
        { name: "doc", type: StateFun.jsonType<Record<string, unknown>>("example/Doc") },
      ],
      fn: (ctx) => fn(ctx.storage as Record<string, unknown>),
    });
  const run = async (sf: StateFun, state: Record<string, ReturnType<typeof tv> | null>, n = 1) =>
    result(await sf.handleRequest(request({ target, state, invocations: Array(n).fill(ping) })));

  test("one mutation per changed state with the final value only, in declaration order", async () => {
    let i = 0;
    const sf = bind((s) => {
      s.doc = { i };
      s.n = ++i;
    });
    const reply = await run(sf, { n: null, doc: null }, 3);
    expect(reply.stateMutations).toEqual([
      { mutationType: 1, stateName: "n", stateValue: { typename: "io.statefun.types/int", hasValue: true, value: StateFun.intType().serialize(3) } },
      { mutationType: 1, stateName: "doc", stateValue: { typename: "example/Doc", hasValue: true, value: Buffer.from('{"i":2}') } },
    ]);
  });

  test.each([
    ["null", (s: Record<string, unknown>) => void (s.n = null)],
    ["undefined", (s: Record<string, unknown>) => void (s.n = undefined)],
    ["delete", (s: Record<string, unknown>) => void delete s.n],
  ])("clearing with %s is a DELETE (no state_value), never a MODIFY without a value", async (_how, clear) => {
    const sf = bind(clear);
    const bytes = await sf.handleRequest(request({ target, state: { n: tv(StateFun.intType(), 7), doc: null }, invocations: [ping] }));
    expect(result(bytes).stateMutations).toEqual([{ stateName: "n" }]);
    // field 100 { field 1 { field 2 "n" } }: the mutation type DELETE (0) is left out.
    expect(hex(bytes)).toBe("a206" + "05" + "0a03" + "12016e");
  });

  test("a MODIFY of a default value has has_value = true and no value bytes", async () => {
    const bytes = await bind((s) => void (s.n = 0)).handleRequest(
      request({ target, state: { n: tv(StateFun.intType(), 7), doc: null }, invocations: [ping] }),
    );
    const tvBytes = "0a15" + Buffer.from("io.statefun.types/int").toString("hex") + "1001";
    const mutation = "0801" + "12016e" + "1a19" + tvBytes;
    expect(hex(bytes)).toBe("a206" + "22" + "0a20" + mutation);
  });

  test("set then cleared in one batch is a DELETE; cleared then set is a MODIFY", async () => {
    let i = 0;
    const sf = bind((s) => {
      s.n = i++ % 2 === 0 ? 5 : null;
    });
    expect((await run(sf, { n: null, doc: null }, 2)).stateMutations).toEqual([{ stateName: "n" }]);
    i = 1;
    expect((await run(sf, { n: null, doc: null }, 2)).stateMutations[0]).toMatchObject({ mutationType: 1, stateName: "n" });
  });

  test("only reading a state produces no mutation", async () => {
    const sf = bind((s) => void [s.n, s.doc]);
    expect((await run(sf, { n: tv(StateFun.intType(), 1), doc: tv(StateFun.jsonType("example/Doc"), { a: 1 }) })).stateMutations).toEqual([]);
  });

  test("a MODIFY carries the declared typename", async () => {
    const reply = await run(bind((s) => void (s.doc = [1])), { n: null, doc: null });
    expect(reply.stateMutations[0].stateValue?.typename).toBe("example/Doc");
  });
});

describe("decoded at most once per invocation, edits in place are saved", () => {
  let decodes = 0;
  const counted = StateFun.customType<{ items: string[] }>(
    "example/Cart",
    (v) => Buffer.from(JSON.stringify(v)),
    (b) => {
      decodes++;
      return JSON.parse(b.toString()) as { items: string[] };
    },
  );
  const cart = (items: string[]) => typedValue("example/Cart", Buffer.from(JSON.stringify({ items })));
  const sfWith = (fn: (storage: { cart: { items: string[] } | null }) => void) =>
    new StateFun().bind({ typename: PERSON, specs: [{ name: "cart", type: counted }] as const, fn: (ctx) => fn(ctx.storage) });
  beforeEach(() => (decodes = 0));

  test("state is decoded once per invocation however often it reads it, and once in a batch of one", async () => {
    const sf = sfWith((s) => void [s.cart, s.cart, s.cart]);
    await sf.handleRequest(request({ target, state: { cart: cart(["a"]) }, invocations: [ping] }));
    expect(decodes).toBe(1);
    decodes = 0;
    // Each later invocation gets a fresh decoding: what a new batch starting there would read.
    await sf.handleRequest(request({ target, state: { cart: cart(["a"]) }, invocations: Array(5).fill(ping) }));
    expect(decodes).toBe(5);
  });

  test("invocations that do not read the state do not decode it", async () => {
    let n = 0;
    const sf = sfWith((s) => void (n++ % 2 === 0 ? s.cart : undefined));
    await sf.handleRequest(request({ target, state: { cart: cart(["a"]) }, invocations: Array(4).fill(ping) }));
    expect(decodes).toBe(2);
  });

  test("every read returns the same object, so later invocations see earlier in-place edits", async () => {
    const lengths: number[] = [];
    const sf = sfWith((s) => {
      s.cart!.items.push("x");
      lengths.push(s.cart!.items.length);
    });
    const reply = result(await sf.handleRequest(request({ target, state: { cart: cart([]) }, invocations: Array(3).fill(ping) })));
    expect(lengths).toEqual([1, 2, 3]);
    expect(reply.stateMutations).toEqual([
      { mutationType: 1, stateName: "cart", stateValue: { typename: "example/Cart", hasValue: true, value: Buffer.from('{"items":["x","x","x"]}') } },
    ]);
  });

  test("an object edited in place after being assigned is saved with its final content", async () => {
    const sf = sfWith((s) => {
      const c = { items: ["a"] };
      s.cart = c;
      c.items.push("b");
    });
    const reply = result(await sf.handleRequest(request({ target, state: { cart: null }, invocations: [ping] })));
    expect(reply.stateMutations[0].stateValue?.value?.toString()).toBe('{"items":["a","b"]}');
  });

  test("a stored value in another SDK's formatting that is only read is not rewritten", async () => {
    const sf = sfWith((s) => void s.cart!.items.length);
    const spaced = typedValue("example/Cart", Buffer.from('{ "items" : [ "a" ] }'));
    const reply = result(await sf.handleRequest(request({ target, state: { cart: spaced }, invocations: [ping] })));
    expect(reply.stateMutations).toEqual([]);
  });
});

describe("batches", () => {
  test("invocations run in order, each seeing the state the previous one left", async () => {
    const seen: (number | null)[] = [];
    const sf = new StateFun().bind({
      typename: PERSON,
      specs: [{ name: "n", type: StateFun.intType() }],
      fn(ctx) {
        seen.push(ctx.storage.n);
        ctx.storage.n = (ctx.storage.n ?? 0) + 1;
      },
    });
    await sf.handleRequest(request({ target, state: { n: tv(StateFun.intType(), 10) }, invocations: Array(4).fill(ping) }));
    expect(seen).toEqual([10, 11, 12, 13]);
  });

  test("async functions are awaited, one at a time, and any thenable counts", async () => {
    const log: string[] = [];
    let active = 0;
    const sf = new StateFun().bind({
      typename: PERSON,
      specs: [{ name: "n", type: StateFun.intType() }],
      fn(ctx, msg) {
        const me = msg.asString();
        active++;
        expect(active).toBe(1);
        log.push(`start ${me}`);
        // a hand-made thenable, not a Promise
        return {
          then(resolve: () => void) {
            setImmediate(() => {
              ctx.storage.n = (ctx.storage.n ?? 0) + 1;
              log.push(`end ${me}`);
              active--;
              resolve();
            });
          },
        };
      },
    });
    const invocations = ["a", "b"].map((s) => ({ argument: tv(StateFun.stringType(), s) }));
    const reply = result(await sf.handleRequest(request({ target, state: { n: null }, invocations })));
    expect(log).toEqual(["start a", "end a", "start b", "end b"]);
    expect(StateFun.intType().deserialize(reply.stateMutations[0].stateValue!.value!)).toBe(2);
  });
});
