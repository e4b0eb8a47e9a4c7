/**
 * The UI on a recorded trace, read-only: the events rebuilt from the exchanges (deliveries with
 * the states their request carried, registrations, retries, faults, a batch given up on,
 * messages, delayed messages and cancellations, egress records, state changes), every
 * address's state as the trace left it; and `statefun ui --trace` serving it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { StateFun, egressMessageBuilder, silentLogger } from "../../src";
import { LocalRuntime, parseTrace } from "../../src/local";
import { startInspector, type Inspector } from "../../src/local/ui/server";
import { traceSource } from "../../src/local/ui/trace-source";
import type { AddressView, BatchView, EventView, FunctionsView, InfoView } from "../../src/local/ui/web/protocol";
import { send } from "../http/client";

const INT = StateFun.intType();
const Record = StateFun.jsonType<{ topic: string; payload: string }>("io.statefun.playground/EgressRecord");

/** `example/timer` arms a reminder on "arm", cancels it on "disarm", counts every message; "boom" always fails. */
function app(): StateFun {
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/timer",
      state: { count: { type: INT, expireAfterWrite: 86_400_000 } },
      fn(ctx, msg) {
        const text = msg.asString();
        if (text === "boom") throw new Error("boom");
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        if (text === "arm") ctx.sendAfter(1_000, { typename: "example/timer", id: ctx.self.id, value: "ring" }, "reminder");
        if (text === "disarm") ctx.cancelDelayedMessage("reminder");
        if (text === "ring") ctx.send(egressMessageBuilder({ typename: "io.statefun.playground/egress", value: { topic: "out", payload: `rang ${ctx.self.id}` }, valueType: Record }));
      },
    });
}

let dir: string;
let traceFile: string;
let inspector: Inspector;
const get = async <T>(p: string): Promise<T> => JSON.parse((await send(new URL(p, inspector.url).href, { method: "GET" })).body.toString()) as T;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "statefun-ui-trace-"));
  traceFile = path.join(dir, "trace.jsonl");
  const rt = new LocalRuntime({ functions: app(), traceFile, deadLetters: { maxAttempts: 2 }, egresses: [{ id: "io.statefun.playground/egress", kind: "playground", topics: ["out"] }] });
  rt.send("example/timer", "a", "arm");
  await rt.runUntilIdle();
  rt.faults.loseNextReplies("example/timer");
  rt.send("example/timer", "b", "arm");
  rt.send("example/timer", "b", "disarm");
  await rt.runUntilIdle();
  await rt.advance(1_000);
  rt.send("example/timer", "c", "boom");
  await rt.runUntilIdle();
  rt.close();
  inspector = await startInspector(traceSource("trace.jsonl", parseTrace(readFileSync(traceFile, "utf8")), [app()]));
});

afterAll(async () => {
  await inspector.close();
  rmSync(dir, { recursive: true, force: true });
});

async function events(): Promise<EventView[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${inspector.url}api/events`, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (!text.includes("event: events")) return;
        const end = text.indexOf("\n\n", text.indexOf("event: events"));
        if (end < 0) return;
        req.destroy();
        resolve(JSON.parse(/^data: (.*)$/m.exec(text.slice(text.indexOf("event: events"), end))?.[1] ?? "[]") as EventView[]);
      });
    });
    req.on("error", reject);
  });
}

test("read-only, on the trace's clock", async () => {
  const info = await get<InfoView>("/api/info");
  expect(info).toMatchObject({ mode: "trace", readOnly: true, title: "trace.jsonl", clock: "virtual" });
  expect(info.now).toBeGreaterThan(1_000);
  const refused = await send(new URL("/api/send", inspector.url).href, { method: "POST", headers: { "Content-Type": "application/json" }, body: Buffer.from("{}") });
  expect(refused.status).toBe(403);
});

test("the events rebuilt from the exchanges", async () => {
  const kinds = (await events()).map((e) => `${e.kind}${e.address ? ` ${e.address.id}` : ""}`);
  expect(kinds).toEqual([
    "deliver a",
    "register",
    "delayed a",
    "state a",
    "deliver b",
    "fault b",
    "retry b",
    "delayed b",
    "state b",
    "deliver b",
    "cancel b",
    "state b",
    "deliver a",
    "egress a",
    "state a",
    "deliver c",
    "retry c",
    "failure",
  ]);
});

test("a batch's states before are what its request carried; after, what its reply changed", async () => {
  const all = await events();
  const ring = all.find((e) => e.kind === "deliver" && e.address?.id === "a" && e.value?.json === "ring") as EventView;
  expect(ring.from).toEqual({ typename: "example/timer", id: "a" });
  const batch = await get<BatchView>(`/api/batch?id=${ring.batch}`);
  expect(batch).toMatchObject({ before: [{ name: "count", value: { json: 1 } }], after: [{ name: "count", value: { json: 2 } }] });
});

test("functions with the states they registered; addresses as the trace left them; no delayed message left pending", async () => {
  const { functions, graph } = await get<FunctionsView>("/api/functions");
  expect(functions).toEqual([
    expect.objectContaining({ typename: "example/timer", target: "in-process", states: [{ name: "count", typename: "io.statefun.types/int", expiration: { mode: "after-write", afterMs: 86_400_000 }, registered: true }] }),
  ]);
  expect(graph.edges).toEqual(
    expect.arrayContaining([
      { from: "ingress", to: "example/timer", kind: "ingress", count: 4 },
      { from: "example/timer", to: "example/timer", kind: "delayed", count: 2 },
      { from: "example/timer", to: "egress:io.statefun.playground/egress", kind: "egress", count: 1, topics: ["out"] },
    ]),
  );
  const a = await get<AddressView>("/api/address?type=example/timer&id=a");
  expect(a.states).toEqual([expect.objectContaining({ name: "count", value: expect.objectContaining({ json: 2 }), expiresAt: 1_000 + 86_400_000 })]);
  expect(a.delayed).toEqual([]);
  expect((await get<AddressView>("/api/address?type=example/timer&id=b")).states).toEqual([expect.objectContaining({ value: expect.objectContaining({ json: 2 }) })]);
  expect(await get<unknown[]>("/api/dead-letters")).toEqual([]);
});

test("statefun ui --trace serves it until Ctrl-C; without --trace it says what to give", async () => {
  const cli = path.join(__dirname, "..", "..", "dist", "src", "cli", "statefun.js");
  const child = spawn(process.execPath, [cli, "ui", "--trace", traceFile, "--ui-port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const banner = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout }).once("line", resolve));
  expect(banner).toMatch(new RegExp(`^statefun ui: ${traceFile.replace(/[.\\/]/g, "\\$&")}: \\d+ exchange\\(s\\); UI http://127\\.0\\.0\\.1:\\d+/ \\(read-only\\); Ctrl-C stops$`));
  const url = /UI (\S+)/.exec(banner)?.[1] ?? "";
  expect(JSON.parse((await send(`${url}api/info`, { method: "GET" })).body.toString())).toMatchObject({ mode: "trace", title: "trace trace.jsonl" });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  expect(await exited).toBe(0);

  const usage = spawn(process.execPath, [cli, "ui"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  usage.stderr.on("data", (c: Buffer) => (err += c.toString()));
  expect(await new Promise((resolve) => usage.once("exit", resolve))).toBe(2);
  expect(err).toContain("statefun ui: give the trace to open: --trace <file>");
});
