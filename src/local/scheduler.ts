/**
 * The runtime's clock and timers. In virtual mode time stands still until the runtime moves it
 * (`advanceTo`), so tests never sleep; in real mode it is the wall clock and timers are armed
 * with setTimeout. Either way timers fire in due order, ties in the order they were set.
 */

/** A scheduled callback. */
export interface Timer {
  readonly due: number;
  /** Set for the runtime's own retries: they are part of finishing work already under way. */
  readonly retry: boolean;
}

interface Entry extends Timer {
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** A binary min-heap by (due, seq). */
class TimerHeap {
  readonly #items: Entry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Entry | undefined {
    return this.#items[0];
  }

  push(entry: Entry): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l], items[m])) m = l;
        if (r < items.length && before(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }

  values(): Entry[] {
    return [...this.#items];
  }

  clear(): void {
    this.#items.length = 0;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

export class Scheduler {
  readonly #heap = new TimerHeap();
  readonly #virtual: boolean;
  #now: number;
  #seq = 0;
  #armed: NodeJS.Timeout | null = null;
  #armedFor = Infinity;
  /** Called after timers fired in real mode, so the runtime can carry on. */
  onFired: () => void = () => undefined;

  constructor(mode: "virtual" | "real", startTime: number) {
    this.#virtual = mode === "virtual";
    this.#now = this.#virtual ? startTime : Date.now();
  }

  get virtual(): boolean {
    return this.#virtual;
  }

  /** Milliseconds: virtual time, or `Date.now()`. */
  now(): number {
    return this.#virtual ? this.#now : Date.now();
  }

  /** Runs `fire` once `delayMs` have passed (at once for 0, on the next firing pass). */
  schedule(delayMs: number, fire: () => void, retry = false): Timer {
    const entry: Entry = { due: this.now() + delayMs, seq: this.#seq++, fire, cancelled: false, retry };
    this.#heap.push(entry);
    this.#arm();
    return entry;
  }

  cancel(timer: Timer): void {
    (timer as Entry).cancelled = true;
  }

  /** The earliest live timer, optionally only among retries. */
  next(onlyRetries = false): Timer | undefined {
    this.#dropCancelled();
    if (!onlyRetries) return this.#heap.peek();
    let best: Entry | undefined;
    for (const e of this.#heap.values()) if (!e.cancelled && e.retry && (best === undefined || before(e, best))) best = e;
    return best;
  }

  /** Virtual mode: moves time to `time` (never backwards), firing every timer due by then in order. */
  advanceTo(time: number): void {
    if (!this.#virtual) throw new Error("advanceTo() is for the virtual clock");
    for (;;) {
      this.#dropCancelled();
      const top = this.#heap.peek();
      if (top === undefined || top.due > time) break;
      this.#heap.pop();
      if (top.due > this.#now) this.#now = top.due;
      top.fire();
    }
    if (time > this.#now) this.#now = time;
  }

  /** Fires what is due now (both modes). */
  fireDue(): void {
    const now = this.now();
    for (;;) {
      this.#dropCancelled();
      const top = this.#heap.peek();
      if (top === undefined || top.due > now) break;
      this.#heap.pop();
      top.fire();
    }
  }

  /** Drops every timer (a restore replaces them; a closed runtime has none). */
  clear(): void {
    this.#heap.clear();
    if (this.#armed) clearTimeout(this.#armed);
    this.#armed = null;
    this.#armedFor = Infinity;
  }

  #dropCancelled(): void {
    while (this.#heap.peek()?.cancelled) this.#heap.pop();
  }

  /** Real mode: one setTimeout for the earliest timer. */
  #arm(): void {
    if (this.#virtual) return;
    this.#dropCancelled();
    const top = this.#heap.peek();
    if (top === undefined || top.due >= this.#armedFor) return;
    if (this.#armed) clearTimeout(this.#armed);
    this.#armedFor = top.due;
    this.#armed = setTimeout(() => {
      this.#armed = null;
      this.#armedFor = Infinity;
      this.fireDue();
      this.#arm();
      this.onFired();
    }, Math.max(0, top.due - Date.now()));
  }
}
