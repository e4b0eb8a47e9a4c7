/**
 * HTTP benchmark over loopback: statefun-ts `serve()`, `sf.handler()` on node:http and
 * `sf.expressHandler()` on express, against apache-flink-statefun's handler, a raw node:http
 * server that reads the body and answers fixed bytes (the ceiling on this machine), and the
 * "codec ceiling": the raw server that also decodes each request and encodes a reply of our
 * reply's shape with the wire codec (what an endpoint that did nothing but the codec could do).
 *
 *   npm run bench:http                  full run (~6 min)
 *   BENCH_QUICK=1 npm run bench:http    smoke run
 * Env: BENCH_HTTP_ROUNDS, BENCH_HTTP_SECONDS (per variant per round), BENCH_HTTP_CONNECTIONS,
 *      BENCH_HTTP_RATE (the fixed rate of the latency run, req/s), BENCH_HTTP_VARIANTS (e.g. "serve,raw"),
 *      BENCH_HTTP_PIN=0 (do not pin the servers and the load generator to separate CPUs).
 *
 * Requests: shape (a) of bench/core.ts (one invocation that reads and increments an int state
 * and sends one message), and a batch of 10 such invocations. Each server runs in its own
 * process (pinned to the last CPU, see PIN); autocannon drives it from this process with 32 keep-alive
 * connections and Buffer bodies (its CLI's `-i` mangles binary). Throughput: every round
 * measures every variant, in an order rotated from round to round; a figure is the median over
 * rounds and a ratio the median of per-round ratios, so the drift of a shared machine hits both
 * sides alike. Latency: each server at a fixed rate (autocannon's `overallRate`, latencies
 * corrected for coordinated omission), p50 and p99. Before measuring, each server's reply to
 * each request is decoded and checked; any non-2xx or error during a run fails the benchmark.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import autocannon from "autocannon";
import { decodeFromFunction } from "../src/wire/codec";
import { envInt, median, QUICK } from "./settings";
import { httpShapes, type Shape } from "./workload";

// Many short rounds: a shared machine drifts by tens of percent within seconds, and a ratio is
// only as good as the two slices it compares being close in time.
const ROUNDS = envInt("BENCH_HTTP_ROUNDS", QUICK ? 1 : 20);
const SECONDS = envInt("BENCH_HTTP_SECONDS", 1);
const CONNECTIONS = envInt("BENCH_HTTP_CONNECTIONS", 32);
const RATE = envInt("BENCH_HTTP_RATE", 5_000);
const LATENCY_SECONDS = QUICK ? 2 : 8;

interface Variant {
  key: string;
  label: string;
}
const ALL_VARIANTS: Variant[] = [
  { key: "serve", label: "statefun-ts serve()" },
  { key: "handler", label: "statefun-ts sf.handler() on node:http" },
  { key: "express", label: "statefun-ts sf.expressHandler() on express" },
  { key: "official", label: "apache-flink-statefun handler() on node:http" },
  { key: "codec", label: "node:http + the wire codec only (codec ceiling)" },
  { key: "raw", label: "raw node:http, fixed reply (ceiling)" },
];
const WANTED = process.env.BENCH_HTTP_VARIANTS?.split(",").map((v) => v.trim());
const VARIANTS = WANTED ? ALL_VARIANTS.filter((v) => WANTED.includes(v.key) || v.key === "raw" || v.key === "official") : ALL_VARIANTS;

interface Server {
  child: ChildProcess;
  url: string;
}

/**
 * On Linux with taskset and two or more CPUs, the servers run on the last CPU and the load
 * generator on the others, so a server never shares its core with autocannon (whose own CPU use
 * would otherwise decide how much each server gets). BENCH_HTTP_PIN=0 turns it off.
 */
const CPUS = os.availableParallelism();
const PIN = process.env.BENCH_HTTP_PIN !== "0" && process.platform === "linux" && CPUS >= 2 && hasTaskset();
function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
if (PIN) execFileSync("taskset", ["-a", "-p", "-c", `0-${CPUS - 2}`, String(process.pid)], { stdio: "ignore" });

function startServer(variant: string): Promise<Server> {
  const server = [path.join(__dirname, "http-server.js"), variant];
  const child = PIN
    ? spawn("taskset", ["-c", String(CPUS - 1), process.execPath, ...server], { stdio: ["ignore", "pipe", "inherit"] })
    : spawn(process.execPath, server, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server ${variant} exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).once("line", (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({ child, url: `http://127.0.0.1:${port}/statefun` });
    });
  });
}

const HEADERS = { "content-type": "application/octet-stream" };

async function verify(variant: string, url: string, shape: Shape): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: HEADERS, body: shape.bytes });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${variant}: HTTP ${res.status} ${body.toString()}`);
  if (res.headers.get("content-type") !== "application/octet-stream") throw new Error(`${variant}: Content-Type ${res.headers.get("content-type")}`);
  const problem = shape.expect(decodeFromFunction(body));
  if (problem !== null) throw new Error(`${variant}: wrong reply to ${shape.key}: ${problem}`);
}

function check(url: string, result: autocannon.Result): void {
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
}

/** A process's CPU time so far (user + system), in µs, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of the line, in clock ticks (USER_HZ, 100 on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

/** Requests per second, and the server's CPU time per request in µs. */
async function throughput(server: Server, shape: Shape, seconds: number): Promise<{ rate: number; cpu: number }> {
  const before = cpuMicros(server.child.pid as number);
  const result = await autocannon({ url: server.url, method: "POST", headers: HEADERS, body: shape.bytes, connections: CONNECTIONS, pipelining: 1, duration: seconds });
  const cpu = cpuMicros(server.child.pid as number) - before;
  check(server.url, result);
  return { rate: result.requests.total / seconds, cpu: cpu / result.requests.total };
}

async function latency(url: string, shape: Shape): Promise<{ p50: number; p99: number; achieved: number }> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: HEADERS,
    body: shape.bytes,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: LATENCY_SECONDS,
    overallRate: RATE,
  });
  check(url, result);
  return { p50: result.latency.p50, p99: result.latency.p99, achieved: result.requests.total / LATENCY_SECONDS };
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const shapes = httpShapes();
  console.log(
    `bench/http: node ${process.version}, ${ROUNDS} rounds × ${SECONDS} s per variant and request, ${CONNECTIONS} connections, ` +
      `latency at ${fmt(RATE)} req/s for ${LATENCY_SECONDS} s; ` +
      `${PIN ? `servers on CPU ${CPUS - 1}, load on CPU ${CPUS === 2 ? "0" : `0-${CPUS - 2}`}` : "not pinned to CPUs"}; requests ${shapes.map((s) => `${s.key} ${s.bytes.length} B`).join(", ")}`,
  );
  const servers = new Map<string, Server>();
  const rows: Record<string, unknown>[] = [];
  try {
    for (const v of VARIANTS) servers.set(v.key, await startServer(v.key));
    for (const v of VARIANTS) for (const shape of shapes) await verify(v.key, servers.get(v.key)!.url, shape);
    for (const shape of shapes) {
      process.stdout.write(`${shape.key}: warm-up `);
      for (const v of VARIANTS) {
        await throughput(servers.get(v.key)!, shape, QUICK ? 1 : 2);
        process.stdout.write(".");
      }
      process.stdout.write(" rounds ");
      const rates = new Map<string, number[]>(VARIANTS.map((v) => [v.key, []]));
      const cpus = new Map<string, number[]>(VARIANTS.map((v) => [v.key, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + r) % VARIANTS.length];
          const { rate, cpu } = await throughput(servers.get(v.key)!, shape, SECONDS);
          rates.get(v.key)!.push(rate);
          cpus.get(v.key)!.push(cpu);
        }
        process.stdout.write(".");
      }
      process.stdout.write("\n");
      const ratio = (a: string, b: string): number => median(rates.get(a)!.map((x, i) => x / rates.get(b)![i]));
      for (const v of VARIANTS) {
        rows.push({
          request: shape.key,
          variant: v.key,
          label: v.label,
          reqPerSec: Math.round(median(rates.get(v.key)!)),
          invPerSec: Math.round(median(rates.get(v.key)!) * shape.invocations),
          rounds: rates.get(v.key)!.map(Math.round),
          vsRaw: Number(ratio(v.key, "raw").toFixed(3)),
          vsOfficial: Number(ratio(v.key, "official").toFixed(3)),
          cpuMicrosPerRequest: Number(median(cpus.get(v.key)!).toFixed(1)),
        });
      }
    }
    process.stdout.write(`latency at ${fmt(RATE)} req/s `);
    const latencies = new Map<string, { p50: number; p99: number; achieved: number }>();
    for (const v of VARIANTS) {
      latencies.set(v.key, await latency(servers.get(v.key)!.url, shapes[0]));
      process.stdout.write(".");
    }
    process.stdout.write("\n\n");

    for (const shape of shapes) {
      console.log(`${shape.label} (${shape.bytes.length} B):\n`);
      console.log("| server | req/s | inv/s | of raw node:http | × apache-flink-statefun | server CPU µs/request |");
      console.log("|---|---:|---:|---:|---:|---:|");
      for (const row of rows.filter((r) => r.request === shape.key)) {
        const vsRaw = row.variant === "raw" ? "—" : `${Math.round((row.vsRaw as number) * 100)}%`;
        const vsOfficial = row.variant === "official" ? "—" : `${(row.vsOfficial as number).toFixed(2)}×`;
        console.log(
          `| ${String(row.label)} | ${fmt(row.reqPerSec as number)} | ${fmt(row.invPerSec as number)} | ${vsRaw} | ${vsOfficial} | ${(row.cpuMicrosPerRequest as number).toFixed(1)} |`,
        );
      }
      console.log("");
    }
    console.log(`Latency of ${shapes[0].label} at a fixed ${fmt(RATE)} req/s:\n`);
    console.log("| server | achieved req/s | p50 ms | p99 ms |");
    console.log("|---|---:|---:|---:|");
    for (const v of VARIANTS) {
      const l = latencies.get(v.key)!;
      console.log(`| ${v.label} | ${fmt(l.achieved)} | ${l.p50} | ${l.p99} |`);
    }
    console.log(
      `\nnode ${process.version}; ${CONNECTIONS} connections; ${ROUNDS} rounds × ${SECONDS} s; req/s = median over rounds; ` +
        "ratios = median of per-round ratios. Replies verified before measuring; no errors or non-2xx during runs.",
    );
    console.log(
      JSON.stringify({
        bench: "http",
        node: process.version,
        rounds: ROUNDS,
        seconds: SECONDS,
        connections: CONNECTIONS,
        rate: RATE,
        results: rows,
        latency: Object.fromEntries(latencies),
      }),
    );
  } finally {
    for (const s of servers.values()) s.child.kill("SIGKILL");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
