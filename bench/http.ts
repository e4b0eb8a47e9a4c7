/**
 * HTTP benchmark over loopback: statefun-ts `serve()`, `sf.handler()` on node:http and
 * `sf.expressHandler()` on express, against apache-flink-statefun's handler and a raw node:http
 * server that reads the body and answers fixed bytes (the ceiling on this machine).
 *
 *   npm run bench:http                  full run (~2 min)
 *   BENCH_QUICK=1 npm run bench:http    smoke run
 * Env: BENCH_HTTP_ROUNDS, BENCH_HTTP_SECONDS (per variant per round), BENCH_HTTP_CONNECTIONS.
 *
 * Request: shape (a) of bench/core.ts, one invocation that reads and increments an int state
 * and sends one message. Each server runs in its own process (one of the two cores); autocannon
 * drives it from this process with 32 keep-alive connections, Buffer bodies (its CLI's `-i`
 * mangles binary). Every round measures every variant, in an order rotated from round to
 * round; a figure is the median over rounds and a ratio the median of per-round ratios, so the
 * drift of a shared machine hits both sides alike. Before measuring, each server's reply is
 * decoded and checked; any non-2xx or error during a run fails the benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import autocannon from "autocannon";
import { decodeFromFunction } from "../src/wire/codec";
import { counterShape } from "./workload";

const QUICK = process.argv.includes("--quick") || /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? "");
function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return n;
}
const ROUNDS = envInt("BENCH_HTTP_ROUNDS", QUICK ? 1 : 5);
const SECONDS = envInt("BENCH_HTTP_SECONDS", QUICK ? 1 : 4);
const CONNECTIONS = envInt("BENCH_HTTP_CONNECTIONS", 32);

interface Variant {
  key: string;
  label: string;
}
const VARIANTS: Variant[] = [
  { key: "serve", label: "statefun-ts serve()" },
  { key: "handler", label: "statefun-ts sf.handler() on node:http" },
  { key: "express", label: "statefun-ts sf.expressHandler() on express" },
  { key: "official", label: "apache-flink-statefun handler() on node:http" },
  { key: "raw", label: "raw node:http, fixed reply (ceiling)" },
];

interface Server {
  child: ChildProcess;
  url: string;
}

function startServer(variant: string): Promise<Server> {
  const child = spawn(process.execPath, [path.join(__dirname, "http-server.js"), variant], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server ${variant} exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).once("line", (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({ child, url: `http://127.0.0.1:${port}/statefun` });
    });
  });
}

const shape = counterShape("a", "(a) 1 invocation, int state + 1 message", 1);
const HEADERS = { "content-type": "application/octet-stream" };

async function verify(variant: string, url: string): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: HEADERS, body: shape.bytes });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${variant}: HTTP ${res.status} ${body.toString()}`);
  if (res.headers.get("content-type") !== "application/octet-stream") throw new Error(`${variant}: Content-Type ${res.headers.get("content-type")}`);
  const problem = shape.expect(decodeFromFunction(body));
  if (problem !== null) throw new Error(`${variant}: wrong reply: ${problem}`);
}

async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: HEADERS,
    body: shape.bytes,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return result.requests.total / seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  console.log(`bench/http: node ${process.version}, ${ROUNDS} rounds × ${SECONDS} s per variant, ${CONNECTIONS} connections, request ${shape.bytes.length} B`);
  const servers = new Map<string, Server>();
  try {
    for (const v of VARIANTS) servers.set(v.key, await startServer(v.key));
    for (const v of VARIANTS) await verify(v.key, servers.get(v.key)!.url);
    process.stdout.write("warm-up ");
    for (const v of VARIANTS) {
      await load(servers.get(v.key)!.url, QUICK ? 1 : 2);
      process.stdout.write(".");
    }
    process.stdout.write("\nrounds ");
    const rates = new Map<string, number[]>(VARIANTS.map((v) => [v.key, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length];
        rates.get(v.key)!.push(await load(servers.get(v.key)!.url, SECONDS));
      }
      process.stdout.write(".");
    }
    process.stdout.write("\n\n");

    const ratio = (a: string, b: string): number => median(rates.get(a)!.map((x, i) => x / rates.get(b)![i]));
    const rows = VARIANTS.map((v) => ({
      variant: v.key,
      label: v.label,
      reqPerSec: Math.round(median(rates.get(v.key)!)),
      rounds: rates.get(v.key)!.map(Math.round),
      vsRaw: Number(ratio(v.key, "raw").toFixed(2)),
      vsOfficial: Number(ratio(v.key, "official").toFixed(2)),
    }));
    console.log("| server | req/s | of raw node:http | × apache-flink-statefun |");
    console.log("|---|---:|---:|---:|");
    for (const row of rows) {
      const vsRaw = row.variant === "raw" ? "—" : `${Math.round(row.vsRaw * 100)}%`;
      const vsOfficial = row.variant === "official" ? "—" : `${row.vsOfficial.toFixed(2)}×`;
      console.log(`| ${row.label} | ${fmt(row.reqPerSec)} | ${vsRaw} | ${vsOfficial} |`);
    }
    console.log(
      `\nnode ${process.version}; ${CONNECTIONS} connections; ${ROUNDS} rounds × ${SECONDS} s; req/s = median over rounds; ` +
        "ratios = median of per-round ratios. Replies verified before measuring; no errors or non-2xx during runs.",
    );
    console.log(JSON.stringify({ bench: "http", node: process.version, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, results: rows }));
  } finally {
    for (const s of servers.values()) s.child.kill("SIGKILL");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
