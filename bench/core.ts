/**
 * Core request-path benchmark: statefun-ts vs apache-flink-statefun@3.3.0, side by side.
 *
 *   npm run bench                      full run (~40 s)
 *   BENCH_QUICK=1 npm run bench        smoke run (a few seconds); also `node dist/bench/core.js --quick`
 *
 * Optional overrides (env): BENCH_ROUNDS, BENCH_BUDGET_MS (per variant per round),
 * BENCH_WARMUP_MS (per variant per warm-up pass), BENCH_SHAPES (e.g. "a,b"), BENCH_VARIANTS (e.g.
 * "ours-bytes"; replies of all variants are still verified, only the listed ones are measured —
 * handy under `node --cpu-prof dist/bench/core.js`; ratios need the official variants measured).
 *
 * Shapes (each a ToFunction built once with our codec and reused for every request):
 *   (a) 1 invocation: int state `seen` read + incremented, one outgoing string message
 *   (b) the same function, a 100-invocation batch
 *   (c) 1 invocation: a ~10 KB JSON state read, one record and a counter updated, written back
 *   (d) the same function, a 10-invocation batch to one address: each invocation reads the state
 *       afresh (what a new batch would deliver), edits it in place and writes it back
 *
 * Variants (key: what):
 *   ours-bytes       statefun-ts `sf.handleRequest(bytes)` → Promise<bytes>
 *   ours-http        statefun-ts `sf.handle(req, res)` with in-process fake req/res (no sockets)
 *   official-http    apache-flink-statefun `sf.handle(req, res)` (its public API), same fake res,
 *                    the same fake req read through `for await`
 *   official-bytes   apache-flink-statefun's internal `dist/handler` `handle(bytes, fns)`, with
 *                    `fns` built by `dist/core` `FunctionSpec.fromOpts` — exactly what its `bind()`
 *                    stores in its private `#fns`: the bytes-in/bytes-out counterpart of our
 *                    handleRequest.
 * Each of ours is reported against both official variants.
 *
 * Method: concurrency 1 (each request awaited before the next). Per shape: two interleaved
 * warm-up passes over all variants, then N rounds; each round runs every variant for a fixed
 * time budget, in an order rotated from round to round, with a forced young-generation GC before each
 * slice (when available) so one variant's garbage is not collected on another's clock. A variant's
 * figure is the median of its rounds; a ratio is the median of the per-round ratios (both
 * variants measured in the same round, seconds apart, so machine drift mostly cancels).
 *
 * Before measuring, every variant's reply for every shape is decoded with our codec and
 * compared (state mutations, outgoing messages, delayed messages, egress) and checked against
 * the expected result; the process exits with status 1 if anything differs.
 */
import { isDeepStrictEqual } from "node:util";
import { handle as officialHandleBytes } from "apache-flink-statefun/dist/handler";
import { decodeFromFunction, type WireFromFunction } from "../src/wire/codec";
import { envInt, forceGc, median, QUICK } from "./settings";
import { bindOfficial, bindOurs, counterShape, docShape, officialFns, type Shape } from "./workload";

// ------------------------------------------------------------------------------------------------
// Configuration
// ------------------------------------------------------------------------------------------------

const ROUNDS = envInt("BENCH_ROUNDS", QUICK ? 2 : 7);
const BUDGET_MS = envInt("BENCH_BUDGET_MS", QUICK ? 40 : 400);
const WARMUP_MS = envInt("BENCH_WARMUP_MS", QUICK ? 40 : 250);
const WARMUP_PASSES = 2;
/** Requests between two clock reads (keeps hrtime's own cost out of the figures). */
const CLOCK_EVERY = 8;
const SHAPES_WANTED = (process.env.BENCH_SHAPES ?? "a,b,c,d").split(",").map((s) => s.trim().toLowerCase());
const VARIANTS_WANTED = process.env.BENCH_VARIANTS
  ? process.env.BENCH_VARIANTS.split(",").map((s) => s.trim().toLowerCase())
  : null;



// ------------------------------------------------------------------------------------------------
// In-process HTTP fakes
// ------------------------------------------------------------------------------------------------

type Listener = (arg?: unknown) => void;

/**
 * A request that both SDKs can read: our handler subscribes to 'data'/'end'/'error' (the body
 * arrives as one 'data' chunk, then 'end', on the microtask after the first subscription, as a
 * stream would emit on a later tick); the official one iterates it with `for await`.
 */
class FakeReq {
  #data: Listener | null = null;
  #end: Listener | null = null;
  #scheduled = false;
  readonly method = "POST";
  readonly url = "/statefun";
  readonly headers: Record<string, string>;
  constructor(readonly body: Buffer) {
    this.headers = { "content-type": "application/octet-stream", "content-length": String(body.length) };
  }

  /** Only 'error' is subscribed with once(), and a fake never fails. */
  once(): this {
    return this;
  }

  on(event: string, listener: Listener): this {
    if (event === "data") this.#data = listener;
    else if (event === "end") this.#end = listener;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#data?.(this.body);
        this.#end?.();
      });
    }
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    let done = false;
    const body = this.body;
    return {
      next(): Promise<IteratorResult<Buffer>> {
        if (done) return Promise.resolve({ done: true, value: undefined });
        done = true;
        return Promise.resolve({ done: false, value: body });
      },
    };
  }
}

class FakeRes {
  statusCode = 0;
  headers: Record<string, unknown> | null = null;
  body: Uint8Array | null = null;
  headersSent = false;
  writeHead(status: number, headers?: Record<string, unknown>): this {
    this.statusCode = status;
    this.headers = headers ?? null;
    this.headersSent = true;
    return this;
  }
  end(body?: Uint8Array): this {
    this.body = body ?? null;
    return this;
  }
  destroy(): this {
    return this;
  }
}

// ------------------------------------------------------------------------------------------------
// Variants
// ------------------------------------------------------------------------------------------------

interface Variant {
  key: string;
  label: string;
  ours: boolean;
  /** One request; resolves with the reply bytes. */
  run(bytes: Buffer): Promise<Uint8Array>;
}

function httpRun(handle: (req: never, res: never) => Promise<void>): (bytes: Buffer) => Promise<Uint8Array> {
  return async (bytes) => {
    const res = new FakeRes();
    await handle(new FakeReq(bytes) as never, res as never);
    if (res.statusCode !== 200 || res.body === null) {
      throw new Error(`HTTP handler answered ${res.statusCode}: ${res.body ? Buffer.from(res.body).toString("utf8") : ""}`);
    }
    return res.body;
  };
}

function makeVariants(): Variant[] {
  const ours = bindOurs();
  const theirs = bindOfficial();
  const theirFns = officialFns();
  return [
    { key: "ours-bytes", label: "statefun-ts handleRequest(bytes)", ours: true, run: (bytes) => ours.handleRequest(bytes) },
    { key: "ours-http", label: "statefun-ts handle(req,res)", ours: true, run: httpRun((req, res) => ours.handle(req, res)) },
    { key: "official-http", label: "official handle(req,res)", ours: false, run: httpRun((req, res) => theirs.handle(req, res)) },
    {
      key: "official-bytes",
      label: "official dist/handler handle(bytes,fns)",
      ours: false,
      run: (bytes) => officialHandleBytes(bytes, theirFns) as Promise<Uint8Array>,
    },
  ];
}

// ------------------------------------------------------------------------------------------------
// Verification
// ------------------------------------------------------------------------------------------------

/** A reply reduced to what the cluster acts on, with bytes as hex. */
function normalize(reply: WireFromFunction): unknown {
  const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");
  const tval = (v: { typename: string; hasValue?: boolean; value?: Uint8Array } | null | undefined) =>
    v ? { typename: v.typename, hasValue: !!v.hasValue, value: hex(v.value) } : null;
  const a = (x: { namespace: string; type: string; id: string } | null | undefined) =>
    x ? `${x.namespace}/${x.type}/${x.id}` : null;
  const r = reply.invocationResult;
  return {
    incomplete: reply.incompleteInvocationContext ?? null,
    stateMutations: (r?.stateMutations ?? []).map((m) => ({
      stateName: m.stateName,
      mutationType: m.mutationType ?? 0,
      stateValue: tval(m.stateValue),
    })),
    outgoingMessages: (r?.outgoingMessages ?? []).map((m) => ({ target: a(m.target), argument: tval(m.argument) })),
    delayedInvocations: (r?.delayedInvocations ?? []).map((d) => ({
      isCancellationRequest: !!d.isCancellationRequest,
      cancellationToken: d.cancellationToken ?? "",
      delayInMs: Number(d.delayInMs ?? 0),
      target: a(d.target),
      argument: tval(d.argument),
    })),
    outgoingEgresses: (r?.outgoingEgresses ?? []).map((e) => ({
      egressNamespace: e.egressNamespace,
      egressType: e.egressType,
      argument: tval(e.argument),
    })),
  };
}

async function verify(shape: Shape, variants: Variant[]): Promise<{ ok: boolean; byteIdentical: boolean }> {
  let reference: unknown = null;
  let referenceBytes: Buffer | null = null;
  let ok = true;
  let byteIdentical = true;
  for (const v of variants) {
    let bytes: Uint8Array;
    try {
      bytes = await v.run(shape.bytes);
    } catch (e) {
      console.error(`VERIFY FAIL ${shape.key} ${v.label}: threw ${(e as Error).stack ?? String(e)}`);
      ok = false;
      continue;
    }
    const reply = decodeFromFunction(bytes);
    const problem = shape.expect(reply);
    if (problem) {
      console.error(`VERIFY FAIL ${shape.key} ${v.label}: ${problem}`);
      ok = false;
    }
    const norm = normalize(reply);
    if (reference === null) {
      reference = norm;
      referenceBytes = Buffer.from(bytes);
    } else {
      if (!isDeepStrictEqual(norm, reference)) {
        console.error(`VERIFY FAIL ${shape.key} ${v.label}: reply differs from ${variants[0].label}`);
        console.error(`  expected: ${JSON.stringify(reference).slice(0, 2000)}`);
        console.error(`  got:      ${JSON.stringify(norm).slice(0, 2000)}`);
        ok = false;
      }
      if (!referenceBytes!.equals(Buffer.from(bytes))) byteIdentical = false;
    }
  }
  return { ok, byteIdentical };
}

// ------------------------------------------------------------------------------------------------
// Measurement
// ------------------------------------------------------------------------------------------------

/** Runs `run` back to back (concurrency 1) for about `budgetMs`; returns requests per second. */
async function slice(run: (bytes: Buffer) => Promise<Uint8Array>, bytes: Buffer, budgetMs: number): Promise<number> {
  if (forceGc) forceGc();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(budgetMs * 1e6));
  let now = start;
  let ops = 0;
  do {
    for (let k = 0; k < CLOCK_EVERY; k++) await run(bytes);
    ops += CLOCK_EVERY;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return ops / (Number(now - start) / 1e9);
}

interface VariantResult {
  shape: string;
  variant: string;
  label: string;
  invocationsPerRequest: number;
  rounds: number[];
  reqPerSec: number;
  invPerSec: number;
  /** (max - min) / median of the rounds, in percent. */
  spreadPct: number;
  /** Median of per-round ratios against official handle(req,res); null for official variants. */
  vsOfficialHttp: number | null;
  /** Median of per-round ratios against official dist/handler handle(bytes); null for official variants. */
  vsOfficialBytes: number | null;
}

async function benchShape(shape: Shape, variants: Variant[]): Promise<VariantResult[]> {
  for (let pass = 0; pass < WARMUP_PASSES; pass++) {
    for (const v of variants) await slice(v.run, shape.bytes, WARMUP_MS);
  }
  const rounds = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(r + j) % variants.length];
      rounds.get(v.key)!.push(await slice(v.run, shape.bytes, BUDGET_MS));
    }
    process.stderr.write(".");
  }
  const ratio = (a: string, b: string): number | null => {
    const xs = rounds.get(a)!;
    const ys = rounds.get(b);
    return ys ? median(xs.map((x, i) => x / ys[i])) : null;
  };
  return variants.map((v) => {
    const xs = rounds.get(v.key)!;
    const med = median(xs);
    return {
      shape: shape.key,
      variant: v.key,
      label: v.label,
      invocationsPerRequest: shape.invocations,
      rounds: xs.map((x) => Math.round(x)),
      reqPerSec: med,
      invPerSec: med * shape.invocations,
      spreadPct: ((Math.max(...xs) - Math.min(...xs)) / med) * 100,
      vsOfficialHttp: v.ours ? ratio(v.key, "official-http") : null,
      vsOfficialBytes: v.ours ? ratio(v.key, "official-bytes") : null,
    };
  });
}

// ------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
}

async function main(): Promise<void> {
  const t0 = process.hrtime.bigint();
  const shapes = [
    counterShape("a", "(a) 1 inv, int state + 1 send", 1),
    counterShape("b", "(b) 100-inv batch, int state + send", 100),
    docShape("c", 1),
    docShape("d", 10),
  ].filter((s) => SHAPES_WANTED.includes(s.key));
  const variants = makeVariants();
  const measured = VARIANTS_WANTED ? variants.filter((v) => VARIANTS_WANTED.includes(v.key)) : variants;
  if (measured.length === 0) throw new Error(`BENCH_VARIANTS matches none of ${variants.map((v) => v.key).join(", ")}`);

  const verification: Record<string, { ok: boolean; byteIdentical: boolean }> = {};
  let allOk = true;
  for (const shape of shapes) {
    const v = await verify(shape, variants);
    verification[shape.key] = v;
    allOk &&= v.ok;
  }
  if (!allOk) {
    console.error("verification failed: the SDKs do not give the same (correct) reply; not benchmarking");
    console.log(JSON.stringify({ bench: "core", ok: false, verification }));
    process.exit(1);
  }

  process.stderr.write(
    `bench/core: node ${process.version}, ${QUICK ? "QUICK, " : ""}${ROUNDS} rounds × ${BUDGET_MS} ms per variant, ` +
      `warm-up ${WARMUP_PASSES} × ${WARMUP_MS} ms, concurrency 1, forced minor GC between slices: ${forceGc ? "yes" : "no"}\n`,
  );
  const results: VariantResult[] = [];
  for (const shape of shapes) {
    process.stderr.write(`shape ${shape.key} (${shape.bytes.length} B request) `);
    results.push(...(await benchShape(shape, measured)));
    process.stderr.write("\n");
  }

  const ratio = (x: number | null): string => (x === null ? "—" : `${x.toFixed(2)}×`);
  const lines = [
    "| shape | variant | req/s | inv/s | × official handle(req,res) | × official handle(bytes) | spread |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const shape = shapes.find((s) => s.key === r.shape)!;
    lines.push(
      `| ${shape.label} | ${r.label} | ${fmt(r.reqPerSec)} | ${fmt(r.invPerSec)} | ${ratio(r.vsOfficialHttp)} | ` +
        `${ratio(r.vsOfficialBytes)} | ±${(r.spreadPct / 2).toFixed(0)}% |`,
    );
  }
  console.log("");
  console.log(lines.join("\n"));
  console.log("");
  console.log(
    `node ${process.version}; concurrency 1; ${ROUNDS} rounds × ${BUDGET_MS} ms per variant; req/s and inv/s are ` +
      `medians over rounds; × = median of per-round ratios (ours / official, same round); spread = half the ` +
      `min–max range over rounds, relative to the median. Replies verified equal across all variants ` +
      `(byte-identical: ${shapes.map((s) => `${s.key}=${verification[s.key].byteIdentical}`).join(", ")}).`,
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    JSON.stringify({
      bench: "core",
      ok: true,
      node: process.version,
      quick: QUICK,
      rounds: ROUNDS,
      budgetMs: BUDGET_MS,
      concurrency: 1,
      elapsedSec: Math.round(elapsed * 10) / 10,
      verification,
      results: results.map((r) => ({
        ...r,
        reqPerSec: Math.round(r.reqPerSec),
        invPerSec: Math.round(r.invPerSec),
        spreadPct: Math.round(r.spreadPct * 10) / 10,
        vsOfficialHttp: r.vsOfficialHttp === null ? null : Math.round(r.vsOfficialHttp * 100) / 100,
        vsOfficialBytes: r.vsOfficialBytes === null ? null : Math.round(r.vsOfficialBytes * 100) / 100,
      })),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
