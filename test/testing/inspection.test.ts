/**
 * LocalRuntime's read-only inspection API (what the inspector UI is built on): batch numbers
 * on events, subscribing to events, every address, one address's states, queued and in-flight
 * messages and delayed messages, the function types with their states and message types, the
 * egresses and routes; and `inspect()`, the UI on a runtime in a test. Virtual clock.
 */
import http from "node:http";
import { StateFun, kafkaEgressMessage, messageBuilder, silentLogger } from "../../src";
import { LocalRuntime, type RuntimeEvent } from "../../src/local";
import { gate } from "./gate";

const INT = StateFun.intType();
const STRING = StateFun.stringType();
const Note = StateFun.jsonType<{ text: string }>("example/Note");

/** `example/counter` counts, remembers the last note and sends `example/log` a line; it can be held at a gate. */
function app(hold?: Promise<void>): StateFun {
  let first = true;
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/counter",
      state: { n: { type: INT, expireAfterWrite: 60_000 }, note: Note },
      handlers: [
        {
          type: INT,
          fn: async (ctx, by) => {
            if (first && hold) {
              first = false;
              await hold;
            }
            ctx.storage.n = (ctx.storage.n ?? 0) + by;
            ctx.send(messageBuilder({ typename: "example/log", id: ctx.self.id, value: `+${by}` }));
          },
        },
        {
          type: Note,
          fn: (ctx, note) => {
            ctx.storage.note = note;
            ctx.sendAfter(5_000, { typename: "example/counter", id: ctx.self.id, value: 1, valueType: INT }, "tick");
            ctx.send(kafkaEgressMessage({ typename: "example/out", topic: "notes", key: ctx.self.id, value: note.text }));
          },
        },
      ],
    })
    .bind({ typename: "example/log", specs: [{ name: "lines", type: STRING, expireAfterCall: 1_000 }], fn: (ctx, msg) => void (ctx.storage.lines = `${ctx.storage.lines ?? ""}${msg.asString()};`) });
}

test("a delivery and everything its reply applied carry the number of their batch; a retry carries it too", async () => {
  const rt = new LocalRuntime({ functions: app(), egresses: [{ id: "example/out", kind: "kafka" }] });
  rt.faults.loseNextReplies("example/counter");
  rt.send("example/counter", "a", { text: "hi" }, Note);
  await rt.runUntilIdle();
  const deliveries = rt.log.filter((e): e is Extract<RuntimeEvent, { kind: "deliver" }> => e.kind === "deliver");
  expect(new Set(deliveries.map((d) => d.batch)).size).toBe(deliveries.length);
  const batch = deliveries[0].batch;
  expect(rt.log.filter((e) => "batch" in e && e.batch === batch).map((e) => e.kind)).toEqual(["deliver", "fault", "retry", "register", "delayed", "egress", "state"]);
});

test("subscribe: every event from then on, synchronously, until unsubscribed", async () => {
  const rt = new LocalRuntime({ functions: app() });
  rt.send("example/counter", "a", 1);
  await rt.runUntilIdle();
  const seen: RuntimeEvent[] = [];
  const stop = rt.subscribe((e) => seen.push(e));
  rt.send("example/counter", "a", 2);
  expect(seen.map((e) => e.kind)).toEqual(["ingress", "deliver"]);
  await rt.runUntilIdle();
  stop();
  rt.send("example/counter", "a", 3);
  await rt.runUntilIdle();
  expect(seen).toEqual(rt.log.slice(rt.log.indexOf(seen[0]), rt.log.indexOf(seen[seen.length - 1]) + 1));
  expect(seen.some((e) => e.kind === "ingress" && e.value.value?.equals(INT.serialize(3)))).toBe(false);
});

test("addresses: every address sent a message or holding state, in the order first seen", async () => {
  const rt = new LocalRuntime({ functions: app() });
  rt.send("example/counter", "b", 1);
  rt.send("example/counter", "a", 1);
  await rt.runUntilIdle();
  expect(rt.addresses()).toEqual([
    { typename: "example/counter", id: "b" },
    { typename: "example/counter", id: "a" },
    { typename: "example/log", id: "b" },
    { typename: "example/log", id: "a" },
  ]);
  const restored = new LocalRuntime({ functions: app() });
  restored.loadState(rt.saveState());
  expect(restored.addresses().map((a) => a.id)).toEqual(["b", "a", "b", "a"]);
});

test("inspectAddress: states with their expiry, the batch in flight, the queue, delayed messages to and from it", async () => {
  const held = gate();
  const rt = new LocalRuntime({ functions: app(held.wait), egresses: ["example/out"] });
  rt.send("example/counter", "a", 1);
  await new Promise((resolve) => setImmediate(resolve));
  rt.send("example/counter", "a", 2);
  rt.send("example/counter", "a", 3);
  const waiting = rt.inspectAddress("example/counter", "a");
  expect(waiting.inFlight.map((m) => m.value.value)).toEqual([INT.serialize(1)]);
  expect(waiting.inFlightBatch).toBe((rt.log.find((e) => e.kind === "deliver") as { batch: number }).batch);
  expect(waiting.queued).toEqual([
    { from: null, value: { typename: "io.statefun.types/int", hasValue: true, value: INT.serialize(2) } },
    { from: null, value: { typename: "io.statefun.types/int", hasValue: true, value: INT.serialize(3) } },
  ]);
  held.open();
  await rt.runUntilIdle();
  rt.send("example/counter", "a", { text: "later" }, Note);
  await rt.runUntilIdle();

  const now = rt.inspectAddress("example/counter", "a");
  expect(now.inFlight).toEqual([]);
  expect(now.inFlightBatch).toBeUndefined();
  expect(now.queued).toEqual([]);
  expect(now.states.map((s) => [s.name, s.typename, s.value?.value ? rt.state("example/counter", "a", s.name) : null, s.expiresAt])).toEqual([
    ["n", "io.statefun.types/int", 6, 60_000],
    ["note", "example/Note", { text: "later" }, undefined],
  ]);
  expect(now.delayed).toEqual([
    { from: { typename: "example/counter", id: "a" }, to: { typename: "example/counter", id: "a" }, due: 5_000, token: "tick", value: expect.objectContaining({ typename: "io.statefun.types/int" }) },
  ]);
  expect(rt.inspectAddress("example/log", "a").states).toEqual([expect.objectContaining({ name: "lines", expiresAt: 1_000 })]);
  await rt.advance(1_000);
  expect(rt.inspectAddress("example/log", "a").states).toEqual([{ name: "lines", typename: "io.statefun.types/string", value: null }]);
  expect(rt.inspectAddress("example/none", "x")).toEqual({ address: { typename: "example/none", id: "x" }, states: [], queued: [], inFlight: [], delayed: [] });
});

test("functions: where each runs, its states (declared, registered) with TTLs, the types its handlers take", async () => {
  const rt = new LocalRuntime({ functions: app(), endpoints: [{ functions: "remote/*", url: "http://127.0.0.1:1/statefun" }] });
  try {
    expect(rt.functions().map((f) => [f.typename, f.target, f.states.map((s) => `${s.name}${s.registered ? "" : " (declared)"}`)])).toEqual([
      ["example/counter", "in-process", ["n (declared)", "note (declared)"]],
      ["example/log", "in-process", ["lines (declared)"]],
    ]);
    rt.send("example/counter", "a", 1);
    await rt.runUntilIdle();
    const [counter, log] = rt.functions();
    expect(counter.states).toEqual([
      { name: "n", typename: "io.statefun.types/int", expiration: { mode: "after-write", afterMs: 60_000 }, type: INT, registered: true },
      { name: "note", typename: "example/Note", type: Note, registered: true },
    ]);
    expect([counter.messageTypes, counter.takesAnyMessage]).toEqual([[INT, Note], false]);
    expect([log.messageTypes, log.takesAnyMessage, log.states[0].expiration]).toEqual([[], true, { mode: "after-call", afterMs: 1_000 }]);
    expect(rt.routes()).toEqual([
      { functions: "example/counter", target: "in-process", from: "functions" },
      { functions: "example/log", target: "in-process", from: "functions" },
      { functions: "remote/*", target: "http://127.0.0.1:1/statefun", from: "endpoints" },
    ]);
    expect(rt.egresses()).toEqual([]);
  } finally {
    rt.close();
  }
  const withRemote = new LocalRuntime({ endpoints: [{ functions: "remote/*", url: "http://127.0.0.1:1/{function.name}" }], callTimeoutMs: 10, deadLetters: {} });
  withRemote.send("remote/fn", "x", "hi");
  await withRemote.runUntilIdle();
  expect(withRemote.functions()).toEqual([{ typename: "remote/fn", target: "http://127.0.0.1:1/fn", states: [], messageTypes: [], takesAnyMessage: true }]);
  withRemote.close();
});

test("egresses: each declared one, its kind and topics, how many records it was written", async () => {
  const rt = new LocalRuntime({ functions: app(), egresses: [{ id: "example/out", kind: "kafka" }, { id: "example/p", kind: "playground", topics: ["t"] }] });
  rt.send("example/counter", "a", { text: "one" }, Note);
  await rt.runUntilIdle();
  expect(rt.egresses()).toEqual([
    { id: "example/out", kind: "kafka", records: 1 },
    { id: "example/p", kind: "playground", topics: ["t"], records: 0 },
  ]);
});

test("inspect(): the UI on a runtime in a test, at one URL however often asked, closed by close()", async () => {
  const rt = new LocalRuntime({ functions: app() });
  const url = await rt.inspect();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect(await rt.inspect()).toBe(url);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<script type="module" src="/static/main.js">');
  expect((await fetch(`${url}static/main.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  rt.close();
  await expect(fetch(url)).rejects.toThrow();
  await expect(rt.inspect()).rejects.toThrow("the runtime is closed");
});

test("inspect() on a port another process has rejects with a ListenError naming the UI, and may be tried again", async () => {
  const taken = http.createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as { port: number }).port;
  const rt = new LocalRuntime({ functions: app() });
  try {
    await expect(rt.inspect({ port })).rejects.toMatchObject({ name: "ListenError", role: "ui", code: "EADDRINUSE" });
    expect(await rt.inspect({ port: 0 })).toMatch(/^http:/);
  } finally {
    taken.close();
    rt.close();
  }
});
