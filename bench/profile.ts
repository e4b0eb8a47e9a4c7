/**
 * Where a request's time goes under HTTP load: runs one server of bench/http-server.ts with
 * `--cpu-prof`, loads it with autocannon (as bench:http does), and sums the profile's self time
 * by where the code lives — node:http and the socket layer, body reading, decode, dispatch,
 * storage, context and messages, effects, encode, answering, metrics, GC — as µs per request.
 *
 *   npm run build && node dist/bench/profile.js [serve|handler|raw|codec] [seconds]
 *   npm run build && node dist/bench/profile.js alloc
 * `alloc` measures the heap bytes each SDK's bytes-in/bytes-out request path allocates per
 * request of each shape, in a child whose young generation is large enough that no GC runs
 * while it counts.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import autocannon from "autocannon";
import * as v8 from "node:v8";
import { handle as officialHandle } from "apache-flink-statefun/dist/handler";
import { bindOurs, counterShape, docShape, httpShapes, officialFns } from "./workload";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's self time is counted: the first rule that matches its URL and function. */
const BUCKETS: readonly [string, (url: string, fn: string) => boolean][] = [
  ["GC", (_url, fn) => fn === "(garbage collector)"],
  ["idle", (_url, fn) => fn === "(idle)"],
  // V8's "(program)": native code outside JS — libuv, the socket syscalls, the HTTP parser's C side.
  ["native: libuv, syscalls, llhttp", (_url, fn) => fn === "(program)"],
  ["decode (wire/reqreply)", (url, fn) => url.includes("/wire/reqreply") && /decode|read|string|view|skip|varint|Address|TypedValue|Invocation|State|Batch/i.test(fn) && !/encode|write|size/i.test(fn)],
  ["encode (wire/reqreply)", (url) => url.includes("/wire/reqreply")],
  ["built-in values (wire wrappers, protobufjs)", (url) => url.includes("/protobufjs/") || url.includes("/wire/codec") || url.includes("@protobufjs")],
  ["dispatch", (url) => url.includes("/invoke/dispatch") || url.includes("/invoke/registry")],
  ["storage", (url) => url.includes("/invoke/storage")],
  ["run batch", (url) => url.includes("/invoke/batch") || url.includes("/invoke/pipeline") || url.includes("/invoke/endpoint")],
  ["effects", (url) => url.includes("/invoke/effects")],
  ["context, messages, types", (url) => url.includes("/src/api/") || url.includes("/src/serde/") || url.includes("/src/base/")],
  ["the function (bench workload)", (url) => url.includes("/bench/")],
  ["metrics", (url) => url.includes("/http/metrics")],
  ["body reading", (url) => url.includes("/http/body")],
  ["answering (http/answer, routes)", (url) => url.includes("/src/http/")],
  ["node:http and sockets", (url) => url.startsWith("node:") || url === ""],
];

function bucketOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  for (const [name, test] of BUCKETS) if (test(url, functionName)) return name;
  return "other";
}

/** Heap bytes allocated per call of `run`, averaged over `n` calls with no GC between them. */
async function allocatedPerCall(run: () => unknown, n: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  for (let i = 0; i < 2_000; i++) await run();
  gc();
  const before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < n; i++) await run();
  return (v8.getHeapStatistics().used_heap_size - before) / n;
}

/** The `alloc` child: bytes per request of each shape, ours and the official SDK's. */
async function allocations(): Promise<void> {
  const sf = bindOurs();
  const fns = officialFns();
  const shapes = [...httpShapes(), docShape("c", 1)];
  console.log("| request | statefun-ts handleRequest | apache-flink-statefun handle(bytes) |");
  console.log("|---|---:|---:|");
  for (const shape of shapes) {
    const n = Math.max(200, Math.floor(4_000 / shape.invocations));
    const ours = await allocatedPerCall(() => sf.handleRequest(shape.bytes), n);
    const theirs = await allocatedPerCall(() => officialHandle(shape.bytes, fns), n);
    const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
    console.log(`| ${shape.key} (${shape.invocations} inv) | ${kb(ours)} | ${kb(theirs)} |`);
  }
}

async function main(): Promise<void> {
  const variant = process.argv[2] ?? "serve";
  if (variant === "alloc") {
    // 256 MiB semi-spaces hold every request's garbage, so nothing is collected mid-count.
    const flags = ["--expose-gc", "--min-semi-space-size=256", "--max-semi-space-size=256"];
    const child = spawn(process.execPath, [...flags, __filename, "alloc-child"], { stdio: "inherit" });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (code !== 0) throw new Error(`the allocation count exited with ${code}`);
    return;
  }
  if (variant === "alloc-child") return allocations();
  const seconds = Number(process.argv[3] ?? 8);
  const dir = mkdtempSync(path.join(os.tmpdir(), "statefun-prof-"));
  const child = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, path.join(__dirname, "http-server.js"), variant], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) =>
    readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port)),
  );
  const shape = counterShape("a", "(a)", 1);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/statefun`,
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: shape.bytes,
    connections: 32,
    duration: seconds,
  });
  const requests = result.requests.total;
  child.kill("SIGINT");
  await new Promise((resolve) => child.once("exit", resolve));
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error("no profile written");
  const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Profile;
  rmSync(dir, { recursive: true, force: true });

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]) as ProfileNode;
    const bucket = bucketOf(node);
    self.set(bucket, (self.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const busy = [...self].filter(([b]) => b !== "idle").reduce((a, [, us]) => a + us, 0);
  console.log(`${variant}: ${requests.toLocaleString("en-US")} requests in ${seconds} s (${Math.round(requests / seconds).toLocaleString("en-US")} req/s), server CPU ${(busy / 1e6).toFixed(2)} s`);
  console.log("| where | µs per request | share of server CPU |");
  console.log("|---|---:|---:|");
  for (const [bucket, us] of [...self].filter(([b]) => b !== "idle").sort((a, b) => b[1] - a[1])) {
    console.log(`| ${bucket} | ${(us / requests).toFixed(2)} | ${((100 * us) / busy).toFixed(1)}% |`);
  }
  console.log(`| total | ${(busy / requests).toFixed(2)} | 100% |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
