/**
 * Codec-only micro-benchmark: the purpose-built request/reply codec (src/wire/reqreply.ts)
 * against protobufjs as src/wire/codec.ts uses it on the request path before that codec, side
 * by side in one run.
 *
 *   npm run bench:codec                 full run (~45 s)
 *   BENCH_QUICK=1 npm run bench:codec   smoke run (a few seconds); also `--quick`
 *
 * Optional overrides (env): BENCH_ROUNDS, BENCH_BUDGET_MS (per variant per round),
 * BENCH_WARMUP_MS, BENCH_CASES (e.g. "decode:a,encode:c"), BENCH_VARIANTS ("ours" or
 * "protobufjs": handy under `node --cpu-prof dist/bench/codec.js`; ratios need both).
 *
 * Messages: the request shapes of bench/workload.ts — (a) 1 invocation, (b10) a batch of 10,
 * (b) a batch of 100, (c) 1 invocation with a ~10 KB JSON state — decoded as the cluster sends
 * them (each body in its own ArrayBuffer, as HTTP bodies arrive), and the replies the SDK
 * answers them with, encoded from objects built the way effects.ts and storage.ts build them.
 * One extra decode case, (a) with a new target id in every request, shows the decoder's string
 * cache missing, as it does for a function with many ids. Before measuring, every reply is
 * checked to be byte-identical between the two encoders and to the SDK's actual reply, and
 * every request to decode to the same fields; the process exits with status 1 otherwise.
 *
 * Method: per case, a warm-up pass, then N rounds; each round runs both variants for a fixed
 * time budget, in an order alternated from round to round, with a forced young-generation GC
 * before each slice (when available) so one variant's garbage is not collected on the other's
 * clock. A variant's ns/op is the median of its rounds; the ratio is the median of the
 * per-round ratios (protobufjs ns/op ÷ ours, both measured in the same round).
 */
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import protobuf from "protobufjs";
import { StateFun } from "../src";
import {
  decodeFromFunction,
  encodeToFunction,
  MutationType,
  typedValue,
  type WireFromFunction,
  type WireToFunction,
  type WireTypedValue,
} from "../src/wire/codec";
import { decodeToFunction as oursDecode, encodeFromFunction as oursEncode } from "../src/wire/reqreply";
import { envInt, forceGc, median, QUICK } from "./settings";
import { bindOurs, counterShape, docShape, type Shape } from "./workload";

// ------------------------------------------------------------------------------------------------
// protobufjs exactly as src/wire/codec.ts used it before the purpose-built codec (built here,
// from protos/, which generates the same code as codec.ts' descriptor.json, so the comparison
// stands once codec.ts delegates to the new codec)
// ------------------------------------------------------------------------------------------------

const reqreply = protobuf.loadSync(path.join(__dirname, "../../protos/request-reply.proto")); // from dist/bench
const ToFunctionType = reqreply.lookupType("io.statefun.sdk.reqreply.ToFunction");
const FromFunctionType = reqreply.lookupType("io.statefun.sdk.reqreply.FromFunction");

/** codec.ts' writer: lone surrogates as U+FFFD. */
class WellFormedWriter extends protobuf.BufferWriter {
  override string(value: string): protobuf.Writer {
    return super.string(value.isWellFormed() ? value : value.toWellFormed());
  }
}

/** `finish(true)`: a view of the writer's buffer, as codec.ts takes it. */
const finishShared = protobuf.Writer.prototype.finish as (this: protobuf.Writer, shared: boolean) => Uint8Array;

function protobufjsDecode(bytes: Buffer): WireToFunction {
  return ToFunctionType.decode(bytes) as unknown as WireToFunction;
}

function protobufjsEncode(message: WireFromFunction): Buffer {
  return finishShared.call(FromFunctionType.encode(message as protobuf.Message, new WellFormedWriter()), true) as Buffer;
}

const ROUNDS = envInt("BENCH_ROUNDS", QUICK ? 3 : 21);
const BUDGET_MS = envInt("BENCH_BUDGET_MS", QUICK ? 30 : 100);
const WARMUP_MS = envInt("BENCH_WARMUP_MS", QUICK ? 30 : 300);
/** Operations between two clock reads. */
const CLOCK_EVERY = 16;
const CASES_WANTED = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(",").map((s) => s.trim()) : null;
const VARIANTS_WANTED = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(",").map((s) => s.trim()) : null;


// ------------------------------------------------------------------------------------------------
// Messages
// ------------------------------------------------------------------------------------------------

const INT = StateFun.intType();
const STRING = StateFun.stringType();
const INITIAL_SEEN = 41;

/** The reply to a counter shape, built as effects.ts / storage.ts build it. */
function counterReply(n: number): WireFromFunction {
  const outgoingMessages = [];
  for (let i = 0; i < n; i++) {
    outgoingMessages.push({
      target: { namespace: "bench", type: "sink", id: "user-1" },
      argument: typedValue(STRING.typename, STRING.serialize(`hello world-${i} #${INITIAL_SEEN + i + 1}`)),
    });
  }
  const stateValue: WireTypedValue = typedValue(INT.typename, INT.serialize(INITIAL_SEEN + n));
  return {
    invocationResult: {
      stateMutations: [{ mutationType: MutationType.MODIFY, stateName: "seen", stateValue }],
      outgoingMessages,
      delayedInvocations: [],
      outgoingEgresses: [],
    },
  };
}

/**
 * The reply to the doc shape: the JSON state written back. The written document's bytes are
 * taken from the SDK's actual reply (decoded with the SDK's reply decoder).
 */
function docReply(request: WireToFunction, actual: Buffer): WireFromFunction {
  const written = decodeFromFunction(actual).invocationResult!.stateMutations[0].stateValue!;
  return {
    invocationResult: {
      stateMutations: [
        {
          mutationType: MutationType.MODIFY,
          stateName: request.invocation!.state[0].stateName,
          stateValue: typedValue(written.typename, Buffer.from(written.value ?? [])),
        },
      ],
      outgoingMessages: [],
      delayedInvocations: [],
      outgoingEgresses: [],
    },
  };
}

interface Case {
  key: string;
  label: string;
  bytes: number;
  run: Record<"ours" | "protobufjs", () => unknown>;
}

/** The fields the request path reads, for the decode check. */
function normalizeRequest(m: WireToFunction): unknown {
  const tv = (v: WireTypedValue | null | undefined) =>
    v ? { typename: v.typename, hasValue: v.hasValue, value: Buffer.from(v.value ?? []).toString("hex") } : null;
  const b = m.invocation;
  if (!b) return null;
  return {
    target: b.target ? { namespace: b.target.namespace, type: b.target.type, id: b.target.id } : null,
    state: b.state.map((s) => ({ stateName: s.stateName, stateValue: tv(s.stateValue) })),
    invocations: b.invocations.map((i) => ({
      caller: i.caller ? { namespace: i.caller.namespace, type: i.caller.type, id: i.caller.id } : null,
      argument: tv(i.argument),
    })),
  };
}

/** Request bodies are decoded round-robin, each in its own ArrayBuffer, as HTTP bodies arrive. */
const BODIES = 64;

function ownBuffer(bytes: Buffer): Buffer {
  const body = Buffer.from(new ArrayBuffer(bytes.length));
  bytes.copy(body);
  return body;
}

/** A decode case over `bodies` (a power of two of them). */
function decodeCase(key: string, label: string, bodies: Buffer[]): Case {
  const mask = bodies.length - 1;
  let next = 0;
  const body = (): Buffer => bodies[(next = (next + 1) & mask)];
  return {
    key,
    label,
    bytes: bodies[0].length,
    run: { ours: () => oursDecode(body()), protobufjs: () => protobufjsDecode(body()) },
  };
}

/**
 * Shape (a) with a different target id in each of 4,096 requests: the decoder's string cache
 * (1,024 slots) then misses on the id, as it does for a function with many ids.
 */
function distinctIds(bytes: Buffer): Buffer[] {
  const request = protobufjsDecode(bytes);
  const out: Buffer[] = [];
  for (let i = 0; i < 4096; i++) {
    const batch = request.invocation!;
    out.push(ownBuffer(encodeToFunction({ invocation: { ...batch, target: { ...batch.target!, id: `user-${100000 + i}` } } })));
  }
  return out;
}

async function buildCases(): Promise<Case[]> {
  const sf = bindOurs();
  const shapes: [Shape, (s: Shape, reply: Buffer) => WireFromFunction][] = [
    [counterShape("a", "(a) 1 invocation", 1), () => counterReply(1)],
    [counterShape("b10", "(b10) batch of 10", 10), () => counterReply(10)],
    [counterShape("b", "(b) batch of 100", 100), () => counterReply(100)],
    [docShape(), (s, reply) => docReply(protobufjsDecode(s.bytes), reply)],
  ];
  const cases: Case[] = [];
  let ok = true;
  for (const [shape, replyOf] of shapes) {
    const key = shape.key;
    const label = shape.key === "c" ? "(c) 10 KB JSON state" : shape.label;
    // Decode check: both decoders read the same fields.
    if (!isDeepStrictEqual(normalizeRequest(oursDecode(shape.bytes)), normalizeRequest(protobufjsDecode(shape.bytes)))) {
      console.error(`CHECK FAIL decode ${key}: the decoders disagree`);
      ok = false;
    }
    // Encode check: both encoders write the SDK's actual reply, byte for byte.
    const actual = Buffer.from(await sf.handleRequest(shape.bytes));
    const reply = replyOf(shape, actual);
    const a = oursEncode(reply);
    const b = protobufjsEncode(reply);
    if (!a.equals(b) || !a.equals(actual)) {
      console.error(`CHECK FAIL encode ${key}: ours ${a.length} B, protobufjs ${b.length} B, SDK reply ${actual.length} B differ`);
      ok = false;
    }
    cases.push(decodeCase(`decode:${key}`, `decode ${label}`, Array.from({ length: BODIES }, () => ownBuffer(shape.bytes))));
    if (key === "a") cases.push(decodeCase("decode:a-ids", "decode (a), a new target id each time", distinctIds(shape.bytes)));
    cases.push({
      key: `encode:${key}`,
      label: `encode reply to ${label}`,
      bytes: a.length,
      run: { ours: () => oursEncode(reply), protobufjs: () => protobufjsEncode(reply) },
    });
  }
  if (!ok) {
    console.error("codec check failed: not benchmarking");
    process.exit(1);
  }
  return cases.filter((c) => CASES_WANTED === null || CASES_WANTED.includes(c.key));
}

// ------------------------------------------------------------------------------------------------
// Measurement
// ------------------------------------------------------------------------------------------------

/** Keeps results observable so the work cannot be optimized away. */
let sink: unknown = null;

/** Runs `op` back to back for about `budgetMs`; returns ns per operation. */
function slice(op: () => unknown, budgetMs: number): number {
  if (forceGc) forceGc();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(budgetMs * 1e6));
  let now = start;
  let ops = 0;
  do {
    for (let k = 0; k < CLOCK_EVERY; k++) sink = op();
    ops += CLOCK_EVERY;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return Number(now - start) / ops;
}

type VariantKey = "ours" | "protobufjs";
const VARIANTS: VariantKey[] = (["protobufjs", "ours"] as VariantKey[]).filter(
  (v) => VARIANTS_WANTED === null || VARIANTS_WANTED.includes(v),
);

interface Result {
  key: string;
  label: string;
  bytes: number;
  nsPerOp: Partial<Record<VariantKey, number>>;
  rounds: Partial<Record<VariantKey, number[]>>;
  /** protobufjs ns/op ÷ ours, median of per-round ratios; null unless both were measured. */
  ratio: number | null;
}

function benchCase(c: Case): Result {
  for (const v of VARIANTS) slice(c.run[v], WARMUP_MS);
  const rounds: Partial<Record<VariantKey, number[]>> = {};
  for (const v of VARIANTS) rounds[v] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < VARIANTS.length; j++) {
      const v = VARIANTS[(r + j) % VARIANTS.length];
      rounds[v]!.push(slice(c.run[v], BUDGET_MS));
    }
  }
  const nsPerOp: Partial<Record<VariantKey, number>> = {};
  for (const v of VARIANTS) nsPerOp[v] = median(rounds[v]!);
  const ours = rounds.ours;
  const theirs = rounds.protobufjs;
  const ratio = ours && theirs ? median(theirs.map((t, i) => t / ours[i])) : null;
  return { key: c.key, label: c.label, bytes: c.bytes, nsPerOp, rounds, ratio };
}

function fmtNs(n: number | undefined): string {
  return n === undefined ? "—" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
}

async function main(): Promise<void> {
  const cases = await buildCases();
  process.stderr.write(
    `bench/codec: node ${process.version}, ${QUICK ? "QUICK, " : ""}${ROUNDS} rounds × ${BUDGET_MS} ms per variant, ` +
      `forced minor GC between slices: ${forceGc ? "yes" : "no"}\n`,
  );
  const results: Result[] = [];
  for (const c of cases) {
    process.stderr.write(`${c.key} `);
    results.push(benchCase(c));
  }
  process.stderr.write("\n");
  const lines = ["| message | bytes | protobufjs ns/op | ours ns/op | ratio |", "|---|---:|---:|---:|---:|"];
  for (const r of results) {
    lines.push(
      `| ${r.label} | ${r.bytes.toLocaleString("en-US")} | ${fmtNs(r.nsPerOp.protobufjs)} | ${fmtNs(r.nsPerOp.ours)} | ` +
        `${r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`} |`,
    );
  }
  console.log("");
  console.log(lines.join("\n"));
  console.log("");
  console.log(
    `node ${process.version}; ${ROUNDS} rounds × ${BUDGET_MS} ms per variant, alternating; ns/op = median over rounds; ` +
      `ratio = median of per-round ratios (protobufjs ÷ ours; > 1 means ours is faster). Outputs checked identical first.`,
  );
  console.log(
    JSON.stringify({
      bench: "codec",
      node: process.version,
      quick: QUICK,
      rounds: ROUNDS,
      budgetMs: BUDGET_MS,
      results: results.map((r) => ({
        key: r.key,
        bytes: r.bytes,
        protobufjsNs: r.nsPerOp.protobufjs === undefined ? null : Math.round(r.nsPerOp.protobufjs),
        oursNs: r.nsPerOp.ours === undefined ? null : Math.round(r.nsPerOp.ours),
        ratio: r.ratio === null ? null : Math.round(r.ratio * 100) / 100,
      })),
    }),
  );
  if (sink === undefined) console.log(""); // keep `sink` observable
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
