/** Values, records and states as the page shows them: JSON pretty-printed, values as values, bytes as hex. */
import { formatTime, h } from "./dom.js";
import type { RecordView, StateView, ValueView } from "./protocol.js";

/**
 * A value: its JSON laid out (an object or list), a single value as it is, text as text, bytes
 * as hex; with why it did not decode as declared, and a note when it was cut for its size.
 */
export function valueElement(value: ValueView | null | undefined, none = "(none)"): HTMLElement {
  if (value === null || value === undefined) return h("span", { class: "muted" }, none);
  const parts: HTMLElement[] = [];
  if (value.json !== undefined && value.json !== null && typeof value.json === "object") {
    parts.push(h("pre", { class: "json", "data-kind": value.kind }, JSON.stringify(value.json, null, 2)));
  } else if (value.json !== undefined && value.kind !== "builtin") {
    parts.push(h("code", { class: "value", "data-kind": value.kind }, typeof value.json === "string" && value.kind !== "text" ? JSON.stringify(value.json) : String(value.json)));
  } else {
    parts.push(h("code", { class: "value", "data-kind": value.kind, title: value.base64 ?? "" }, value.text));
  }
  if (value.truncated) parts.push(h("div", { class: "muted" }, `(${value.size} bytes: shown whole in the event's details)`));
  if (value.error !== undefined) parts.push(h("div", { class: "error" }, value.error));
  return h("div", { class: "value-view" }, ...parts);
}

/** A value with its typename above it. */
export function typedValueElement(value: ValueView | null | undefined, none?: string): HTMLElement {
  return h("div", {}, value ? h("div", { class: "typename" }, value.typename || `${value.kind}, ${value.size} bytes`) : null, valueElement(value, none));
}

/** An egress record: where it went, its key, its payload. */
export function recordElement(record: RecordView): HTMLElement {
  const where = [record.kind, record.topic !== undefined ? `topic ${record.topic}` : null, record.key !== undefined ? `key ${JSON.stringify(record.key)}` : null]
    .filter((p) => p !== null)
    .join(" · ");
  return h("div", {}, h("div", { class: "typename" }, where), valueElement(record.value));
}

/** States as a table: name, type, value, expiry. */
export function statesTable(states: readonly StateView[], clock: "virtual" | "real", now: number): HTMLElement {
  if (states.length === 0) return h("div", { class: "empty" }, "No states.");
  return h(
    "table",
    { class: "states" },
    h("thead", {}, h("tr", {}, h("th", {}, "state"), h("th", {}, "value"), h("th", {}, "expires"))),
    h(
      "tbody",
      {},
      ...states.map((st) =>
        h(
          "tr",
          { "data-state": st.name },
          h("td", {}, h("div", { class: "mono" }, st.name), h("div", { class: "typename" }, st.typename)),
          h("td", {}, valueElement(st.value)),
          h(
            "td",
            { class: "muted" },
            st.expiresAt === undefined ? "" : st.expiresAt <= now ? "expired" : formatTime(st.expiresAt, clock),
          ),
        ),
      ),
    ),
  );
}
