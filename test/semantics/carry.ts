/**
 * Plays the cluster for one address across several requests: it cuts a list of invocations
 * into batches, answers the missing-state handshake by registering what the function asks for
 * and re-sending, and carries state from each reply's mutations into the next request. What a
 * function computes must not depend on where the cuts fall (PROTOCOL.md), so tests compare the
 * final state bytes and every effect across different cuts.
 */
import type { StateFun } from "../../src";
import { decodeFromFunction, type WireAddress, type WireInvocation, type WireTypedValue } from "../../src/wire/codec";
import { request } from "../requests";

/** What a run of batches left behind, in comparable form (hex bytes). */
export interface Outcome {
  /** Final state: name → `typename:hex`. */
  state: Record<string, string>;
  /** Every effect, in the order the replies gave them. */
  effects: string[];
  /** Requests sent (including handshake re-sends). */
  requests: number;
}

function show(value: WireTypedValue | null | undefined): string {
  if (!value) return "(none)";
  return `${value.typename}:${value.hasValue ? Buffer.from(value.value ?? []).toString("hex") : "(no value)"}`;
}

function where(a: WireAddress | null | undefined): string {
  return a ? `${a.namespace}/${a.type}(${a.id})` : "(none)";
}

/**
 * Runs `invocations` against `sf` at `target`, as batches of the given sizes (their sum must be
 * the number of invocations), starting from `initial` state.
 */
export async function runBatches(
  sf: StateFun,
  target: WireAddress,
  invocations: WireInvocation[],
  sizes: number[],
  initial: Record<string, WireTypedValue> = {},
): Promise<Outcome> {
  if (sizes.reduce((a, b) => a + b, 0) !== invocations.length) throw new Error("test bug: batch sizes do not add up");
  const registered = new Set<string>(Object.keys(initial));
  const stored = new Map<string, WireTypedValue>(Object.entries(initial));
  const effects: string[] = [];
  let requests = 0;
  let next = 0;
  for (const size of sizes) {
    const batch = invocations.slice(next, next + size);
    next += size;
    for (;;) {
      const state: Record<string, WireTypedValue | null> = {};
      for (const name of registered) state[name] = stored.get(name) ?? null;
      requests++;
      const reply = decodeFromFunction(await sf.handleRequest(request({ target, state, invocations: batch as never })));
      const missing = reply.incompleteInvocationContext?.missingValues;
      if (missing) {
        for (const spec of missing) registered.add(spec.stateName);
        continue;
      }
      const result = reply.invocationResult;
      if (!result) throw new Error("reply without a result");
      for (const m of result.outgoingMessages) effects.push(`message ${where(m.target)} ${show(m.argument)}`);
      for (const d of result.delayedInvocations) {
        effects.push(
          d.isCancellationRequest
            ? `cancel ${d.cancellationToken}`
            : `delayed ${d.delayInMs} ${where(d.target)} ${show(d.argument)} token=${d.cancellationToken ?? ""}`,
        );
      }
      for (const e of result.outgoingEgresses) effects.push(`egress ${e.egressNamespace}/${e.egressType} ${show(e.argument)}`);
      for (const m of result.stateMutations) {
        if ((m.mutationType ?? 0) === 0) stored.delete(m.stateName);
        else stored.set(m.stateName, m.stateValue as WireTypedValue);
      }
      break;
    }
  }
  const state: Record<string, string> = {};
  for (const [name, value] of [...stored].sort(([a], [b]) => (a < b ? -1 : 1))) state[name] = show(value);
  return { state, effects, requests };
}

/** One batch of all, one batch each. */
export function wholeAndSplit(n: number): { whole: number[]; split: number[] } {
  return { whole: [n], split: Array<number>(n).fill(1) };
}
