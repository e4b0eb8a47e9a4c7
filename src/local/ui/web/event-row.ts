/** One event as a row: when, what kind, its line. The timeline and an address's history both list events so. */
import { formatTime, h } from "./dom.js";
import type { EventView } from "./protocol.js";

export function eventRow(e: EventView, clock: "virtual" | "real", onClick: () => void, selected = false): HTMLElement {
  return h(
    "div",
    { class: `row${selected ? " selected" : ""}`, role: "listitem", "data-seq": e.seq, "data-kind": e.kind, onclick: onClick, title: e.text },
    h("span", { class: "time" }, formatTime(e.at, clock)),
    h("span", { class: "kind" }, h("span", { class: `kind-tag k-${e.kind}` }, e.kind)),
    h("span", { class: "line" }, e.text),
  );
}

/** Whether an event is about an address (where it happened, its sender or its target). */
export function involves(e: EventView, typename: string, id: string): boolean {
  for (const a of [e.address, e.from, e.to]) if (a && a.typename === typename && a.id === id) return true;
  return false;
}
