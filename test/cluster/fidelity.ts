/**
 * The local runtime's fidelity check against the real StateFun runtime (run by FidelityTest.java):
 *
 *   node dist/test/cluster/fidelity.js plan <scenario>
 *     prints the scenario (fidelity-app.ts) for the Java test, one step a line:
 *     `send <function type> <id> <argument typename> <argument bytes, base64>` and `await <egress> <count>`;
 *   node dist/test/cluster/fidelity.js compare <scenario> <recording.jsonl> <lines to skip>
 *     runs the same scenario through LocalRuntime (virtual clock, in-process functions) and
 *     compares every exchange the runtime had with the functions against the real runtime's,
 *     recorded by the endpoint's proxy (the lines after the first <lines to skip>): exit 0 when
 *     nothing differs but what may (where batches are cut, the order of states in a request, the
 *     order of messages from different callers, time), 1 with every difference listed.
 *
 * What is compared, per address: the invocations with their callers and arguments (per caller
 * in order, and as a whole as a multiset), the states every batch carries and holds after its
 * reply, at each batch boundary both runs share, and at the end; the missing-state handshake
 * (at which request of the function type, which states the request carried, the specs asked for
 * with their TTLs, and that the same batch is sent again); the messages, delayed messages
 * (with tokens and cancellations) and egress records each address sent, in order; which
 * delayed messages were delivered. Measured as well, and printed: how late the real runtime
 * delivered each delayed message.
 */
import { readFileSync } from "node:fs";
import { LocalRuntime } from "../../src/local";
import { StateFun } from "../../src";
import { decodeFromFunction, decodeToFunction, type WireAddress, type WireFromFunction, type WireToFunction, type WireTypedValue } from "../../src/wire/codec";
import { FID_KINESIS, FID_OUT, FidCommandType, fidelityApp, scenarios, type FidPhase, type FidSend } from "./fidelity-app";
import type { RecordedExchange } from "./endpoint";

/** One exchange that produced a reply, from either runtime. */
interface Exchange {
  /** ms: wall clock for the real runtime, the virtual clock for LocalRuntime. */
  readonly at: number;
  readonly request: WireToFunction;
  readonly reply: WireFromFunction;
}

function encodeSend(send: FidSend): WireTypedValue {
  const type = typeof send.value === "string" ? StateFun.stringType() : FidCommandType;
  const value = typeof send.value === "string" ? StateFun.stringType().serialize(send.value) : FidCommandType.serialize(send.value);
  return { typename: type.typename, hasValue: true, value };
}

function phasesOf(name: string): readonly FidPhase[] {
  const phases = scenarios[name];
  if (phases === undefined) throw new Error(`no scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(", ")}`);
  return phases;
}

function plan(name: string): string {
  const lines: string[] = [];
  for (const phase of phasesOf(name)) {
    for (const send of phase.sends) {
      const v = encodeSend(send);
      lines.push(`send ${send.to} ${send.id} ${v.typename} ${(v.value ?? Buffer.alloc(0)).toString("base64")}`);
    }
    lines.push(`await ${phase.egress} ${phase.until}`);
  }
  return lines.join("\n") + "\n";
}

/** The scenario through LocalRuntime: its exchanges. */
async function runLocal(name: string): Promise<Exchange[]> {
  const rt = new LocalRuntime({ functions: fidelityApp(), egresses: [FID_OUT, FID_KINESIS] });
  try {
    for (const phase of phasesOf(name)) {
      for (const send of phase.sends) rt.sendTypedValue({ typename: send.to, id: send.id }, encodeSend(send));
      await rt.runUntilIdle();
      // Time passes only as far as the phase needs: to its delayed messages, one at a time.
      while (rt.egress(phase.egress).length < phase.until) {
        const due = Math.min(...rt.pendingDelayed.map((d) => d.due));
        if (!Number.isFinite(due)) throw new Error(`LocalRuntime: ${phase.egress} has ${rt.egress(phase.egress).length} of ${phase.until} records and nothing is pending`);
        await rt.advance(due - rt.now);
      }
    }
    return rt.trace.map((e) => {
      if (e.reply === null) throw new Error(`LocalRuntime: exchange ${e.seq} failed (${e.outcome}); the scenario has no failures`);
      return { at: e.at, request: decodeToFunction(e.request), reply: decodeFromFunction(e.reply) };
    });
  } finally {
    rt.close();
  }
}

/** The real runtime's exchanges, from the recording proxy's lines after the first `skip`. */
function readRecording(file: string, skip: number): Exchange[] {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").slice(skip);
  return lines.map((line, i) => {
    const r = JSON.parse(line) as RecordedExchange;
    if (r.status !== 200) throw new Error(`recording line ${skip + i + 1}: HTTP ${r.status}; the scenario has no failures`);
    return { at: r.at, request: decodeToFunction(Buffer.from(r.body, "base64")), reply: decodeFromFunction(Buffer.from(r.reply, "base64")) };
  });
}

// ------------------------------------------------------------------------------------------
// The model both runs are reduced to
// ------------------------------------------------------------------------------------------

const hex = (b: Buffer | Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");
const addr = (a: WireAddress | null | undefined): string | null =>
  a && (a.namespace || a.type || a.id) ? `${a.namespace}/${a.type}(${a.id})` : null;
const typeOf = (a: string): string => a.slice(0, a.indexOf("("));
/** A typed value as compared: typename, whether it has a value, its bytes. */
const tv = (v: WireTypedValue | null | undefined): string => (v ? `${v.typename}${v.hasValue ? "" : "!no-value"}:${hex(v.value)}` : "(none)");

interface Invocation {
  readonly caller: string | null;
  readonly argument: string;
}

interface Batch {
  readonly at: number;
  /** Position of its first invocation in the address's sequence of applied invocations. */
  readonly start: number;
  readonly invocations: Invocation[];
  /** Carried states by name (null: carried without a value), and their order. */
  readonly carried: Map<string, string | null>;
  readonly order: string[];
  /** States after the reply. */
  readonly after: Map<string, string | null>;
}

interface Handshake {
  /** Which request of its function type it was (0: the first). */
  readonly requestOfType: number;
  readonly address: string;
  readonly carried: string[];
  readonly specs: string[];
  /** Whether the next request to the address carried the same invocations. */
  resentSame: boolean | null;
}

interface Sent {
  readonly kind: "message" | "delayed" | "cancel" | "egress";
  readonly text: string;
}

interface Delayed {
  readonly from: string;
  readonly to: string;
  readonly argument: string;
  readonly delayMs: number;
  readonly token: string;
  /** When the reply asking for it was received (request time; the real runtime's reply follows within ms). */
  readonly sentAt: number;
}

interface Model {
  readonly batches: Map<string, Batch[]>;
  readonly handshakes: Map<string, Handshake[]>;
  readonly sent: Map<string, Sent[]>;
  readonly delayed: Delayed[];
  /** Invocations as delivered, per address, with the time of their request. */
  readonly deliveries: Map<string, { at: number; invocation: Invocation }[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function model(exchanges: readonly Exchange[]): Model {
  const m: Model = { batches: new Map(), handshakes: new Map(), sent: new Map(), delayed: [], deliveries: new Map() };
  const requestsOfType = new Map<string, number>();
  const applied = new Map<string, number>();
  /** Per address: the handshake it had, and the invocations of the batch it was for, until the next request. */
  const lastHandshake = new Map<string, { handshake: Handshake; invocations: Invocation[] }>();
  for (const e of exchanges) {
    const batch = e.request.invocation;
    const address = addr(batch?.target);
    if (!batch || address === null) throw new Error("a request without a batch or target");
    const type = typeOf(address);
    const nth = requestsOfType.get(type) ?? 0;
    requestsOfType.set(type, nth + 1);
    const invocations: Invocation[] = batch.invocations.map((i) => ({ caller: addr(i.caller), argument: tv(i.argument) }));
    const carried = new Map<string, string | null>();
    for (const s of batch.state) carried.set(s.stateName, s.stateValue ? tv(s.stateValue) : null);

    const pending = lastHandshake.get(address);
    if (pending !== undefined) {
      pending.handshake.resentSame = same(invocations, pending.invocations);
      lastHandshake.delete(address);
    }
    const missing = e.reply.incompleteInvocationContext?.missingValues;
    if (missing) {
      const specs = missing
        .map((s) => `${s.stateName}:${s.typeTypename}:ttl=${s.expirationSpec ? `${s.expirationSpec.mode}/${Number(s.expirationSpec.expireAfterMillis)}` : "none"}`)
        .sort();
      const h: Handshake = { requestOfType: nth, address, carried: [...carried.keys()].sort(), specs, resentSame: null };
      push(m.handshakes, type, h);
      lastHandshake.set(address, { handshake: h, invocations });
      continue;
    }
    const result = e.reply.invocationResult;
    if (!result) throw new Error(`a reply to ${address} with neither a result nor missing states`);
    const start = applied.get(address) ?? 0;
    applied.set(address, start + invocations.length);
    const after = new Map(carried);
    for (const mut of result.stateMutations) after.set(mut.stateName, (mut.mutationType ?? 0) === 1 ? tv(mut.stateValue) : null);
    push(m.batches, address, { at: e.at, start, invocations, carried, order: batch.state.map((s) => s.stateName), after });
    for (const inv of invocations) push(m.deliveries, address, { at: e.at, invocation: inv });
    for (const out of result.outgoingMessages) push(m.sent, address, { kind: "message", text: `${addr(out.target)} ${tv(out.argument)}` });
    for (const d of result.delayedInvocations) {
      if (d.isCancellationRequest) {
        push(m.sent, address, { kind: "cancel", text: `token ${d.cancellationToken ?? ""}` });
        continue;
      }
      const delayMs = Number(d.delayInMs ?? 0);
      const to = addr(d.target) ?? "(none)";
      push(m.sent, address, { kind: "delayed", text: `${to} after ${delayMs} ms token ${JSON.stringify(d.cancellationToken ?? "")} ${tv(d.argument)}` });
      m.delayed.push({ from: address, to, argument: tv(d.argument), delayMs, token: d.cancellationToken ?? "", sentAt: e.at });
    }
    for (const eg of result.outgoingEgresses) push(m.sent, address, { kind: "egress", text: `${eg.egressNamespace}/${eg.egressType} ${tv(eg.argument)}` });
  }
  return m;
}

// ------------------------------------------------------------------------------------------
// Comparison
// ------------------------------------------------------------------------------------------

interface Report {
  readonly differences: string[];
  readonly notes: string[];
}

function same<T>(a: T, b: T): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (x instanceof Map ? Object.fromEntries(x) : x));
}

function byCaller(list: readonly Invocation[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of list) push(out, i.caller ?? "(ingress)", i.argument);
  return out;
}

function sortedMap<V>(m: Map<string, V>): [string, V][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function compare(real: Model, local: Model): Report {
  const differences: string[] = [];
  const notes: string[] = [];
  const addresses = [...new Set([...real.batches.keys(), ...local.batches.keys()])].sort();
  let commonBoundaries = 0;
  let realBatches = 0;
  let localBatches = 0;
  for (const address of addresses) {
    const rb = real.batches.get(address) ?? [];
    const lb = local.batches.get(address) ?? [];
    realBatches += rb.length;
    localBatches += lb.length;
    const ri = rb.flatMap((b) => b.invocations);
    const li = lb.flatMap((b) => b.invocations);
    // Invocations: per caller in order; as a whole, the same multiset.
    const rc = byCaller(ri);
    const lc = byCaller(li);
    for (const caller of [...new Set([...rc.keys(), ...lc.keys()])].sort()) {
      if (!same(rc.get(caller) ?? [], lc.get(caller) ?? [])) {
        differences.push(`${address}: invocations from ${caller} differ:\n    real:  ${show(rc.get(caller) ?? [])}\n    local: ${show(lc.get(caller) ?? [])}`);
      }
    }
    if (!same(ri, li) && same(sortedMap(rc), sortedMap(lc))) {
      notes.push(`${address}: messages of different callers interleaved differently (timing): real ${show(ri.map((i) => i.caller))}, local ${show(li.map((i) => i.caller))}`);
    }
    // States carried at each batch start both runs share, and held after each batch end both share.
    const rStarts = new Map(rb.map((b) => [b.start, b]));
    const lStarts = new Map(lb.map((b) => [b.start, b]));
    for (const [start, r] of rStarts) {
      const l = lStarts.get(start);
      if (l === undefined) continue;
      commonBoundaries++;
      if (!same(sortedMap(r.carried), sortedMap(l.carried))) {
        differences.push(`${address}: states carried by the batch starting at invocation ${start} differ:\n    real:  ${show(sortedMap(r.carried))}\n    local: ${show(sortedMap(l.carried))}`);
      }
      // LocalRuntime lists states in the cluster's HashMap order (store.ts): the requests match byte for byte.
      if (!same(r.order, l.order)) differences.push(`${address}: states listed in another order (batch at invocation ${start}): real ${show(r.order)}, local ${show(l.order)}`);
    }
    const rEnds = new Map(rb.map((b) => [b.start + b.invocations.length, b]));
    const lEnds = new Map(lb.map((b) => [b.start + b.invocations.length, b]));
    for (const [end, r] of rEnds) {
      const l = lEnds.get(end);
      if (l !== undefined && !same(sortedMap(r.after), sortedMap(l.after))) {
        differences.push(`${address}: states after invocation ${end} differ:\n    real:  ${show(sortedMap(r.after))}\n    local: ${show(sortedMap(l.after))}`);
      }
    }
    const rLast = rb[rb.length - 1];
    const lLast = lb[lb.length - 1];
    if (rLast && lLast && !same(sortedMap(rLast.after), sortedMap(lLast.after))) {
      differences.push(`${address}: final states differ:\n    real:  ${show(sortedMap(rLast.after))}\n    local: ${show(sortedMap(lLast.after))}`);
    }
    const cuts = (bs: Batch[]): number[] => bs.map((b) => b.invocations.length);
    if (!same(cuts(rb), cuts(lb))) notes.push(`${address}: batches cut differently (timing): real ${show(cuts(rb))}, local ${show(cuts(lb))}`);
    // What the address sent, in order, by kind (messages and egress interleave per batch in both).
    const rs = real.sent.get(address) ?? [];
    const ls = local.sent.get(address) ?? [];
    for (const kind of ["message", "delayed", "cancel", "egress"] as const) {
      const r = rs.filter((s) => s.kind === kind).map((s) => s.text);
      const l = ls.filter((s) => s.kind === kind).map((s) => s.text);
      if (!same(r, l)) differences.push(`${address}: ${kind} sent differ:\n    real:  ${show(r)}\n    local: ${show(l)}`);
    }
  }
  // The missing-state handshake, per function type. Which address goes first is timing when
  // several are reached at once; everything else must agree.
  for (const type of [...new Set([...real.handshakes.keys(), ...local.handshakes.keys()])].sort()) {
    const r = real.handshakes.get(type) ?? [];
    const l = local.handshakes.get(type) ?? [];
    const unplaced = (hs: Handshake[]): Omit<Handshake, "address">[] => hs.map(({ address: _, ...rest }) => rest);
    if (!same(unplaced(r), unplaced(l))) differences.push(`${type}: the missing-state handshake differs:\n    real:  ${show(r)}\n    local: ${show(l)}`);
    else notes.push(`${type}: handshake ${show(r)}${same(r, l) ? "" : ` (LocalRuntime's at ${show(l.map((h) => h.address))}: timing)`}`);
  }
  // Delayed deliveries: which were delivered (the same in both), and how late the real runtime was.
  // Each delivery (an invocation from the sender with the same argument, after it was sent) is
  // matched to one delayed message at most, in the order they were sent.
  const deliveredAt = (m: Model): (number | undefined)[] => {
    const used = new Set<object>();
    return m.delayed.map((d) => {
      const hit = (m.deliveries.get(d.to) ?? []).find(
        (x) => !used.has(x) && x.invocation.caller === d.from && x.invocation.argument === d.argument && x.at >= d.sentAt,
      );
      if (hit === undefined) return undefined;
      used.add(hit);
      return hit.at;
    });
  };
  const ra = deliveredAt(real);
  const rd = ra.map((at) => at !== undefined);
  const ld = deliveredAt(local).map((at) => at !== undefined);
  if (!same(rd, ld)) differences.push(`delayed messages delivered differ: real ${show(rd)}, local ${show(ld)}`);
  real.delayed.forEach((d, i) => {
    const at = ra[i];
    notes.push(
      `delayed ${d.from} -> ${d.to} ${d.delayMs} ms token ${JSON.stringify(d.token)}: ` +
        (at === undefined ? "not delivered (cancelled)" : `the real runtime delivered it ${at - d.sentAt} ms after the request that sent it`),
    );
  });
  notes.push(`batches: real ${realBatches}, local ${localBatches}; batch boundaries both share: ${commonBoundaries}`);
  return { differences, notes };
}

async function main(argv: string[]): Promise<number> {
  const [command, scenario, recording, skip] = argv;
  if (command === "plan" && scenario !== undefined) {
    process.stdout.write(plan(scenario));
    return 0;
  }
  if (command === "compare" && scenario !== undefined && recording !== undefined) {
    const real = model(readRecording(recording, Number(skip ?? 0)));
    const local = model(await runLocal(scenario));
    const report = compare(real, local);
    process.stdout.write(`scenario ${scenario}: ${report.differences.length} difference(s)\n`);
    for (const d of report.differences) process.stdout.write(`DIFFERENCE ${d}\n`);
    for (const n of report.notes) process.stdout.write(`note ${n}\n`);
    return report.differences.length === 0 ? 0 : 1;
  }
  process.stderr.write("usage: fidelity.js plan <scenario> | compare <scenario> <recording.jsonl> <lines to skip>\n");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fidelity: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
