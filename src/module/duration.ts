import { InvalidArgumentError } from "../base/errors";

const MS_PER: Readonly<Record<string, number>> = unitTable();

/** The unit labels Flink accepts, in short, for hints. */
export const DURATION_UNITS_SHORT = "ms, s, m or min, h, d, µs, ns and their long forms such as seconds (but not mins)";

/** Every unit label Flink accepts, for messages. */
export const DURATION_UNITS_TEXT =
  "ms (milli, millis, millisecond[s]), s (sec[s], second[s]), m or min (minute[s]), h (hour[s]), d (day[s]), " +
  "µs (micro[s], microsecond[s]), ns (nano[s], nanosecond[s])";

/** The largest value Java's `long` holds; Flink rejects a number above it. */
const LONG_MAX = 2n ** 63n - 1n;

/**
 * Parses a duration the way the StateFun cluster does (Flink's `TimeUtils.parseDuration`): a
 * whole number optionally followed by a unit label, with optional spaces between (`2m`,
 * `1 min`, `10s`, `500 ms`, `1h`, `15min`). A plain number (or a YAML integer) is milliseconds.
 * Unit labels are case-insensitive; decimals, signs and compound forms (`1h30m`) are not accepted.
 *
 * @returns the duration in milliseconds (fractional for `µs` and `ns`).
 * @throws {@link InvalidArgumentError} naming what is wrong and the accepted units.
 */
export function parseFlinkDuration(text: string | number): number {
  const parsed = readDuration(text);
  if (typeof parsed === "number") return parsed;
  throw new InvalidArgumentError(`${typeof text === "string" ? JSON.stringify(text) : String(text)} is not a duration: ${parsed.fault}; ` +
    `write a whole number and a unit (${DURATION_UNITS_TEXT}), e.g. "30s" or "2 min"; a bare number is milliseconds`);
}

/** Milliseconds, or why `text` is not a duration (a clause such as `unknown unit "x"`). */
export function readDuration(text: unknown): number | { fault: string } {
  if (typeof text === "number") {
    return Number.isSafeInteger(text) && text >= 0 ? text : { fault: "a number of milliseconds must be a whole number ≥ 0" };
  }
  if (typeof text !== "string") return { fault: `it is ${text === null ? "empty" : `a ${typeof text}`}` };
  // Java's String.trim() strips every character up to U+0020, which is what Flink relies on.
  const trimmed = text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
  if (trimmed === "") return { fault: "it is empty" };
  const digits = /^[0-9]*/.exec(trimmed)?.[0] ?? "";
  if (digits === "") return { fault: "it must start with a whole number" };
  const value = BigInt(digits);
  if (value > LONG_MAX) return { fault: `${digits} does not fit in 64 bits` };
  const label = trimmed
    .slice(digits.length)
    .replace(/^[\u0000-\u0020]+/, "")
    .toLowerCase();
  const msPerUnit = label === "" ? 1 : MS_PER[label];
  if (msPerUnit === undefined) return { fault: `unknown unit ${JSON.stringify(label)}` };
  // java.time.Duration keeps whole seconds in a long; beyond that the cluster fails to start.
  if (msPerUnit >= 1000 && value * BigInt(msPerUnit / 1000) > LONG_MAX) return { fault: "it is too long" };
  return Number(value) * msPerUnit;
}

/** Renders milliseconds in the largest unit that keeps it whole (`120000` → `2 min`, `10000` → `10s`), for messages. */
export function formatDuration(ms: number): string {
  for (const [label, size] of [["d", 86_400_000], ["h", 3_600_000], [" min", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${label}`;
  }
  return `${ms}ms`;
}

function unitTable(): Record<string, number> {
  const table: Record<string, number> = {};
  const units: [number, string[], string[]][] = [
    // [milliseconds, labels taken as written, labels that also take a plural "s"]
    [86_400_000, ["d"], ["day"]],
    [3_600_000, ["h"], ["hour"]],
    [60_000, ["m", "min"], ["minute"]],
    [1000, ["s"], ["sec", "second"]],
    [1, ["ms"], ["milli", "millisecond"]],
    [1e-3, ["µs"], ["micro", "microsecond"]],
    [1e-6, ["ns"], ["nano", "nanosecond"]],
  ];
  for (const [ms, singular, plural] of units) {
    for (const label of singular) table[label] = ms;
    for (const label of plural) table[label] = table[`${label}s`] = ms;
  }
  return table;
}
