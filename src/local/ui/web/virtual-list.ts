/**
 * A list of any length that keeps only the rows in sight (and a few around them) in the
 * document: every row has the same height, so the row at a scroll offset is found by
 * arithmetic, and a list of tens of thousands of items scrolls and refilters as fast as one
 * of fifty.
 */
import { h } from "./dom.js";

/** Rows drawn beyond each edge of the visible part, so that a quick scroll shows no gap. */
const OVERSCAN = 8;

export class VirtualList<T> {
  readonly element: HTMLDivElement;
  readonly #spacer: HTMLDivElement;
  readonly #rowHeight: number;
  readonly #render: (item: T, index: number) => HTMLElement;
  #count = 0;
  #item: (index: number) => T = () => {
    throw new Error("no items");
  };
  #frame: number | undefined;

  /** @param render - one row for an item; it gets the row's position and height */
  constructor(rowHeight: number, render: (item: T, index: number) => HTMLElement) {
    this.#rowHeight = rowHeight;
    this.#render = render;
    this.#spacer = h("div", { class: "spacer" });
    this.element = h("div", { class: "vlist", role: "list" }, this.#spacer);
    this.element.addEventListener("scroll", () => this.#schedule());
    new ResizeObserver(() => this.#schedule()).observe(this.element);
  }

  /** Shows `count` items, item `i` being `item(i)`, and draws the rows in sight now. */
  setItems(count: number, item: (index: number) => T): void {
    this.#count = count;
    this.#item = item;
    this.#spacer.style.height = `${count * this.#rowHeight}px`;
    this.draw();
  }

  /** Keeps the rows in sight where they are after `rows` rows were added above them (a newest-first list grew). */
  shiftBy(rows: number): void {
    if (this.element.scrollTop > 0) this.element.scrollTop += rows * this.#rowHeight;
  }

  /** Scrolls item `index` into sight. */
  reveal(index: number): void {
    const top = index * this.#rowHeight;
    const view = this.element;
    if (top < view.scrollTop || top + this.#rowHeight > view.scrollTop + view.clientHeight) view.scrollTop = Math.max(0, top - view.clientHeight / 3);
  }

  /** Draws the rows in sight. */
  draw(): void {
    const view = this.element;
    const first = Math.max(0, Math.floor(view.scrollTop / this.#rowHeight) - OVERSCAN);
    const last = Math.min(this.#count, Math.ceil((view.scrollTop + view.clientHeight) / this.#rowHeight) + OVERSCAN);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.#render(this.#item(i), i);
      row.style.top = `${i * this.#rowHeight}px`;
      row.style.height = `${this.#rowHeight}px`;
      rows.push(row);
    }
    this.#spacer.replaceChildren(...rows);
  }

  #schedule(): void {
    this.#frame ??= requestAnimationFrame(() => {
      this.#frame = undefined;
      this.draw();
    });
  }
}
