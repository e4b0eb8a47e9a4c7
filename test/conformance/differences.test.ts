/**
 * Intended differences between statefun-ts and apache-flink-statefun@3.3.0.
 *
 * Each test runs the same function on both SDKs and asserts what each one does. The test name
 * says what differs; the comment in its body says why the official behaviour is wrong (or, where
 * neither is wrong, why ours differs). These inputs are kept out of the property test.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as officialModule from "apache-flink-statefun";
import { messageBuilder, silentLogger, StateFun } from "../../src";
import { decodeFromFunction, MutationType, typedValue, type WireAddress, type WireTypedValue } from "../../src/wire/codec";
import { addr, hex, request, tv } from "../requests";
import { delayedFieldOrders, decodedReply, canonicalBytes, replyOf, runBoth } from "./compare";
import { BOTH, OFFICIAL, OURS, callHandle, type Program, type SdkEndpoint } from "./sdk";

const FN = "conf/t";
const STRING = StateFun.stringType();

/** A request to conf/t("id") with the given states and one (or the given) invocation(s). */
function req(
  state: Record<string, WireTypedValue | null> = {},
  invocations: { caller?: WireAddress; argument: WireTypedValue }[] = [{ argument: tv(STRING, "go") }],
): Buffer {
  return request({ target: addr(FN, "id"), state, invocations });
}

function json(typename: string, value: unknown): WireTypedValue {
  return typedValue(typename, Buffer.from(JSON.stringify(value), "utf8"));
}

/** The string values of the outgoing messages of a 200 reply. */
function sentStrings(body: Buffer): (string | null)[] {
  const result = replyOf({ status: 200, contentType: undefined, body }).invocationResult;
  return (result?.outgoingMessages ?? []).map((m) => (m.argument.value ? STRING.deserialize(m.argument.value) : ""));
}

test("JSON state edited in place without reassignment: official loses the edit (no mutation), ours emits MODIFY with the new bytes", async () => {
  // Official: every read of ctx.storage.x decodes the stored bytes afresh, so the object being
  // edited is a throw-away copy and the edit silently vanishes (and `x === x` is false). Ours
  // decodes once per batch, hands out the same object and saves it when its bytes changed.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "profile", type: sdk.StateFun.jsonType("conf/Profile") }],
      fn(ctx) {
        const storage = ctx.storage as { profile: { visits: number } };
        storage.profile.visits += 1;
        ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: String(storage.profile === storage.profile) }));
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ profile: json("conf/Profile", { visits: 1 }) }));

  const off = replyOf(official).invocationResult;
  expect(off?.stateMutations).toEqual([]);
  expect(sentStrings(official.body)).toEqual(["false"]);

  const our = replyOf(ours).invocationResult;
  expect(our?.stateMutations).toEqual([
    {
      mutationType: MutationType.MODIFY,
      stateName: "profile",
      stateValue: { typename: "conf/Profile", hasValue: true, value: Buffer.from('{"visits":2}') },
    },
  ]);
  expect(sentStrings(ours.body)).toEqual(["true"]);
});

test("JSON object assigned to state and then edited before the batch ends: official stores it as of the assignment, ours the final object", async () => {
  // Official encodes at assignment time. Ours encodes objects at the end of the batch, so an
  // object assigned and then completed (a common pattern: assign, then fill in) is saved
  // as the function left it, consistent with in-place edits of read objects being saved.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "cart", type: sdk.StateFun.jsonType("conf/Cart") }],
      fn(ctx) {
        const cart = { items: ["a"] };
        (ctx.storage as { cart: unknown }).cart = cart;
        cart.items.push("b");
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ cart: null }));
  const valueOf = (body: Buffer): string => String(replyOf({ status: 200, contentType: undefined, body }).invocationResult?.stateMutations[0].stateValue?.value);
  expect(valueOf(official.body)).toBe('{"items":["a"]}');
  expect(valueOf(ours.body)).toBe('{"items":["a","b"]}');
});

test("integer outside int32 via messageBuilder: official fails the request (google-protobuf 'Assertion failed'), ours sends io.statefun.types/long", async () => {
  // Official infers intType() for every safe integer, and google-protobuf's sfixed32 writer
  // asserts the range: the whole batch fails and is retried until the job fails. Ours infers
  // longType() outside int32, which every other SDK reads as a 64-bit integer.
  const big = 2 ** 31; // 2147483648
  expect(() => officialModule.messageBuilder({ typename: "conf/peer", id: "p", value: big })).toThrow("Assertion failed");

  const program: Program = (sdk) => [
    { typename: FN, fn: (ctx) => ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: big })) },
  ];
  const { ours, official } = await runBoth(program, req());
  expect(official.status).toBe(500);
  const [message] = replyOf(ours).invocationResult?.outgoingMessages ?? [];
  expect(message.argument.typename).toBe("io.statefun.types/long");
  expect(hex(message.argument.value)).toBe("090000008000000000");
});

test("long state (io.statefun.types/long): official has no longType() and cannot read or send a long at all; ours reads a bigint and writes/sends io.statefun.types/long", async () => {
  // Java and Python functions commonly keep long counters; the official JS SDK can neither
  // declare such a state nor send a bigint (messageBuilder: "Missing valueType").
  expect((officialModule.StateFun as unknown as Record<string, unknown>).longType).toBeUndefined();
  expect(() => officialModule.messageBuilder({ typename: "conf/peer", id: "p", value: 5n })).toThrow("Missing valueType");

  // Ours only (the shared program type cannot name longType(), which only ours has).
  const sf = new StateFun({ logger: silentLogger });
  sf.bind({
    typename: FN,
    specs: [{ name: "total", type: StateFun.longType() }] as const,
    fn(ctx) {
      const total = (ctx.storage.total ?? 0n) + 1n;
      ctx.storage.total = total;
      ctx.send(messageBuilder({ typename: "conf/peer", id: "p", value: total }));
    },
  });
  const ours = await callHandle(sf, req({ total: tv(StateFun.longType(), 2n ** 40n) }));
  const result = replyOf(ours).invocationResult;
  // 2^40 + 1 as sfixed64, little-endian.
  expect(result?.stateMutations[0].stateValue?.typename).toBe("io.statefun.types/long");
  expect(hex(result?.stateMutations[0].stateValue?.value)).toBe("090100000000010000");
  expect(result?.outgoingMessages[0].argument.typename).toBe("io.statefun.types/long");
  expect(hex(result?.outgoingMessages[0].argument.value)).toBe("090100000000010000");
});

test("negative sendAfter delay: official sends delay_in_ms < 0 (the cluster then fails the job), ours throws at the call site", async () => {
  // The runtime fails the job on a negative delay (PROTOCOL.md), far from the code that caused
  // it and after the batch was acknowledged. Ours fails the batch at the sendAfter() call with
  // a message saying why; nothing is sent.
  const program: Program = (sdk) => [
    { typename: FN, fn: (ctx) => ctx.sendAfter(-5, sdk.messageBuilder({ typename: "conf/peer", id: "p", value: "late" })) },
  ];
  const { ours, official } = await runBoth(program, req());
  expect(replyOf(official).invocationResult?.delayedInvocations.map((d) => d.delayInMs)).toEqual([-5]);
  expect(ours.status).toBe(500);
  expect(ours.body.toString()).toContain("sendAfter() delay must be a non-negative whole number");
});

test("sendAfter with an empty cancellation token: official silently sends a message that cannot be cancelled, ours throws", async () => {
  // Official treats "" as a token internally but google-protobuf drops the empty string, so
  // the message goes out without a token and a later cancelDelayedMessage("") (which the
  // official SDK itself rejects) could never reach it. Ours rejects the empty token up front.
  const program: Program = (sdk) => [
    { typename: FN, fn: (ctx) => ctx.sendAfter(10, sdk.messageBuilder({ typename: "conf/peer", id: "p", value: "x" }), "") },
  ];
  const { ours, official } = await runBoth(program, req());
  const [delayed] = replyOf(official).invocationResult?.delayedInvocations ?? [];
  expect(delayed.delayInMs).toBe(10);
  expect(delayed.cancellationToken).toBeUndefined();
  expect(ours.status).toBe(500);
  expect(ours.body.toString()).toContain("cancellation token must be a non-empty string");
});

test("state names with digits or capitals (cart_v2, cartV): official bind rejects them, ours accepts (the Java SDK's rule)", () => {
  // Official checks /^[_a-z]+$/ (despite its message "can only contain lower or upper case
  // letters"), so a state that a Java or Python function of the same app uses cannot be
  // declared. Ours follows the Java SDK: a letter or "_", then letters, digits or "_".
  for (const name of ["cart_v2", "cartV"]) {
    const program: Program = (sdk) => [{ typename: FN, specs: [{ name, type: sdk.StateFun.intType() }], fn() {} }];
    expect(() => OFFICIAL.serve(program)).toThrow("a name can only contain lower or upper case letters");
    expect(() => OURS.serve(program)).not.toThrow();
  }
});

test("binding the same typename twice: official silently replaces the first function, ours throws", async () => {
  // A duplicate bind is always a mistake (copy-paste, two modules claiming a type); official
  // keeps the last one without a word, so the first function silently never runs.
  const program: Program = (sdk) => [
    { typename: FN, fn: (ctx) => ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: "first" })) },
    { typename: FN, fn: (ctx) => ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: "second" })) },
  ];
  const official = await callHandle(OFFICIAL.serve(program), req());
  expect(sentStrings(official.body)).toEqual(["second"]);
  expect(() => OURS.serve(program)).toThrow(/conf\/t is already bound/);
});

test("function that throws: official answers 500 with an empty body, ours 500 text/plain naming the function type, id and cause", async () => {
  // Both make the runtime retry (any non-2xx), but the official answer carries nothing to tell
  // an operator which function failed or why (and it logs nothing either).
  const program: Program = () => [
    {
      typename: FN,
      fn() {
        throw new Error("boom");
      },
    },
  ];
  const answers: Record<string, { status: number; contentType: string | null; body: string }> = {};
  for (const sdk of BOTH) {
    const endpoint: SdkEndpoint = sdk.serve(program);
    const server = http.createServer((rq, rs) => void endpoint.handle(rq, rs));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/statefun`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: req(),
      });
      answers[sdk.label] = {
        status: response.status,
        contentType: response.headers.get("content-type"),
        body: await response.text(),
      };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
  expect(answers.official).toEqual({ status: 500, contentType: "application/octet-stream", body: "" });
  expect(answers.ours.status).toBe(500);
  expect(answers.ours.contentType).toBe("text/plain; charset=utf-8");
  expect(answers.ours.body).toBe('function conf/t("id") failed at invocation 1 of 1: boom\n');
});

test("`delete ctx.storage.x`: official's sealed storage refuses (TypeError in strict code, false from Reflect.deleteProperty, no mutation), ours emits DELETE", async () => {
  // `delete` is the natural way to clear a property in JavaScript; official storage is a sealed
  // object of accessors, so it either fails the batch (strict code, e.g. every TS/ES module)
  // or does nothing. Ours treats it like assigning null.
  const strict: Program = () => [
    {
      typename: FN,
      specs: [],
      fn(ctx) {
        delete (ctx.storage as Record<string, unknown>).x;
      },
    },
  ];
  const withState: Program = (sdk) => strict(sdk).map((b) => ({ ...b, specs: [{ name: "x", type: sdk.StateFun.intType() }] }));
  const stored = { x: tv(StateFun.intType(), 7) };
  const strictRun = await runBoth(withState, req(stored));
  expect(strictRun.official.status).toBe(500);
  expect(replyOf(strictRun.ours).invocationResult?.stateMutations).toEqual([{ stateName: "x" }]); // DELETE is 0: left out

  const reflective: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "x", type: sdk.StateFun.intType() }],
      fn(ctx) {
        const deleted = Reflect.deleteProperty(ctx.storage, "x");
        ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: String(deleted) }));
      },
    },
  ];
  const { ours, official } = await runBoth(reflective, req(stored));
  expect(sentStrings(official.body)).toEqual(["false"]);
  expect(replyOf(official).invocationResult?.stateMutations).toEqual([]);
  expect(sentStrings(ours.body)).toEqual(["true"]);
  expect(replyOf(ours).invocationResult?.stateMutations).toEqual([{ stateName: "x" }]);
});

test("all-empty caller Address: official exposes an Address with empty parts (typename \"/\"), ours null (PROTOCOL: treat all-empty as absent)", async () => {
  // An Address with no namespace, type or id addresses nothing; code that replies to
  // ctx.caller when it is non-null would build a message to "/" with an empty id and fail.
  const program: Program = (sdk) => [
    {
      typename: FN,
      fn: (ctx) => ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: JSON.stringify(ctx.caller) })),
    },
  ];
  const { ours, official } = await runBoth(program, req({}, [{ caller: { namespace: "", type: "", id: "" }, argument: tv(STRING, "go") }]));
  expect(JSON.parse(String(sentStrings(official.body)[0]))).toEqual({ namespace: "", name: "", id: "", typename: "/" });
  expect(sentStrings(ours.body)).toEqual(["null"]);
});

test("stringType state assigned a number: official silently stores an empty string, ours throws naming the state", async () => {
  // google-protobuf's string writer skips a value whose .length is not > 0, so 42 becomes ""
  // and the data is lost without an error. Ours fails the batch at the assignment.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "label", type: sdk.StateFun.stringType() }],
      fn(ctx) {
        (ctx.storage as Record<string, unknown>).label = 42;
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ label: null }));
  expect(replyOf(official).invocationResult?.stateMutations).toEqual([
    { mutationType: MutationType.MODIFY, stateName: "label", stateValue: { typename: "io.statefun.types/string", hasValue: true } },
  ]);
  expect(ours.status).toBe(500);
  expect(ours.body.toString()).toContain('state "label" of conf/t("id"): io.statefun.types/string cannot encode 42');
});

test("booleanType state assigned a number: official stores true for any truthy value, ours throws naming the state", async () => {
  // Official passes the value to google-protobuf unchecked (1 is written as true, 0 as false);
  // a type confusion is silently turned into a different value. Ours rejects non-booleans.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "flag", type: sdk.StateFun.booleanType() }],
      fn(ctx) {
        (ctx.storage as Record<string, unknown>).flag = 1;
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ flag: null }));
  expect(hex(replyOf(official).invocationResult?.stateMutations[0].stateValue?.value)).toBe("0801");
  expect(ours.status).toBe(500);
  expect(ours.body.toString()).toContain('state "flag" of conf/t("id"): io.statefun.types/bool cannot encode 1');
});

test("reading an undeclared state: official yields undefined silently, ours throws naming it and the declared states", async () => {
  // A typo in a state name reads as "no value" in official, so the function quietly starts
  // from scratch on every call. Ours fails the batch with the name and the declared ones.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "count", type: sdk.StateFun.intType() }],
      fn(ctx) {
        const value = (ctx.storage as Record<string, unknown>).cuont;
        ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: String(value) }));
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ count: null }));
  expect(sentStrings(official.body)).toEqual(["undefined"]);
  expect(ours.status).toBe(500);
  expect(ours.body.toString()).toContain('reads state "cuont", which it does not declare (declared: count)');
});

test("undeclared state named hasOwnProperty in the request: official crashes (500), ours ignores it (PROTOCOL: undeclared states are ignored)", async () => {
  // Official indexes received states in a plain object and then calls
  // received.hasOwnProperty(name), which the state named "hasOwnProperty" has replaced: a
  // TypeError on every request to that address, forever (the runtime keeps the state).
  const program: Program = (sdk) => [{ typename: FN, specs: [{ name: "count", type: sdk.StateFun.intType() }], fn() {} }];
  const { ours, official } = await runBoth(program, req({ count: null, hasOwnProperty: null }));
  expect(official.status).toBe(500);
  expect(replyOf(ours).invocationResult).toEqual({ stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] });
});

test("both TTLs on one state: official silently keeps only expireAfterWrite, ours rejects at bind", async () => {
  // The wire has one expiration mode per state; official drops expireAfterCall without a word.
  const program: Program = (sdk) => [
    { typename: FN, specs: [{ name: "x", type: sdk.StateFun.intType(), expireAfterCall: 5_000, expireAfterWrite: 7_000 }], fn() {} },
  ];
  const official = await callHandle(OFFICIAL.serve(program), req());
  expect(replyOf(official).incompleteInvocationContext?.missingValues).toEqual([
    { stateName: "x", typeTypename: "io.statefun.types/int", expirationSpec: { mode: 1, expireAfterMillis: 7_000 } },
  ]);
  expect(() => OURS.serve(program)).toThrow('state "x" sets both expireAfterCall and expireAfterWrite');
});

test("non-positive TTL: official registers expire_after_millis 0 or negative with the cluster, ours rejects at bind", async () => {
  // A TTL of 0 or less is never what was meant (the state would expire at once, or the value
  // is a bug); official sends it to the cluster as is.
  for (const ttl of [0, -1_000]) {
    const program: Program = (sdk) => [{ typename: FN, specs: [{ name: "x", type: sdk.StateFun.intType(), expireAfterWrite: ttl }], fn() {} }];
    const official = await callHandle(OFFICIAL.serve(program), req());
    const [spec] = replyOf(official).incompleteInvocationContext?.missingValues ?? [];
    expect(spec.expirationSpec).toEqual(ttl === 0 ? { mode: 1 } : { mode: 1, expireAfterMillis: ttl });
    expect(() => OURS.serve(program)).toThrow("expireAfterWrite must be a positive whole number of milliseconds");
  }
});

test("lone UTF-16 surrogate in a string: official drops it from state values and writes invalid UTF-8 (ED A0 80) elsewhere, ours writes U+FFFD everywhere", async () => {
  // A lone surrogate (e.g. from slicing a string through an emoji) has no UTF-8 form.
  // protobuf-java rejects a message holding invalid UTF-8, so the official reply below, whose
  // target id is "p" + ED B0 80, cannot be parsed by the cluster: the batch is retried until
  // the job fails. Ours replaces it with U+FFFD (EF BF BD), as Node's Buffer and TextEncoder
  // do, in every string of the reply and of the values it carries.
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "label", type: sdk.StateFun.stringType() }],
      fn(ctx) {
        (ctx.storage as { label: string }).label = "a\uD800b";
        ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p\uDC00", value: "x\uD800" }));
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ label: null }));
  // A strict protobuf parser (protobufjs here, protobuf-java in the cluster) rejects the official reply.
  expect(official.status).toBe(200);
  expect(() => decodeFromFunction(official.body)).toThrow("not valid for encoding utf-8");
  expect(official.body.includes(Buffer.from("0a026162", "hex"))).toBe(true); // state "ab": the character dropped
  expect(official.body.includes(Buffer.from("70edb080", "hex"))).toBe(true); // target id "p" + invalid UTF-8
  expect(official.body.includes(Buffer.from("0a0478eda080", "hex"))).toBe(true); // message value, invalid UTF-8

  const result = replyOf(ours).invocationResult;
  expect(hex(result?.stateMutations[0].stateValue?.value)).toBe("0a0561efbfbd62");
  expect(result?.outgoingMessages[0].target.id).toBe("p\uFFFD");
  expect(hex(result?.outgoingMessages[0].argument.value)).toBe("0a0478efbfbd");
});

test("float NaN: official writes the bit pattern 0x7FFFFFFF, ours the canonical quiet NaN 0x7FC00000 (both read back as NaN)", async () => {
  // google-protobuf's splitFloat32 encodes NaN as 0x7FFFFFFF; Float32Array (protobufjs, and
  // Java's Float.floatToIntBits) gives the canonical 0x7FC00000. Any reader decodes both as
  // NaN, so only raw byte comparisons see it (the property test never produces NaN).
  const program: Program = (sdk) => [
    {
      typename: FN,
      specs: [{ name: "ratio", type: sdk.StateFun.floatType() }],
      fn(ctx) {
        (ctx.storage as { ratio: number }).ratio = NaN;
      },
    },
  ];
  const { ours, official } = await runBoth(program, req({ ratio: null }));
  const value = (body: Buffer): string => hex(replyOf({ status: 200, contentType: undefined, body }).invocationResult?.stateMutations[0].stateValue?.value);
  expect(value(official.body)).toBe("0dffffff7f");
  expect(value(ours.body)).toBe("0d0000c07f");
  expect(StateFun.floatType().deserialize(Buffer.from("0dffffff7f", "hex"))).toBeNaN();
});

test("delayed message with a cancellation token: official writes DelayedInvocation fields in .proto declaration order, ours in field-number order (decoded equal)", async () => {
  // Not a defect on either side: protobuf readers accept fields in any order. google-protobuf's
  // generated code writes fields in declaration order (is_cancellation_request = 10 and
  // cancellation_token = 11 come first in the .proto); protobufjs, like protobuf-java, writes
  // them by field number. This is the only reason the property test's replies are not always
  // byte-identical.
  const program: Program = (sdk) => [
    {
      typename: FN,
      fn(ctx) {
        ctx.sendAfter(5, sdk.messageBuilder({ typename: "conf/peer", id: "p", value: "x" }), "tok");
        ctx.sendAfter(0, sdk.messageBuilder({ typename: "conf/peer", id: "p", value: 7 }));
        ctx.cancelDelayedMessage("tok");
      },
    },
  ];
  const { ours, official } = await runBoth(program, req());
  expect(decodedReply(ours.body)).toEqual(decodedReply(official.body));
  expect(ours.body.equals(official.body)).toBe(false);
  expect(canonicalBytes(official.body).equals(ours.body)).toBe(true);
  // The untokened message (delay 0: field 1 left out) and the cancellation agree; the tokened one differs.
  expect(delayedFieldOrders(ours.body)).toEqual([[1, 2, 3, 11], [2, 3], [10, 11]]);
  expect(delayedFieldOrders(official.body)).toEqual([[11, 1, 2, 3], [2, 3], [10, 11]]);
});

test("request errors: official answers 500 to everything, ours 404 for an unknown function type and 400 for a body that is not a ToFunction", async () => {
  // The runtime retries any non-2xx, so the status does not change what the cluster does, but
  // official's empty 500 hides a misrouted endpoint or a broken proxy behind "function failed".
  const program: Program = () => [{ typename: FN, fn() {} }];
  const unknown = request({ target: addr("conf/nope", "id"), invocations: [{ argument: tv(STRING, "go") }] });
  const garbage = Buffer.from([0xff, 0xff, 0xff]);
  for (const [body, ourStatus, ourText] of [
    [unknown, 404, 'no function is bound to "conf/nope"'],
    [garbage, 400, "is not a StateFun ToFunction message"],
  ] as const) {
    const { ours, official } = await runBoth(program, body);
    expect(official).toEqual({ status: 500, contentType: "application/octet-stream", body: Buffer.alloc(0) });
    expect(ours.status).toBe(ourStatus);
    expect(ours.body.toString()).toContain(ourText);
  }
});

test("batch without invocations, or an invocation without an argument: official runs it (empty result / a message with no value), ours answers 400", async () => {
  // The runtime never sends either. Official answers as if all were well; ours reports a
  // malformed request rather than inventing a message with no value.
  const program: Program = (sdk) => [
    {
      typename: FN,
      fn: (ctx, msg) => ctx.send(sdk.messageBuilder({ typename: "conf/peer", id: "p", value: String(msg.as(sdk.StateFun.stringType())) })),
    },
  ];
  const empty = await runBoth(program, req({}, []));
  expect(replyOf(empty.official).invocationResult).toEqual({ stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] });
  expect(empty.ours.status).toBe(400);
  expect(empty.ours.body.toString()).toContain("has no invocations");

  const noArgument = await runBoth(program, req({}, [{} as { argument: WireTypedValue }]));
  expect(sentStrings(noArgument.official.body)).toEqual(["null"]);
  expect(noArgument.ours.status).toBe(400);
  expect(noArgument.ours.body.toString()).toContain("has no argument");
});
