/**
 * LocalRuntime's dead letters (what `statefun dev` runs with), against the default that
 * fails the job as the cluster does; and what changed around them: replies checked whole
 * before anything applies, the endpoints' call timeouts from module.yaml, messages that name
 * an unreachable endpoint, "did you mean", unread Kafka/Kinesis records. Virtual clock: no test sleeps.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InvalidArgumentError, StateFun, kafkaEgressMessage, kinesisEgressMessage, messageBuilder, silentLogger } from "../../src";
import { eventToJson, JobFailedError, LocalRuntime, type DeadLetter, type RuntimeEvent } from "../../src/local";
import { routingOf } from "../../src/local/runtime";
import { decodeToFunction } from "../../src/wire/codec";
import { gate } from "./gate";

const INT = StateFun.intType();
const STRING = StateFun.stringType();

/**
 * `example/list` appends each string to its `seen` state and tells `example/sink`; "poison"
 * throws while `broken.now` is set. The first invocation can be held at a gate, so that the
 * messages after it queue up into one batch.
 */
function listApp(broken: { now: boolean }, hold?: Promise<void>): StateFun {
  let first = true;
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/list",
      specs: [{ name: "seen", type: STRING }],
      async fn(ctx, msg) {
        if (first && hold) {
          first = false;
          await hold;
        }
        const text = msg.asString() ?? "";
        if (text === "poison" && broken.now) throw new Error(`cannot take ${text}`);
        ctx.storage.seen = `${ctx.storage.seen ?? ""}${text};`;
        ctx.send(messageBuilder({ typename: "example/sink", id: ctx.self.id, value: text }));
      },
    })
    .bind({ typename: "example/sink", specs: [{ name: "got", type: STRING }], fn: (ctx, msg) => void (ctx.storage.got = `${ctx.storage.got ?? ""}${msg.asString()};`) });
}

const deadLetterEvents = (rt: LocalRuntime): RuntimeEvent[] => rt.log.filter((e) => e.kind.startsWith("dead-letter"));

test("by default a failing invocation fails the job, as in the cluster; its error is the cause", async () => {
  const rt = new LocalRuntime({ functions: listApp({ now: true }), callTimeoutMs: 100 });
  rt.send("example/list", "a", "poison");
  const failure = (await rt.runUntilIdle().catch((e: unknown) => e)) as JobFailedError;
  expect(failure).toBeInstanceOf(JobFailedError);
  expect((failure.cause as Error).message).toBe("cannot take poison");
  expect(rt.deadLetters).toEqual([]);
});

test("with dead letters, an invocation that keeps failing is set aside after maxAttempts; its address goes on", async () => {
  const rt = new LocalRuntime({ functions: listApp({ now: true }), deadLetters: { maxAttempts: 3 } });
  rt.send("example/list", "a", "one");
  rt.send("example/list", "a", "poison");
  rt.send("example/list", "b", "other");
  await rt.runUntilIdle();
  rt.send("example/list", "a", "two");
  await rt.runUntilIdle();
  expect(rt.state("example/list", "a", "seen")).toBe("one;two;");
  expect(rt.state("example/sink", "a", "got")).toBe("one;two;");
  expect(rt.state("example/list", "b", "seen")).toBe("other;");
  expect(rt.log.filter((e) => e.kind === "retry" && e.to.id === "a").length).toBe(2);
  const [letter] = rt.deadLetters;
  expect(letter).toMatchObject({ id: 1, to: { typename: "example/list", id: "a" }, from: null, attempts: 3 });
  expect(letter.error).toMatch(/^HTTP 500: function example\/list\("a"\) failed at invocation 1 of 1: cannot take poison$/);
  expect(STRING.deserialize(Buffer.from(letter.value.value ?? []))).toBe("poison");
  // The function's own frames only: the first is this file's, none is the SDK's or Node's.
  const frames = (letter.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  expect(frames[0]).toContain(path.join("test", "testing", "dead-letters.test.ts"));
  expect(frames.some((l) => l.includes(`${path.sep}src${path.sep}`) || l.includes("node:"))).toBe(false);
  expect(deadLetterEvents(rt)).toEqual([{ kind: "dead-letter", ...letter }]);
});

test("a failing invocation in a batch is isolated: the batch is sent again one invocation per request, the rest applied in order", async () => {
  const held = gate();
  const rt = new LocalRuntime({ functions: listApp({ now: true }, held.wait), deadLetters: { maxAttempts: 2 } });
  rt.send("example/list", "a", "first");
  await Promise.resolve();
  for (const text of ["one", "poison", "two"]) rt.send("example/list", "a", text);
  held.open();
  await rt.runUntilIdle();
  expect(rt.state("example/list", "a", "seen")).toBe("first;one;two;");
  expect(rt.state("example/sink", "a", "got")).toBe("first;one;two;");
  expect(rt.deadLetters.map((d) => STRING.deserialize(Buffer.from(d.value.value ?? [])))).toEqual(["poison"]);
  const batches = rt.trace
    .filter((e) => e.to.typename === "example/list")
    .map((e) => decodeToFunction(e.request).invocation?.invocations.map((i) => STRING.deserialize(Buffer.from(i.argument?.value ?? []))).join(","));
  // The batch twice (two attempts), then each invocation alone, the poison twice.
  expect(batches.filter((b) => b !== "first")).toEqual(["one,poison,two", "one,poison,two", "one", "poison", "poison", "two"]);
});

test("retryDeadLetter sends it again to the end of its address's queue; discardDeadLetter drops it; both are events", async () => {
  const broken = { now: true };
  const rt = new LocalRuntime({ functions: listApp(broken), deadLetters: {} });
  rt.send("example/list", "a", "poison");
  rt.send("example/list", "a", "dud");
  await rt.runUntilIdle();
  rt.send("example/list", "a", "poison");
  await rt.runUntilIdle();
  expect(rt.deadLetters.map((d) => d.id)).toEqual([1, 2]);
  expect(() => rt.retryDeadLetter(7)).toThrow(InvalidArgumentError);
  expect(() => rt.retryDeadLetter(7)).toThrow("there is no dead letter #7; dead letters: #1, #2");
  broken.now = false;
  rt.retryDeadLetter(1);
  rt.discardDeadLetter(2);
  await rt.runUntilIdle();
  expect(rt.state("example/list", "a", "seen")).toBe("dud;poison;");
  expect(rt.deadLetters).toEqual([]);
  expect(deadLetterEvents(rt).map((e) => `${e.kind} ${"id" in e ? e.id : ""}`)).toEqual([
    "dead-letter 1",
    "dead-letter 2",
    "dead-letter-retry 1",
    "dead-letter-discard 2",
  ]);
  const retried = rt.log.findIndex((e) => e.kind === "dead-letter-retry");
  expect(rt.log.slice(retried).find((e) => e.kind === "deliver")).toMatchObject({ to: { id: "a" }, from: null });
});

test("a reply the cluster would refuse is checked whole: nothing of it applies, and with dead letters it is set aside at once", async () => {
  const sf = new StateFun({ logger: silentLogger }).bind({
    typename: "example/out",
    specs: [{ name: "n", type: INT }],
    fn(ctx, msg) {
      ctx.storage.n = (ctx.storage.n ?? 0) + 1;
      if (msg.asString() === "ping") return;
      ctx.send(messageBuilder({ typename: "example/out", id: "other", value: "ping" }));
      ctx.send(kafkaEgressMessage({ typename: msg.asString() ?? "", topic: "t", value: "v" }));
    },
  });
  const failing = new LocalRuntime({ functions: sf, egresses: [{ id: "example/known", kind: "kafka" }] });
  failing.send("example/out", "a", "example/knwn");
  await expect(failing.runUntilIdle()).rejects.toThrow(
    'example/out("a") wrote to egress example/knwn, which is not declared (declared: example/known); did you mean example/known?',
  );
  expect([failing.state("example/out", "a", "n"), failing.log.filter((e) => e.kind === "message")]).toEqual([null, []]);

  const lettering = new LocalRuntime({ functions: sf, egresses: [{ id: "example/known", kind: "kafka" }], deadLetters: { maxAttempts: 5 } });
  lettering.send("example/out", "a", "example/knwn");
  lettering.send("example/out", "a", "example/known");
  await lettering.runUntilIdle();
  expect(lettering.deadLetters.map((d) => [d.attempts, d.error])).toEqual([[1, expect.stringMatching(/^example\/out\("a"\) wrote to egress example\/knwn, which is not declared/)]]);
  expect([lettering.state("example/out", "a", "n"), lettering.state("example/out", "other", "n")]).toEqual([1, 1]);
  expect(lettering.log.filter((e) => e.kind === "retry")).toEqual([]);
});

test("messages to a function type that is gone (a reload dropped it) become dead letters, sent again once it is back", async () => {
  const app = new StateFun({ logger: silentLogger }).bind({
    typename: "example/timer",
    specs: [{ name: "rang", type: StateFun.booleanType() }],
    fn(ctx, msg) {
      if (msg.asString() === "arm") ctx.sendAfter(1_000, messageBuilder({ typename: "example/timer", id: ctx.self.id, value: "ring" }));
      else ctx.storage.rang = true;
    },
  });
  const rt = new LocalRuntime({ functions: app, deadLetters: {} });
  rt.send("example/timer", "a", "arm");
  await rt.runUntilIdle();
  routingOf(rt).replaceInProcess([]);
  expect(() => rt.send("example/timer", "a", "arm")).toThrow("no function type example/timer is served");
  await rt.advance(1_000);
  expect(rt.deadLetters.map((d) => [d.attempts, d.from, d.error])).toEqual([
    [0, { typename: "example/timer", id: "a" }, expect.stringMatching(/^no function type example\/timer is served: /)],
  ]);
  expect(() => rt.retryDeadLetter(1)).toThrow("no function type example/timer is served");
  routingOf(rt).replaceInProcess([app]);
  rt.retryDeadLetter(1);
  await rt.runUntilIdle();
  expect(rt.state("example/timer", "a", "rang")).toBe(true);
});

test("saveState keeps dead letters and unread Kafka/Kinesis records; loadState brings them back", async () => {
  const sf = listApp({ now: true }).bind({
    typename: "example/egress",
    fn(ctx) {
      ctx.send(kafkaEgressMessage({ typename: "example/k", topic: "receipts", key: "ann", value: "r1" }));
      ctx.send(kinesisEgressMessage({ typename: "example/s", stream: "clicks", partitionKey: "p", value: "c1" }));
    },
  });
  const egresses = [{ id: "example/k", kind: "kafka" as const }, { id: "example/s", kind: "kinesis" as const }];
  const rt = new LocalRuntime({ functions: sf, egresses, deadLetters: {} });
  rt.send("example/list", "a", "poison");
  rt.send("example/egress", "e", "go");
  rt.send("example/egress", "e", "go");
  await rt.runUntilIdle();
  expect(rt.takeKafkaRecord("receipts")).toEqual({ kind: "kafka", topic: "receipts", key: "ann", value: Buffer.from("r1") });
  const saved = JSON.parse(JSON.stringify(rt.saveState()));
  const restored = new LocalRuntime({ functions: sf, egresses, deadLetters: {} });
  restored.loadState(saved);
  expect(restored.deadLetters).toEqual(rt.deadLetters);
  expect(restored.takeKafkaRecord("receipts")?.value.toString()).toBe("r1");
  expect(restored.takeKafkaRecord("receipts")).toBeUndefined();
  expect(restored.takeKinesisRecord("clicks")).toEqual({ kind: "kinesis", stream: "clicks", partitionKey: "p", explicitHashKey: "", value: Buffer.from("c1") });
  expect(restored.takeKinesisRecord("clicks")?.value.toString()).toBe("c1");
  // New dead letters continue the numbering.
  restored.send("example/list", "a", "poison");
  await restored.runUntilIdle();
  expect(restored.deadLetters.map((d: DeadLetter) => d.id)).toEqual([1, 2]);
});

test("dead-letter events are plain JSON through eventToJson", async () => {
  const rt = new LocalRuntime({ functions: listApp({ now: true }), deadLetters: { maxAttempts: 1 } });
  rt.send("example/list", "a", "poison");
  await rt.runUntilIdle();
  rt.discardDeadLetter(1);
  const json = deadLetterEvents(rt).map(eventToJson);
  expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  expect(json[0]).toMatchObject({ kind: "dead-letter", id: 1, value: { typename: "io.statefun.types/string", value: "poison" }, attempts: 1 });
  expect(json[1]).toEqual({ kind: "dead-letter-discard", at: 0, id: 1, to: { typename: "example/list", id: "a" } });
});

test("maxAttempts must be a whole number of at least 1", () => {
  expect(() => new LocalRuntime({ deadLetters: { maxAttempts: 0 } })).toThrow("deadLetters.maxAttempts must be a whole number of at least 1, got 0");
});

describe("call timeouts and endpoints", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), "statefun-timeouts-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function moduleFile(call: string | undefined): string {
    const file = path.join(dir, `module-${call ?? "default"}.yaml`);
    writeFileSync(
      file,
      `kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: http://functions:8000/statefun\n` +
        (call === undefined ? "" : `  transport:\n    type: io.statefun.transports.v1/async\n    call: ${call}\n`),
    );
    return file;
  }

  test.each([
    ["2m", undefined, 120_000],
    [undefined, undefined, 120_000], // the async transport's default
    ["30s", 1_000, 1_000], // the option overrides every endpoint's
  ])("module call: %s, option %s: the job fails after %d ms of retries", async (call, option, ms) => {
    const rt = new LocalRuntime({ module: moduleFile(call), functions: listApp({ now: true }), ...(option !== undefined ? { callTimeoutMs: option } : {}) });
    rt.send("example/list", "a", "poison");
    await expect(rt.runUntilIdle()).rejects.toThrow(`kept failing for ${ms} ms of retries`);
    expect(rt.now).toBeLessThanOrEqual(ms);
    expect(rt.now).toBeGreaterThan(ms / 2);
  });

  test("the runtime's endpoints override the module's; an unreachable one is named, with how to point it elsewhere", async () => {
    const rt = new LocalRuntime({ module: moduleFile("2m"), endpoints: [{ functions: "example/*", url: "http://127.0.0.1:1/statefun" }], deadLetters: { maxAttempts: 1 } });
    expect(routingOf(rt).table()).toEqual([
      { functions: "example/*", target: "http://127.0.0.1:1/statefun", from: "endpoints" },
      { functions: "example/*", target: "http://functions:8000/statefun", from: path.join(dir, "module-2m.yaml") },
    ]);
    rt.send("example/remote", "r", "x");
    await rt.runUntilIdle();
    expect(rt.deadLetters[0]?.error).toBe(
      "connect ECONNREFUSED 127.0.0.1:1: cannot reach http://127.0.0.1:1/statefun, the endpoint for example/* (the runtime's endpoints); " +
        "if its functions run elsewhere, point the endpoint there: statefun dev --endpoint 'example/*=http://localhost:1/statefun' " +
        '(LocalRuntime: endpoints: [{ functions: "example/*", url }])',
    );
    rt.close();
  });
});

test("a message to an unknown function type suggests the closest served one", async () => {
  const rt = new LocalRuntime({ functions: listApp({ now: false }) });
  expect(() => rt.send("example/lsit", "a", "x")).toThrow(
    "no function type example/lsit is served; did you mean example/list?: bind it on a StateFun passed as `functions`",
  );
});

test("close() stops the runtime: nothing more is delivered", async () => {
  const held = gate();
  const rt = new LocalRuntime({ functions: listApp({ now: false }, held.wait) });
  rt.send("example/list", "a", "one");
  await Promise.resolve();
  rt.close();
  held.open();
  await rt.runUntilIdle();
  expect(rt.state("example/list", "a", "seen")).toBeNull();
  expect(rt.saveState().queued.map((q) => q.to.id)).toEqual(["a"]);
});
