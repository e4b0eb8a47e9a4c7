/**
 * What every benchmark shares: its knobs from the environment, the median, and a forced
 * young-generation GC between slices.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";

/** A smoke run: `BENCH_QUICK=1` or `--quick`. */
export const QUICK = process.argv.includes("--quick") || /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? "");

/** A positive whole number from the environment variable `name`, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A forced young-generation GC between slices (when the runtime lets us have one), so one
 * variant's short-lived garbage is not collected on the next one's clock. Deliberately not a
 * full GC: `gc()` (full, memory-reducing) shrinks the new space, and allocation-heavy code then
 * runs ~40% slower for the following hundreds of milliseconds while it grows back (measured on
 * the official SDK: ~38k → ~23k req/s on shape (a)), which would distort every slice.
 */
export const forceGc: (() => void) | null = (() => {
  type Gc = (opts?: { type: "minor" | "major" }) => void;
  let g = (globalThis as { gc?: Gc }).gc;
  if (typeof g !== "function") {
    try {
      v8.setFlagsFromString("--expose-gc");
      const fn = vm.runInNewContext("gc") as unknown;
      g = typeof fn === "function" ? (fn as Gc) : undefined;
    } catch {
      g = undefined;
    }
  }
  const gc = g;
  return gc ? () => gc({ type: "minor" }) : null;
})();
