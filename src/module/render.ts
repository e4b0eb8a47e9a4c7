import type { Path } from "./yaml";

/** A path as the user reads it: `spec.topics[0].targets[1]`. */
export function pathText(path: Path): string {
  return path.map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join("");
}

/** A value as the user wrote it, for "must be X, not Y" messages. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
