/** Building the page's elements, and the small helpers every view uses. */
import type { AddressJson } from "./protocol.js";

type Child = Node | string | null | undefined | false;

/** Attributes and listeners of an element: `on<event>` functions are listeners, the rest attributes. */
export type Attributes = { readonly [name: string]: string | number | boolean | null | undefined | ((event: Event) => void) };

function attach(el: Element, attributes: Attributes, children: readonly Child[]): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
}

/** An HTML element: `h("a", { href: "#", onclick }, "text")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  attach(el, attributes, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  attach(el, attributes, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  attach(el, {}, children);
}

/** `example/person("Bob")`, as the runtime writes an address. */
export function formatAddress(a: AddressJson): string {
  return `${a.typename}(${JSON.stringify(a.id)})`;
}

/** Whether two addresses are the same. */
export function sameAddress(a: AddressJson | null | undefined, b: AddressJson | null | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && a.typename === b.typename && a.id === b.id;
}

/** A time on the runtime's clock: seconds since its start (virtual), or the time of day (real). */
export function formatTime(at: number, clock: "virtual" | "real"): string {
  if (clock === "virtual") return `${(at / 1000).toFixed(3)} s`;
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** A duration in words: `250 ms`, `30 s`, `1 day`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  const days = +(ms / 86_400_000).toFixed(1);
  return `${days} day${days === 1 ? "" : "s"}`;
}

/**
 * Runs `fn` at most once per `ms`: at once when it has not run for that long, else once at the
 * end of the wait, however many calls came meanwhile.
 */
export function throttle(fn: () => void, ms: number): () => void {
  let last = -Infinity;
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) return;
    const wait = last + ms - performance.now();
    if (wait <= 0) {
      last = performance.now();
      fn();
      return;
    }
    timer = window.setTimeout(() => {
      timer = undefined;
      last = performance.now();
      fn();
    }, wait);
  };
}
