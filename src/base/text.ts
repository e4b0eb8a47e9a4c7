/**
 * Quoting for error and log lines: ids, typenames and values come from requests and may be of
 * any size, so what a line quotes is cut to a readable length.
 */

/** How much of a string an error or log line quotes: enough to recognise it, never megabytes. */
const QUOTE_CHARS = 120;

/**
 * `text` cut to a readable length for an error or log line: the first characters and how long
 * it really is. Ids, typenames and values come from requests, so they can be of any size.
 */
export function clip(text: string, max = QUOTE_CHARS): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in two.
  const end = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…(${text.length} characters)`;
}

/** `text` as a JSON string literal, cut to a readable length (see {@link clip}). */
export function quote(text: string): string {
  if (text.length <= QUOTE_CHARS) return JSON.stringify(text);
  const cut = clip(text);
  const mark = cut.lastIndexOf("…");
  return `${JSON.stringify(cut.slice(0, mark))}${cut.slice(mark)}`;
}

/** Renders any value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** How many names an error line lists before it says how many more there are. */
const LIST_ITEMS = 20;

/**
 * `a, b, c` for an error line: at most {@link LIST_ITEMS} names, each cut to a readable length,
 * then `… and 37 more`; `none` when empty. Lists of bound functions or declared states can be long.
 */
export function listOf(items: readonly string[], none = "none"): string {
  if (items.length === 0) return none;
  const shown = items.slice(0, LIST_ITEMS).map((item) => clip(item)).join(", ");
  return items.length > LIST_ITEMS ? `${shown}, … and ${items.length - LIST_ITEMS} more` : shown;
}
