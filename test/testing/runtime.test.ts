/**
 * LocalRuntime against PROTOCOL.md: one test per behaviour of the cluster it stands in for.
 * Everything runs on the virtual clock: no test sleeps.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { StateFun, kafkaEgressMessage, kinesisEgressMessage, messageBuilder, silentLogger, type Context, type Message } from "../../src";
import { eventToJson, formatEvent, JobFailedError, LocalRuntime, parseTrace, replay, type RuntimeEvent } from "../../src/local";
import { decodeToFunction, encodeFromFunction, ExpireMode, MutationType, type WireFromFunction, type WireToFunction } from "../../src/wire/codec";
import { gate } from "./gate";

const STRING = StateFun.stringType();
const INT = StateFun.intType();

/** Requests the runtime sent to a function type, decoded. */
function requestsTo(rt: LocalRuntime, typename: string): WireToFunction[] {
  return rt.trace.filter((e) => e.to.typename === typename).map((e) => decodeToFunction(e.request));
}

function kinds(events: readonly RuntimeEvent[], ...wanted: RuntimeEvent["kind"][]): string[] {
  return events.filter((e) => wanted.includes(e.kind)).map((e) => e.kind);
}

/** A counter: adds the int message (or 1) to its `count` state and echoes the total to example/sink. */
function counterApp(): StateFun {
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/counter",
      specs: [{ name: "count", type: INT }],
      fn(ctx, msg) {
        const count = (ctx.storage.count ?? 0) + (msg.isInt() ? (msg.asInt() ?? 0) : 1);
        ctx.storage.count = count;
        ctx.send(messageBuilder({ typename: "example/sink", id: ctx.self.id, value: count }));
      },
    })
    .bind({
      typename: "example/sink",
      specs: [{ name: "seen", type: INT }],
      fn(ctx, msg) {
        ctx.storage.seen = msg.asInt();
      },
    });
}

/** An HTTP endpoint that answers with whatever `answer` builds from the decoded request. */
async function craftedEndpoint(answer: (req: WireToFunction, n: number) => WireFromFunction): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = encodeFromFunction(answer(decodeToFunction(Buffer.concat(chunks)), n++));
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const ok = (result: Partial<NonNullable<WireFromFunction["invocationResult"]>> = {}): WireFromFunction => ({
  invocationResult: { stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [], ...result },
});

describe("batching", () => {
  test("one request per address in flight; messages arriving meanwhile go as one batch, in order", async () => {
    const first = gate();
    const seen: string[][] = [];
    let calls = 0;
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/slow",
      async fn(_ctx, msg) {
        if (calls++ === 0) await first.wait;
        seen.push([msg.asString() ?? ""]);
      },
    });
    const rt = new LocalRuntime({ functions: sf });
    rt.send("example/slow", "a", "m1");
    await Promise.resolve();
    for (const m of ["m2", "m3", "m4"]) rt.send("example/slow", "a", m);
    rt.send("example/slow", "b", "other address");
    first.open();
    await rt.runUntilIdle();
    const batches = (id: string) =>
      requestsTo(rt, "example/slow")
        .filter((r) => r.invocation?.target?.id === id)
        .map((r) => r.invocation?.invocations.map((i) => STRING.deserialize(i.argument?.value ?? Buffer.alloc(0))));
    expect(batches("a")).toEqual([["m1"], ["m2", "m3", "m4"]]);
    expect(batches("b")).toEqual([["other address"]]);
    expect(seen.flat().filter((m) => m !== "other address")).toEqual(["m1", "m2", "m3", "m4"]);
  });

  test("maxNumBatchRequests caps a batch; the rest goes in the next ones", async () => {
    const first = gate();
    let calls = 0;
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/slow",
      async fn() {
        if (calls++ === 0) await first.wait;
      },
    });
    const rt = new LocalRuntime({ functions: sf, maxNumBatchRequests: 3 });
    for (let i = 0; i < 8; i++) rt.send("example/slow", "a", i);
    first.open();
    await rt.runUntilIdle();
    // The first message goes at once, alone; the other seven queue behind it.
    expect(requestsTo(rt, "example/slow").map((r) => r.invocation?.invocations.length)).toEqual([1, 3, 3, 1]);
  });
});

describe("state registration", () => {
  test("IncompleteInvocationContext: the specs are registered and the same batch is sent again with them", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.send("example/counter", "c", 5);
    await rt.runUntilIdle();
    const [firstTry, secondTry] = requestsTo(rt, "example/counter");
    expect(firstTry.invocation?.state).toEqual([]);
    expect(secondTry.invocation?.state).toEqual([{ stateName: "count" }]);
    expect(secondTry.invocation?.invocations).toEqual(firstTry.invocation?.invocations);
    expect(rt.registeredStates("example/counter")).toEqual(["count"]);
    expect(rt.state("example/counter", "c", "count")).toBe(5);
  });

  test("every registered state rides along on every request: a value when there is one, the name only when not", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.send("example/counter", "c", 2);
    rt.send("example/counter", "d", 3);
    await rt.runUntilIdle();
    rt.send("example/counter", "c", 1);
    await rt.runUntilIdle();
    const last = requestsTo(rt, "example/counter").at(-1);
    expect(last?.invocation?.target?.id).toBe("c");
    expect(last?.invocation?.state.map((s) => [s.stateName, s.stateValue ? INT.deserialize(s.stateValue.value ?? Buffer.alloc(0)) : null])).toEqual([["count", 2]]);
    expect(rt.state("example/counter", "c", "count")).toBe(3);
    expect(rt.state("example/counter", "d", "count")).toBe(3);
  });

  test("a state whose type changes fails the job, as the cluster does", async () => {
    const endpoint = await craftedEndpoint((_req, n) =>
      n === 0
        ? { incompleteInvocationContext: { missingValues: [{ stateName: "x", typeTypename: "io.statefun.types/int" }] } }
        : ok({ stateMutations: [{ mutationType: MutationType.MODIFY, stateName: "x", stateValue: { typename: "io.statefun.types/string", hasValue: true } }] }),
    );
    try {
      const rt = new LocalRuntime({ endpoints: [{ functions: "remote/*", url: endpoint.url }] });
      rt.send("remote/fn", "1", "go");
      const failure = rt.runUntilIdle();
      await expect(failure).rejects.toThrow(JobFailedError);
      await expect(failure).rejects.toThrow('wrote state "x" as io.statefun.types/string, but it is registered as io.statefun.types/int');
      expect(rt.log.at(-1)?.kind).toBe("failure");
      rt.close();
    } finally {
      await endpoint.close();
    }
  });
});

describe("applying replies", () => {
  test("in the cluster's order: messages, delayed messages, egress, then state", async () => {
    const sf = counterApp().bind({
      typename: "example/all",
      specs: [{ name: "n", type: INT }],
      fn(ctx) {
        ctx.storage.n = 1;
        ctx.send(kafkaEgressMessage({ typename: "example/out", topic: "t", value: "e" }));
        ctx.sendAfter(10, messageBuilder({ typename: "example/sink", id: "x", value: 1 }));
        ctx.send(messageBuilder({ typename: "example/sink", id: "x", value: 2 }));
      },
    });
    const rt = new LocalRuntime({ functions: sf, egresses: [{ id: "example/out", kind: "kafka" }] });
    rt.send("example/all", "a", "go");
    await rt.runUntilIdle();
    const fromAll = rt.log.filter((e) => "from" in e && e.from?.typename === "example/all" || ("address" in e && e.address.typename === "example/all"));
    expect(kinds(fromAll, "message", "delayed", "egress", "state")).toEqual(["message", "delayed", "egress", "state"]);
  });

  test("DELETE removes a state; MODIFY stores the value with its typename", async () => {
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/kv",
      specs: [{ name: "v", type: STRING }],
      fn(ctx, msg) {
        const text = msg.asString();
        ctx.storage.v = text === "delete" ? null : text;
      },
    });
    const rt = new LocalRuntime({ functions: sf });
    rt.send("example/kv", "k", "hello");
    await rt.runUntilIdle();
    expect(rt.stateValue("example/kv", "k", "v")).toEqual({ typename: "io.statefun.types/string", hasValue: true, value: STRING.serialize("hello") });
    rt.send("example/kv", "k", "delete");
    await rt.runUntilIdle();
    expect(rt.stateValue("example/kv", "k", "v")).toBeNull();
    expect(requestsTo(rt, "example/kv").at(-1)?.invocation?.state[0].stateValue?.value).toEqual(STRING.serialize("hello"));
  });
});

describe("TTL on the runtime's clock", () => {
  function ttlApp(): StateFun {
    return new StateFun({ logger: silentLogger }).bind({
      typename: "example/ttl",
      specs: [
        { name: "written", type: INT, expireAfterWrite: 1_000 },
        { name: "touched", type: INT, expireAfterCall: 1_000 },
      ],
      fn(ctx, msg) {
        if (msg.asString() === "write") {
          ctx.storage.written = 1;
          ctx.storage.touched = 1;
        }
      },
    });
  }

  test("the specs carry the TTL to the cluster", async () => {
    const rt = new LocalRuntime({ functions: ttlApp() });
    rt.send("example/ttl", "a", "write");
    await rt.runUntilIdle();
    const exchange = rt.trace[0];
    const { decodeFromFunction } = await import("../../src/wire/codec");
    expect(decodeFromFunction(exchange.reply as Buffer).incompleteInvocationContext?.missingValues).toEqual([
      { stateName: "written", typeTypename: "io.statefun.types/int", expirationSpec: { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: 1_000 } },
      { stateName: "touched", typeTypename: "io.statefun.types/int", expirationSpec: { mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: 1_000 } },
    ]);
  });

  test("AFTER_WRITE expires a state after its last write; AFTER_INVOKE after the last invocation", async () => {
    const rt = new LocalRuntime({ functions: ttlApp() });
    rt.send("example/ttl", "a", "write");
    await rt.runUntilIdle();
    for (let i = 0; i < 3; i++) {
      await rt.advance(600);
      rt.send("example/ttl", "a", "read");
      await rt.runUntilIdle();
    }
    // 1.8 s after the write, touched every 0.6 s.
    expect(rt.state("example/ttl", "a", "written")).toBeNull();
    expect(rt.state("example/ttl", "a", "touched")).toBe(1);
    await rt.advance(1_000);
    expect(rt.state("example/ttl", "a", "touched")).toBeNull();
    const last = requestsTo(rt, "example/ttl").at(-1);
    // Listed in the cluster's order (its HashMap's), not the order of registration.
    expect(last?.invocation?.state).toEqual([expect.objectContaining({ stateName: "touched" }), { stateName: "written" }]);
  });
});

describe("delayed messages", () => {
  function timerApp(): StateFun {
    return counterApp().bind({
      typename: "example/timer",
      fn(ctx, msg) {
        const [op, token] = (msg.asString() ?? "").split(":");
        const reminder = messageBuilder({ typename: "example/sink", id: ctx.self.id, value: 7 });
        if (op === "set") ctx.sendAfter(30_000, reminder, token || undefined);
        if (op === "cancel") ctx.cancelDelayedMessage(token);
      },
    });
  }

  test("delivered when virtual time reaches them, with the sender as caller, and not before", async () => {
    const rt = new LocalRuntime({ functions: timerApp() });
    const started = Date.now();
    rt.send("example/timer", "t", "set");
    await rt.runUntilIdle();
    expect(rt.pendingDelayed).toEqual([{ from: { typename: "example/timer", id: "t" }, to: { typename: "example/sink", id: "t" }, due: 30_000 }]);
    await rt.advance(29_999);
    expect(rt.state("example/sink", "t", "seen")).toBeNull();
    await rt.advance(1);
    expect(rt.state("example/sink", "t", "seen")).toBe(7);
    expect(rt.now).toBe(30_000);
    expect(Date.now() - started).toBeLessThan(5_000); // 30 virtual seconds, no sleeping
    const delivery = rt.log.find((e) => e.kind === "deliver" && e.to.typename === "example/sink");
    expect(delivery).toMatchObject({ from: { typename: "example/timer", id: "t" } });
  });

  test("a cancelled delayed message is never delivered", async () => {
    const rt = new LocalRuntime({ functions: timerApp() });
    rt.send("example/timer", "t", "set:tok");
    await rt.advance(10_000);
    rt.send("example/timer", "t", "cancel:tok");
    await rt.advance(60_000);
    expect(rt.state("example/sink", "t", "seen")).toBeNull();
    expect(rt.log.find((e) => e.kind === "cancel")).toMatchObject({ token: "tok", cancelled: true });
  });

  test("tokens are scoped to the sender: the same token from two addresses is two messages; cancelling an unknown token is a no-op", async () => {
    const rt = new LocalRuntime({ functions: timerApp() });
    rt.send("example/timer", "a", "set:tok");
    rt.send("example/timer", "b", "set:tok");
    rt.send("example/timer", "c", "cancel:nothing");
    await rt.runUntilIdle();
    rt.send("example/timer", "a", "cancel:tok");
    await rt.advance(30_000);
    expect(rt.state("example/sink", "a", "seen")).toBeNull();
    expect(rt.state("example/sink", "b", "seen")).toBe(7);
  });

  test("tokens are scoped to the sender's id alone, as the cluster keys them: another function type with that id cancels it", async () => {
    const app = timerApp();
    const rt = new LocalRuntime({ functions: app.bind({ typename: "example/other", fn: (ctx) => ctx.cancelDelayedMessage("tok") }) });
    rt.send("example/timer", "X", "set:tok");
    await rt.runUntilIdle();
    rt.send("example/other", "X", "cancel");
    await rt.advance(30_000);
    expect(rt.state("example/sink", "X", "seen")).toBeNull();
    expect(rt.log.find((e) => e.kind === "cancel")).toMatchObject({ from: { typename: "example/other", id: "X" }, token: "tok", cancelled: true });
  });

  test("two function types with the same id pending the same token fail the job", async () => {
    const app = timerApp();
    const rt = new LocalRuntime({
      functions: app.bind({
        typename: "example/timer2",
        fn: (ctx) => ctx.sendAfter(30_000, messageBuilder({ typename: "example/sink", id: ctx.self.id, value: 8 }), "tok"),
      }),
    });
    rt.send("example/timer", "X", "set:tok");
    await rt.runUntilIdle();
    rt.send("example/timer2", "X", "go");
    await expect(rt.runUntilIdle()).rejects.toThrow(/cancellation token "tok" while another with that token is pending from id "X"/);
  });

  test("a second pending message with the same token fails the job", async () => {
    const rt = new LocalRuntime({ functions: timerApp() });
    rt.send("example/timer", "a", "set:tok");
    await rt.runUntilIdle();
    rt.send("example/timer", "a", "set:tok");
    await expect(rt.runUntilIdle()).rejects.toThrow('cancellation token "tok" while another with that token is pending');
  });

  test("a negative delay fails the job (here from the official SDK, which sends one)", async () => {
    const official = await import("apache-flink-statefun");
    const theirs = new official.StateFun();
    theirs.bind({
      typename: "legacy/late",
      fn: (ctx) => ctx.sendAfter(-5, official.messageBuilder({ typename: "legacy/late", id: "x", value: "again" })),
    });
    const server = http.createServer(theirs.handler() as http.RequestListener);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const rt = new LocalRuntime({ endpoints: [{ functions: "legacy/*", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun` }] });
      rt.send("legacy/late", "x", "go");
      await expect(rt.runUntilIdle()).rejects.toThrow("sent a delayed message with delay -5 ms; the cluster fails the job on a negative delay");
      rt.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("what fails the job", () => {
  test("a message to a function type nobody serves", async () => {
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/lost",
      fn: (ctx) => ctx.send(messageBuilder({ typename: "example/nowhere", id: "1", value: "x" })),
    });
    const rt = new LocalRuntime({ functions: sf });
    rt.send("example/lost", "a", "go");
    await expect(rt.runUntilIdle()).rejects.toThrow("no function type example/nowhere is served");
    expect(() => rt.send("example/nowhere", "a", "x")).toThrow(JobFailedError);
  });

  test("a record for an undeclared egress, or a record of the wrong kind for a declared one", async () => {
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/out",
      fn: (ctx, msg) => ctx.send(kinesisEgressMessage({ typename: msg.asString() ?? "", stream: "s", partitionKey: "p", value: "v" })),
    });
    const undeclared = new LocalRuntime({ functions: sf, egresses: ["example/known"] });
    undeclared.send("example/out", "a", "example/unknown");
    await expect(undeclared.runUntilIdle()).rejects.toThrow("wrote to egress example/unknown, which is not declared (declared: example/known)");
    const wrongKind = new LocalRuntime({ functions: sf, egresses: [{ id: "example/kafka", kind: "kafka" }] });
    wrongKind.send("example/out", "a", "example/kafka");
    await expect(wrongKind.runUntilIdle()).rejects.toThrow("a kafka egress, which only takes kafka records (use kafkaEgressMessage())");
  });

  test("a mutation of a state the function never registered", async () => {
    const endpoint = await craftedEndpoint(() =>
      ok({ stateMutations: [{ mutationType: MutationType.MODIFY, stateName: "ghost", stateValue: { typename: "io.statefun.types/int", hasValue: true } }] }),
    );
    try {
      const rt = new LocalRuntime({ endpoints: [{ functions: "remote/*", url: endpoint.url }] });
      rt.send("remote/fn", "1", "go");
      await expect(rt.runUntilIdle()).rejects.toThrow('changed state "ghost", which it never registered (registered: none)');
      rt.close();
    } finally {
      await endpoint.close();
    }
  });

  test("on the async transport (the default), a 4xx is retried until the call timeout like any failure, backoff 4 ms doubling", async () => {
    const other = await new StateFun({ logger: silentLogger }).bind({ typename: "example/other", fn() {} }).listen({ port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
    try {
      const rt = new LocalRuntime({ endpoints: [{ functions: "example/*", url: other.url }], callTimeoutMs: 2_000 });
      rt.send("example/x", "1", "go");
      await expect(rt.runUntilIdle()).rejects.toThrow(
        `example/x("1") (${other.url}) kept failing for 2000 ms of retries; last: HTTP 404: no function is bound to "example/x"`,
      );
      // As the cluster measured (test/cluster StatusPolicyTest): 9 attempts within 2 s.
      expect(rt.log.flatMap((e) => (e.kind === "retry" ? [e.backoffMs] : []))).toEqual([4, 8, 16, 32, 64, 128, 256, 512]);
      rt.close();
    } finally {
      await other.close();
    }
  });

  test("on the okhttp transport, a 4xx other than 408/409/420/429/499 fails at once, naming the endpoint and reason", async () => {
    const other = await new StateFun({ logger: silentLogger }).bind({ typename: "example/other", fn() {} }).listen({ port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
    try {
      const rt = new LocalRuntime({ endpoints: [{ functions: "example/*", url: other.url, transport: "okhttp" }] });
      rt.send("example/x", "1", "go");
      await expect(rt.runUntilIdle()).rejects.toThrow(
        `example/x("1") (${other.url}) failed and the cluster does not retry this: HTTP 404: no function is bound to "example/x"`,
      );
      expect(rt.log.filter((e) => e.kind === "retry")).toEqual([]);
      rt.close();
    } finally {
      await other.close();
    }
  });

  test("an endpoint that cannot be reached is retried until the call timeout, then fails the job", async () => {
    const rt = new LocalRuntime({ endpoints: [{ functions: "example/*", url: "http://127.0.0.1:1/statefun" }], callTimeoutMs: 5_000 });
    rt.send("example/x", "1", "go");
    await expect(rt.runUntilIdle()).rejects.toThrow(/kept failing for 5000 ms of retries; last: connect ECONNREFUSED/);
    expect(rt.log.filter((e) => e.kind === "retry").length).toBeGreaterThan(5);
    rt.close();
  });
});

describe("faults", () => {
  test("a lost reply is retried with the cluster's backoff (async transport: 4 ms, doubling) on the virtual clock", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.send("example/counter", "c", 1);
    await rt.runUntilIdle();
    rt.faults.loseNextReplies("example/counter", 3);
    const before = rt.now;
    rt.send("example/counter", "c", 1);
    await rt.runUntilIdle();
    const retries = rt.log.filter((e) => e.kind === "retry");
    expect(retries.map((e) => (e.kind === "retry" ? e.backoffMs : 0))).toEqual([4, 8, 16]);
    expect(rt.now - before).toBe(28);
    expect(rt.state("example/counter", "c", "count")).toBe(2);
  });

  test("a function that keeps failing fails the job after the call timeout", async () => {
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/broken",
      fn() {
        throw new Error("always");
      },
    });
    const rt = new LocalRuntime({ functions: sf, callTimeoutMs: 1_000 });
    rt.send("example/broken", "a", "go");
    await expect(rt.runUntilIdle()).rejects.toThrow(/example\/broken\("a"\) \(in-process\) kept failing for 1000 ms of retries; last: HTTP 500: function example\/broken\("a"\) failed at invocation 1 of 1: always/);
  });

  test("a duplicated request leaves state as without the fault", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.faults.duplicateNext("example/counter", 2);
    for (const n of [1, 2, 3]) rt.send("example/counter", "c", n);
    await rt.runUntilIdle();
    expect(rt.log.filter((e) => e.kind === "fault")).toHaveLength(2);
    expect(rt.state("example/counter", "c", "count")).toBe(6);
    expect(rt.state("example/sink", "c", "seen")).toBe(6);
  });

  test("crash and restore from the last checkpoint: the state ends as without faults, ingress replayed", async () => {
    const plain = new LocalRuntime({ functions: counterApp() });
    const faulty = new LocalRuntime({ functions: counterApp() });
    for (const rt of [plain, faulty]) {
      rt.send("example/counter", "c", 1);
      rt.send("example/counter", "c", 2);
      await rt.runUntilIdle();
    }
    faulty.checkpoint();
    for (const rt of [plain, faulty]) {
      rt.send("example/counter", "c", 10);
      rt.send("example/counter", "d", 5);
      await rt.runUntilIdle();
    }
    expect(faulty.state("example/counter", "c", "count")).toBe(13);
    faulty.crash();
    expect(faulty.registeredStates("example/counter")).toEqual([]);
    await faulty.runUntilIdle();
    for (const [fn, id, name] of [["example/counter", "c", "count"], ["example/counter", "d", "count"], ["example/sink", "c", "seen"]] as const) {
      expect(faulty.state(fn, id, name)).toEqual(plain.state(fn, id, name));
    }
    expect(faulty.log.find((e) => e.kind === "restore")).toMatchObject({ replayed: 2 });
  });

  test("after a restore the first request carries no state; the IncompleteInvocationContext round trip brings it back", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.send("example/counter", "c", 4);
    await rt.runUntilIdle();
    rt.checkpoint();
    rt.crash();
    rt.send("example/counter", "c", 1);
    await rt.runUntilIdle();
    const [afterRestore, resent] = requestsTo(rt, "example/counter").slice(-2);
    expect(afterRestore.invocation?.state).toEqual([]);
    expect(resent.invocation?.state.map((s) => [s.stateName, INT.deserialize(s.stateValue?.value ?? Buffer.alloc(0))])).toEqual([["count", 4]]);
    expect(rt.state("example/counter", "c", "count")).toBe(5);
  });

  test("a crash after a job failure restores and carries on", async () => {
    let broken = true;
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/flaky",
      specs: [{ name: "n", type: INT }],
      fn(ctx) {
        if (broken) throw new Error("bug");
        ctx.storage.n = 1;
      },
    });
    const rt = new LocalRuntime({ functions: sf, callTimeoutMs: 100 });
    rt.send("example/flaky", "a", "go");
    await expect(rt.runUntilIdle()).rejects.toThrow("bug");
    broken = false;
    rt.crash();
    await rt.runUntilIdle();
    expect(rt.state("example/flaky", "a", "n")).toBe(1);
  });
});

test("messages looping between functions: runUntilIdle gives up after its request budget instead of hanging", async () => {
  const sf = new StateFun({ logger: silentLogger })
    .bind({ typename: "example/ping", fn: (ctx) => ctx.send(messageBuilder({ typename: "example/pong", id: "x", value: 1 })) })
    .bind({ typename: "example/pong", fn: (ctx) => ctx.send(messageBuilder({ typename: "example/ping", id: "x", value: 1 })) });
  const rt = new LocalRuntime({ functions: sf });
  rt.send("example/ping", "x", 0);
  await expect(rt.runUntilIdle({ maxRequests: 500 })).rejects.toThrow(
    "runUntilIdle(): still busy after 500 requests; messages may be looping between functions",
  );
});

describe("inspection", () => {
  test("state decoded with the declared type; egress records decoded; a message log", async () => {
    const Profile = StateFun.jsonType<{ name: string }>("example/Profile");
    const sf = new StateFun({ logger: silentLogger }).bind({
      typename: "example/p",
      specs: [
        { name: "profile", type: Profile },
        { name: "total", type: StateFun.longType() },
      ],
      fn(ctx: Context<{ profile: { name: string } | null; total: bigint | null }>, msg: Message) {
        ctx.storage.profile = { name: msg.asString() ?? "" };
        ctx.storage.total = 2n ** 40n;
        ctx.send(kafkaEgressMessage({ typename: "example/k", topic: "names", key: ctx.self.id, value: "hi" }));
        ctx.send(kinesisEgressMessage({ typename: "example/s", stream: "st", partitionKey: "pk", value: Buffer.from([1, 2]) }));
      },
    });
    const rt = new LocalRuntime({ functions: sf, egresses: [{ id: "example/k", kind: "kafka" }, { id: "example/s", kind: "kinesis" }] });
    rt.send("example/p", "1", "Ann");
    await rt.runUntilIdle();
    expect(rt.state("example/p", "1", "profile")).toEqual({ name: "Ann" });
    expect(rt.state("example/p", "1", "total")).toBe(2n ** 40n);
    expect(rt.egress("example/k")).toEqual([{ kind: "kafka", topic: "names", key: "1", value: Buffer.from("hi") }]);
    expect(rt.egress("example/s")).toEqual([{ kind: "kinesis", stream: "st", partitionKey: "pk", explicitHashKey: "", value: Buffer.from([1, 2]) }]);
    expect(kinds(rt.log, "ingress", "deliver", "register", "egress", "state")).toEqual([
      "ingress",
      "deliver",
      "register",
      "egress",
      "egress",
      "state",
      "state",
    ]);
  });
});

test("events as lines and as JSON: values decoded, bytes as text or base64, longs as strings", () => {
  const at = 1_500;
  const to = { typename: "example/p", id: "1" };
  const long = { typename: "io.statefun.types/long", hasValue: true, value: StateFun.longType().serialize(2n ** 40n) };
  expect(formatEvent({ kind: "state", at, batch: 1, address: to, name: "total", value: long })).toBe('[1.500s] state example/p("1") total = io.statefun.types/long 1099511627776n');
  expect(eventToJson({ kind: "state", at, batch: 1, address: to, name: "total", value: long })).toEqual({
    kind: "state",
    at,
    batch: 1,
    address: to,
    name: "total",
    value: { typename: "io.statefun.types/long", value: "1099511627776" },
  });
  const record = { kind: "kafka" as const, topic: "t", key: "k", value: Buffer.from([0xff, 0x00]) };
  expect(eventToJson({ kind: "egress", at, batch: 1, from: to, egress: "example/k", record })).toMatchObject({ record: { value: { base64: "/wA=" } } });
});

describe("any SDK over HTTP", () => {
  test("drives apache-flink-statefun's HTTP endpoint running the same application code", async () => {
    const official = await import("apache-flink-statefun");
    const theirs = new official.StateFun();
    theirs.bind({
      typename: "legacy/counter",
      specs: [{ name: "count", type: official.StateFun.intType() }],
      fn(ctx, msg) {
        const count = ((ctx.storage.count as number | null) ?? 0) + (msg.asInt() ?? 0);
        ctx.storage.count = count;
        ctx.send(official.messageBuilder({ typename: "example/sink", id: ctx.self.id, value: count }));
      },
    });
    const server = http.createServer(theirs.handler() as http.RequestListener);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const rt = new LocalRuntime({
        functions: counterApp(),
        endpoints: [{ functions: "legacy/*", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun` }],
      });
      rt.send("legacy/counter", "x", 4);
      rt.send("legacy/counter", "x", 5);
      await rt.runUntilIdle();
      expect(rt.state("legacy/counter", "x", "count")).toBe(9);
      expect(rt.state("example/sink", "x", "seen")).toBe(9);
      rt.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("trace and replay", () => {
  test("replaying against the same code finds no difference", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    for (const n of [1, 2, 3]) rt.send("example/counter", "c", n);
    await rt.runUntilIdle();
    const report = await replay(rt.trace, counterApp());
    expect(report.differences).toEqual([]);
    expect(report.compared).toBe(rt.trace.length);
    expect(report.text()).toMatch(/^replayed \d+ exchange\(s\), skipped 0: no reply differs$/);
  });

  test("traceFile writes every exchange as a JSON line, and replay reads it back from the file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statefun-trace-"));
    try {
      const file = path.join(dir, "trace.jsonl");
      const rt = new LocalRuntime({ functions: counterApp(), traceFile: file });
      rt.send("example/counter", "c", 3);
      await rt.runUntilIdle();
      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines).toHaveLength(rt.trace.length);
      expect(JSON.parse(lines[0])).toMatchObject({ seq: 1, to: { typename: "example/counter", id: "c" }, attempt: 1, outcome: "ok" });
      expect(parseTrace(readFileSync(file, "utf8"))).toEqual(rt.trace);
      expect((await replay(file, counterApp())).differences).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("replaying against a changed function reports each differing reply as a readable diff", async () => {
    const rt = new LocalRuntime({ functions: counterApp() });
    rt.send("example/counter", "c", 2);
    await rt.runUntilIdle();
    const changed = new StateFun({ logger: silentLogger }).bind({
      typename: "example/counter",
      specs: [{ name: "count", type: INT }],
      fn(ctx, msg) {
        ctx.storage.count = ((ctx.storage.count ?? 0) + (msg.asInt() ?? 0)) * 10; // the regression
        ctx.send(messageBuilder({ typename: "example/sink", id: ctx.self.id, value: ctx.storage.count ?? 0 }));
      },
    });
    const report = await replay(rt.trace, changed);
    expect(report.differences).toHaveLength(1);
    expect(report.differences[0].diff).toEqual([
      '- message → example/sink("c"): io.statefun.types/int 2',
      "- state count = io.statefun.types/int 2",
      '+ message → example/sink("c"): io.statefun.types/int 20',
      "+ state count = io.statefun.types/int 20",
    ]);
    expect(report.text()).toContain('exchange 2 to example/counter("c")');
    expect(report.skipped).toBe(2); // example/sink (its registration round trip and its request) is not bound on `changed`
  });
});

test("event lines stay bounded: a 1 MB id and value are quoted by their start and length", async () => {
  const huge = "y".repeat(1024 * 1024);
  const rt = new LocalRuntime({ functions: counterApp() });
  rt.send("example/counter", huge, huge);
  await rt.runUntilIdle();
  const lines = rt.log.map((e) => formatEvent(e));
  expect(lines.length).toBeGreaterThan(2);
  for (const line of lines) expect(line.length).toBeLessThan(1_200);
  expect(lines[0]).toMatch(/ingress → example\/counter\("y{120}"…\(1048576 characters\)\): io\.statefun\.types\/string "y+…\(\d+ characters\)$/);
});
