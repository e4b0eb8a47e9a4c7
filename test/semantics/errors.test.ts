/** Every bad input gets a typed error whose message names the function, address, state or typename. */
import {
  ConfigurationError,
  FunctionInvocationError,
  InvalidArgumentError,
  MalformedRequestError,
  SerializationError,
  StateAccessError,
  StateFun,
  TypeMismatchError,
  UnknownFunctionError,
  egressMessageBuilder,
  kafkaEgressMessage,
  kinesisEgressMessage,
  messageBuilder,
  type Context,
  type Message,
} from "../../src";
import { encodeToFunction } from "../../src/wire/codec";
import { addr, request, result, tv } from "../requests";

const PERSON = "example/person";
const target = addr(PERSON, "Bob");
const ping = { argument: tv(StateFun.stringType(), "ping") };

async function failure(sf: StateFun, body: Uint8Array): Promise<Error> {
  const outcome = await sf.handleRequest(body).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!outcome) throw new Error("expected handleRequest to reject");
  return outcome;
}

describe("malformed requests (400)", () => {
  const sf = new StateFun().bind({ typename: PERSON, fn() {} });
  test.each([
    ["bytes that are not protobuf", Buffer.from([0xff, 0xff, 0xff]), /request body \(3 bytes\) is not a StateFun ToFunction message/],
    ["an empty body (no invocation batch)", Buffer.alloc(0), /ToFunction without an invocation batch/],
    ["a batch without a target", encodeToFunction({ invocation: { state: [], invocations: [ping] } }), /no target function type/],
    ["a batch without invocations", encodeToFunction({ invocation: { target, state: [], invocations: [] } }), /the batch for example\/person\("Bob"\) has no invocations/],
    [
      "an invocation without an argument",
      encodeToFunction({ invocation: { target, state: [], invocations: [ping, {}] } }),
      /invocation 2 of the batch for example\/person\("Bob"\) has no argument/,
    ],
  ])("%s", async (_name, body, message) => {
    const e = await failure(sf, body);
    expect(e).toBeInstanceOf(MalformedRequestError);
    expect((e as MalformedRequestError).httpStatus).toBe(400);
    expect(e.message).toMatch(message);
  });
});

test("unknown function type (404) lists the bound types", async () => {
  const sf = new StateFun().bind({ typename: PERSON, fn() {} }).bind({ typename: "example/greeter", fn() {} });
  const e = await failure(sf, request({ target: addr("example/nobody", "x"), invocations: [ping] }));
  expect(e).toBeInstanceOf(UnknownFunctionError);
  expect(e).toMatchObject({ httpStatus: 404, functionType: "example/nobody", boundTypes: [PERSON, "example/greeter"] });
  expect(e.message).toMatch(/no function is bound to "example\/nobody"; bound types: example\/person, example\/greeter/);
  const typo = await failure(sf, request({ target: addr("example/greter", "x"), invocations: [ping] }));
  expect(typo.message).toMatch(/bound types: example\/person, example\/greeter; did you mean example\/greeter\?\. Bind it with/);
});

describe("function failures (500) wrap the cause with the function type and address; nothing is applied", () => {
  test("a throw in the second invocation fails the whole batch", async () => {
    const boom = new Error("boom");
    const sf = new StateFun().bind({
      typename: PERSON,
      specs: [{ name: "n", type: StateFun.intType() }],
      fn(ctx, msg) {
        ctx.storage.n = 1;
        ctx.send(messageBuilder({ typename: "example/x", id: "1", value: "sent before the throw" }));
        if (msg.asString() === "bad") throw boom;
      },
    });
    const e = await failure(
      sf,
      request({ target, state: { n: null }, invocations: [ping, { argument: tv(StateFun.stringType(), "bad") }, ping] }),
    );
    expect(e).toBeInstanceOf(FunctionInvocationError);
    expect(e).toMatchObject({ httpStatus: 500, functionType: PERSON, id: "Bob", cause: boom, stage: "invocation 2 of 3" });
    expect(e.message).toBe('function example/person("Bob") failed at invocation 2 of 3: boom');
  });

  test("a rejected promise", async () => {
    const sf = new StateFun().bind({ typename: PERSON, fn: async () => Promise.reject(new TypeError("nope")) });
    const e = await failure(sf, request({ target, invocations: [ping] }));
    expect(e).toBeInstanceOf(FunctionInvocationError);
    expect(e.message).toBe('function example/person("Bob") failed at invocation 1 of 1: TypeError: nope');
  });

  test("a non-Error thrown value", async () => {
    const sf = new StateFun().bind({
      typename: PERSON,
      fn() {
        throw "plain string";
      },
    });
    expect((await failure(sf, request({ target, invocations: [ping] }))).message).toMatch(/non-Error value thrown: plain string/);
  });
});

describe("errors raised inside functions name what is wrong", () => {
  /** Runs fn once for Bob and returns the error it raised (the cause of the 500). */
  async function causeOf<S extends object>(
    specs: Parameters<StateFun["bind"]>[0]["specs"],
    fn: (ctx: Context<S>, msg: Message) => unknown,
    state: Record<string, ReturnType<typeof tv> | null> = {},
    argument = ping.argument,
  ): Promise<Error> {
    const sf = new StateFun().bind({ typename: PERSON, specs, fn: fn as never });
    const e = await failure(sf, request({ target, state, invocations: [{ argument }] }));
    expect(e).toBeInstanceOf(FunctionInvocationError);
    return (e as FunctionInvocationError).cause as Error;
  }

  test("reading an undeclared state", async () => {
    const cause = await causeOf(
      [{ name: "visits", type: StateFun.intType() }, { name: "name", type: StateFun.stringType() }],
      (ctx) => (ctx.storage as Record<string, unknown>).visit,
      { visits: null, name: null },
    );
    expect(cause).toBeInstanceOf(StateAccessError);
    expect(cause.message).toBe(
      'function example/person("Bob") reads state "visit", which it does not declare (declared: visits, name); ' +
        'did you mean "visits"? Or add { name: "visit", type: ... } to the specs passed to bind()',
    );
  });

  test("writing an undeclared state when none are declared", async () => {
    const cause = await causeOf([], (ctx) => void ((ctx.storage as Record<string, unknown>).count = 1));
    expect(cause).toBeInstanceOf(StateAccessError);
    expect(cause.message).toMatch(/function example\/person\("Bob"\) writes state "count", which it does not declare \(it declares no states\)/);
  });

  test("an undeclared state's message stays bounded: a long list of states is cut, a huge name is quoted short and not matched", async () => {
    const specs = Array.from({ length: 50 }, (_, i) => ({ name: `state_${i}`, type: StateFun.intType() }));
    const state = Object.fromEntries(specs.map((s) => [s.name, null]));
    const many = await causeOf(specs, (ctx) => (ctx.storage as Record<string, unknown>).stat_42, state);
    expect(many.message).toMatch(/\(declared: state_0, state_1, .*, state_19, … and 30 more\); did you mean "state_42"\? Or add/);
    const huge = "x".repeat(1_000_000);
    const long = await causeOf([], (ctx) => (ctx.storage as Record<string, unknown>)[huge]);
    expect(long.message.length).toBeLessThan(500);
    expect(long.message).toMatch(/reads state "x{120}"…\(1000000 characters\), which it does not declare \(it declares no states\); add/);
  });

  test("an int state set out of the 32-bit range fails at the assignment and suggests longType()", async () => {
    const cause = await causeOf([{ name: "total", type: StateFun.intType() }], (ctx: Context<{ total: number | null }>) => {
      ctx.storage.total = 3_000_000_000;
    }, { total: null });
    expect(cause).toBeInstanceOf(SerializationError);
    expect(cause.message).toBe(
      'state "total" of example/person("Bob"): io.statefun.types/int cannot encode 3000000000: outside the 32-bit ' +
        "range -2147483648..2147483647; use StateFun.longType() for larger integers",
    );
    expect(cause.stack).toMatch(/errors\.test\.ts/); // thrown where the user assigned it
  });

  test("a JSON state that cannot be encoded fails when the batch ends, naming the state", async () => {
    const sf = new StateFun({}).bind({
      typename: PERSON,
      specs: [{ name: "doc", type: StateFun.jsonType("example/Doc") }],
      fn(ctx) {
        ctx.storage.doc = { n: 1n };
      },
    });
    const e = (await failure(sf, request({ target, state: { doc: null }, invocations: [ping] }))) as FunctionInvocationError;
    expect(e.stage).toBe("encoding the batch's state");
    expect(e.message).toMatch(/state "doc" of example\/person\("Bob"\): example\/Doc cannot encode an object: JSON\.stringify failed/);
  });

  test("a stored state whose typename differs from the declared one", async () => {
    const cause = await causeOf(
      [{ name: "visits", type: StateFun.intType() }],
      (ctx: Context<{ visits: number | null }>) => ctx.storage.visits,
      { visits: tv(StateFun.longType(), 5n) },
    );
    expect(cause).toBeInstanceOf(TypeMismatchError);
    expect(cause.message).toMatch(
      /^state "visits" of example\/person\("Bob"\) is declared as io\.statefun\.types\/int but the cluster holds a io\.statefun\.types\/long value: .*declare a new state name/,
    );
  });

  test("a message decoded as the wrong type suggests the right accessor", async () => {
    const cause = await causeOf([], (_ctx, msg) => msg.asInt(), {}, tv(StateFun.longType(), 1n << 40n));
    expect(cause).toBeInstanceOf(TypeMismatchError);
    expect(cause.message).toBe(
      'a message to example/person("Bob") carries a io.statefun.types/long value, not io.statefun.types/int: check ' +
        'message.is(type) first, or decode it with a type whose typename is "io.statefun.types/long" (use message.asLong())',
    );
  });

  test.each([
    [-1, /sendAfter\(\) delay must be a non-negative whole number of milliseconds, got -1 \(the cluster fails the job/],
    [1.5, /got 1\.5/],
    [NaN, /got NaN/],
    ["100", /got "100"/],
  ])("sendAfter(%p) throws at the call site", async (delay, message) => {
    const cause = await causeOf([], (ctx) =>
      ctx.sendAfter(delay as number, messageBuilder({ typename: "example/x", id: "1", value: "v" })),
    );
    expect(cause).toBeInstanceOf(InvalidArgumentError);
    expect(cause.message).toMatch(/^example\/person\("Bob"\): /);
    expect(cause.message).toMatch(message);
  });

  test("empty cancellation tokens are rejected", async () => {
    const msg = () => messageBuilder({ typename: "example/x", id: "1", value: "v" });
    expect((await causeOf([], (ctx) => ctx.sendAfter(10, msg(), ""))).message).toMatch(/cancellation token must be a non-empty string/);
    expect((await causeOf([], (ctx) => ctx.cancelDelayedMessage(""))).message).toMatch(/cancelDelayedMessage\(\) needs a non-empty token/);
  });

  test("send() of something that is not a message", async () => {
    const cause = await causeOf([], (ctx) => ctx.send({ typename: "x/y" } as never));
    expect(cause.message).toMatch(/send\(\) takes a message from messageBuilder\(\).*got an object/);
  });
});

describe("bind() rejects bad declarations with a readable message", () => {
  const fn = () => undefined;
  test.each([
    [{ typename: "nonamespace", fn }, /bind\(\): typename "nonamespace" must be of the form <namespace>\/<name>/],
    [{ typename: "example/x", fn: 42 }, /function example\/x needs fn\(context, message\), got 42/],
    [{ typename: "example/x", fn, specs: [{ name: "1st", type: StateFun.intType() }] }, /function example\/x: state name "1st" is invalid/],
    [{ typename: "example/x", fn, specs: [{ name: "a-b", type: StateFun.intType() }] }, /state name "a-b" is invalid/],
    [{ typename: "example/x", fn, specs: [{ name: "", type: StateFun.intType() }] }, /state name "" is invalid/],
    [{ typename: "example/x", fn, specs: [{ name: "n" }] }, /state "n" needs a type such as StateFun\.intType\(\), got undefined/],
    [
      { typename: "example/x", fn, specs: [{ name: "n", type: StateFun.intType() }, { name: "n", type: StateFun.stringType() }] },
      /function example\/x declares state "n" twice/,
    ],
    [
      { typename: "example/x", fn, specs: [{ name: "n", type: StateFun.jsonType("a/b/c") }] },
      /state "n": the state type's typename "a\/b\/c" must contain exactly one "\/"/,
    ],
    [
      { typename: "example/x", fn, specs: [{ name: "n", type: StateFun.intType(), expireAfterWrite: 1, expireAfterCall: 1 }] },
      /state "n" sets both expireAfterCall and expireAfterWrite/,
    ],
    [{ typename: "example/x", fn, specs: [{ name: "n", type: StateFun.intType(), expireAfterWrite: 0 }] }, /expireAfterWrite must be a positive whole number/],
    [{ typename: "example/x", fn, specs: [{ name: "n", type: StateFun.intType(), expireAfterCall: 1.5 }] }, /expireAfterCall must be a positive whole number/],
  ])("%#", (opts, message) => {
    const bind = () => new StateFun().bind(opts as never);
    expect(bind).toThrow(ConfigurationError);
    expect(bind).toThrow(message);
  });

  test("state names follow the Java SDK's rule: digits and capitals after the first character are fine", () => {
    expect(() =>
      new StateFun().bind({
        typename: "example/x",
        fn,
        specs: [
          { name: "cart_v2", type: StateFun.intType() },
          { name: "_Total9", type: StateFun.intType() },
        ],
      }),
    ).not.toThrow();
  });

  test("the same function type bound twice", () => {
    const sf = new StateFun().bind({ typename: "example/x", fn });
    expect(() => sf.bind({ typename: "example/x", fn })).toThrow(/function example\/x is already bound; bind each type once/);
  });
});

describe("messageBuilder", () => {
  test("a safe integer outside int32 is sent as a long instead of failing", () => {
    const m = messageBuilder({ typename: "example/x", id: "1", value: 2 ** 40 });
    expect(m.valueTypeName).toBe("io.statefun.types/long");
    expect(m.asLong()).toBe(2n ** 40n);
    expect(messageBuilder({ typename: "example/x", id: "1", value: 7 }).valueTypeName).toBe("io.statefun.types/int");
    expect(messageBuilder({ typename: "example/x", id: "1", value: 7n }).valueTypeName).toBe("io.statefun.types/long");
  });
  test.each([
    [{ typename: "example/x", id: "1", value: 1.5 }, /a message to example\/x\("1"\): no valueType given and none can be inferred for 1\.5.*doubleType/],
    [{ typename: "example/x", id: "", value: 1 }, /the id of an address of "example\/x" must be a non-empty string, got ""/],
    [{ typename: "example/x", id: "1", value: null }, /a message to example\/x\("1"\) needs a value, got null/],
    [{ typename: "x", id: "1", value: 1 }, /typename "x" must be of the form <namespace>\/<name>/],
  ])("%#", (opts, message) => {
    expect(() => messageBuilder(opts as never)).toThrow(InvalidArgumentError);
    expect(() => messageBuilder(opts as never)).toThrow(message);
  });
});

describe("a value its type cannot hold fails where the message is built, naming the target and suggesting the fix", () => {
  test("messageBuilder with intType() and a value outside int32", () => {
    const build = () => messageBuilder({ typename: "example/x", id: "1", value: 3_000_000_000, valueType: StateFun.intType() });
    expect(build).toThrow(SerializationError);
    expect(build).toThrow(
      'a message to example/x("1"): io.statefun.types/int cannot encode 3000000000: outside the 32-bit range ' +
        "-2147483648..2147483647; use StateFun.longType() for larger integers",
    );
  });
  test("egressMessageBuilder", () => {
    const build = () => egressMessageBuilder({ typename: "example/out", value: 5 as unknown as string, valueType: StateFun.stringType() });
    expect(build).toThrow(SerializationError);
    expect(build).toThrow('a message to egress "example/out": io.statefun.types/string cannot encode 5: not a string');
  });
  test("kafkaEgressMessage and kinesisEgressMessage with a valueType", () => {
    const kafka = () => kafkaEgressMessage({ typename: "example/out", topic: "t", value: 1.5, valueType: StateFun.intType() });
    expect(kafka).toThrow(SerializationError);
    expect(kafka).toThrow('a Kafka record for egress "example/out": io.statefun.types/int cannot encode 1.5: not an integer');
    const kinesis = () =>
      kinesisEgressMessage({ typename: "example/out", stream: "s", partitionKey: "p", value: "x", valueType: StateFun.booleanType() as never });
    expect(kinesis).toThrow('a Kinesis record for egress "example/out": io.statefun.types/bool cannot encode "x": not a boolean');
  });
  test("a custom type's own error is kept as the cause", () => {
    const failing = StateFun.customType<string>("example/Custom", () => {
      throw new RangeError("too long");
    }, (b) => b.toString());
    let caught: unknown;
    try {
      messageBuilder({ typename: "example/x", id: "1", value: "v", valueType: failing });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SerializationError);
    expect((caught as Error).message).toBe('a message to example/x("1"): too long');
    expect((caught as Error).cause).toBeInstanceOf(RangeError);
  });
});

test("a successful reply after failures: errors leave no residue in the instance", async () => {
  let fail = true;
  const sf = new StateFun().bind({
    typename: PERSON,
    specs: [{ name: "n", type: StateFun.intType() }],
    fn(ctx) {
      ctx.storage.n = 1;
      if (fail) throw new Error("x");
    },
  });
  await failure(sf, request({ target, state: { n: null }, invocations: [ping] }));
  fail = false;
  expect(result(await sf.handleRequest(request({ target, state: { n: null }, invocations: [ping] }))).stateMutations).toHaveLength(1);
});
