/**
 * Traces and replay. A trace holds every request the runtime sent and the reply it got, one
 * JSON line each; `replay` sends the recorded requests to the current code and reports every
 * reply that differs, decoded, as a line diff: a regression check before deploying a new
 * version of a function.
 */
import { readFileSync } from "node:fs";
import { endpointOf, type StateFun } from "../api/statefun";
import { formatAddress, refFromWire, type AddressRef } from "../base/address";
import { decodeFromFunction, type WireAddress, type WireFromFunction, type WireTypedValue } from "../wire/codec";
import { decodeEgressRecord, describeEgressRecord, describeValue } from "./values";

/** One request/reply exchange. */
export interface Exchange {
  readonly seq: number;
  /** Runtime clock, ms. */
  readonly at: number;
  readonly to: AddressRef;
  readonly attempt: number;
  readonly request: Buffer;
  /** The reply body; null when there was none (an error, a timeout). */
  readonly reply: Buffer | null;
  /** "ok", or what went wrong. */
  readonly outcome: string;
}

/** One JSON line. */
export function serializeExchange(e: Exchange): string {
  return JSON.stringify({
    seq: e.seq,
    at: e.at,
    to: e.to,
    attempt: e.attempt,
    request: e.request.toString("base64"),
    reply: e.reply === null ? null : e.reply.toString("base64"),
    outcome: e.outcome,
  });
}

/** Parses a trace (JSON lines). @throws Error naming the line that is not an exchange */
export function parseTrace(text: string): Exchange[] {
  const out: Exchange[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: { seq?: unknown; at?: unknown; to?: { typename?: unknown; id?: unknown }; attempt?: unknown; request?: unknown; reply?: unknown; outcome?: unknown };
    try {
      raw = JSON.parse(line) as typeof raw;
    } catch (e) {
      throw new Error(`trace line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
    if (
      typeof raw.seq !== "number" ||
      typeof raw.at !== "number" ||
      typeof raw.to?.typename !== "string" ||
      typeof raw.to.id !== "string" ||
      typeof raw.request !== "string" ||
      (raw.reply !== null && typeof raw.reply !== "string")
    ) {
      throw new Error(`trace line ${i + 1} is not an exchange (seq, at, to, request, reply)`);
    }
    out.push({
      seq: raw.seq,
      at: raw.at,
      to: { typename: raw.to.typename, id: raw.to.id },
      attempt: typeof raw.attempt === "number" ? raw.attempt : 1,
      request: Buffer.from(raw.request, "base64"),
      reply: typeof raw.reply === "string" ? Buffer.from(raw.reply, "base64") : null,
      outcome: typeof raw.outcome === "string" ? raw.outcome : "ok",
    });
  });
  return out;
}

/** A reply as lines a person can compare. */
export function describeReply(reply: WireFromFunction): string[] {
  const missing = reply.incompleteInvocationContext?.missingValues;
  if (missing) return missing.map((s) => `missing state ${s.stateName}: ${s.typeTypename}`);
  const r = reply.invocationResult;
  if (!r) return ["(an empty FromFunction)"];
  const addr = (a: WireAddress): string => formatAddress(refFromWire(a));
  const lines: string[] = [];
  for (const m of r.outgoingMessages ?? []) lines.push(`message → ${addr(m.target)}: ${describeValue(m.argument)}`);
  for (const d of r.delayedInvocations ?? []) {
    if (d.isCancellationRequest) lines.push(`cancel delayed message ${JSON.stringify(d.cancellationToken ?? "")}`);
    else {
      const token = d.cancellationToken ? ` token ${JSON.stringify(d.cancellationToken)}` : "";
      const target = d.target ? addr(d.target) : "(no target)";
      const value = d.argument ? describeValue(d.argument) : "(no value)";
      lines.push(`delayed ${Number(d.delayInMs ?? 0)} ms${token} → ${target}: ${value}`);
    }
  }
  for (const e of r.outgoingEgresses ?? []) {
    let text: string;
    try {
      text = describeEgressRecord(decodeEgressRecord(e.argument));
    } catch {
      text = describeValue(e.argument);
    }
    lines.push(`egress ${e.egressNamespace}/${e.egressType}: ${text}`);
  }
  for (const m of r.stateMutations ?? []) {
    lines.push(`state ${m.stateName} = ${(m.mutationType ?? 0) === 0 ? "(deleted)" : describeValue(m.stateValue as WireTypedValue)}`);
  }
  return lines;
}

/**
 * A line diff (longest common subsequence): unchanged lines indented, removed `-`, added `+`;
 * in a changed stretch the removed lines come first.
 */
export function diffLines(before: readonly string[], after: readonly string[]): string[] {
  const n = before.length;
  const m = after.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push(`  ${before[i++]}`);
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${before[i++]}`);
    } else {
      out.push(`+ ${after[j++]}`);
    }
  }
  return out;
}

/** An exchange whose reply changed. */
export interface ReplayDifference {
  readonly exchange: Exchange;
  /** The diff, recorded (`-`) against now (`+`). */
  readonly diff: readonly string[];
}

/** What `replay` found. */
export interface ReplayReport {
  /** Exchanges with a recorded reply that the given StateFun serves, all compared. */
  readonly compared: number;
  /** Exchanges left out: no reply recorded, or a function type the StateFun does not bind. */
  readonly skipped: number;
  readonly differences: readonly ReplayDifference[];
  /** The whole report as text. */
  text(): string;
}

function repliedLines(body: Buffer): string[] {
  try {
    return describeReply(decodeFromFunction(body));
  } catch (e) {
    return [`(a reply that is not a FromFunction: ${(e as Error).message})`];
  }
}

/**
 * Re-runs every recorded request that `sf` serves and compares the replies, decoded.
 * @param trace - a trace (`runtime.trace`), or the path of a trace file
 */
export async function replay(trace: readonly Exchange[] | string, sf: StateFun): Promise<ReplayReport> {
  const exchanges = typeof trace === "string" ? parseTrace(readFileSync(trace, "utf8")) : trace;
  const differences: ReplayDifference[] = [];
  let compared = 0;
  let skipped = 0;
  for (const exchange of exchanges) {
    if (exchange.reply === null || endpointOf(sf).functionOf(exchange.to.typename) === undefined) {
      skipped++;
      continue;
    }
    compared++;
    const before = repliedLines(exchange.reply);
    let after: string[];
    try {
      after = repliedLines(Buffer.from(await sf.handleRequest(exchange.request)));
    } catch (e) {
      after = [`(the function failed: ${(e as Error).message})`];
    }
    if (before.join("\n") !== after.join("\n")) differences.push({ exchange, diff: diffLines(before, after) });
  }
  return {
    compared,
    skipped,
    differences,
    text() {
      const head = `replayed ${compared} exchange(s), skipped ${skipped}: ${differences.length === 0 ? "no reply differs" : `${differences.length} reply(ies) differ`}`;
      const blocks = differences.map(
        (d) => `exchange ${d.exchange.seq} to ${formatAddress(d.exchange.to)} (recorded at ${d.exchange.at} ms):\n${d.diff.map((l) => `  ${l}`).join("\n")}`,
      );
      return [head, ...blocks].join("\n\n");
    },
  };
}
