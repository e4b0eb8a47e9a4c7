/** The page's copy of the runtime's events: the newest `capacity`, oldest first, as the server keeps them. */
import type { EventView } from "./protocol.js";

export class EventLog {
  readonly #events: EventView[] = [];
  readonly #capacity: number;
  readonly #listeners = new Set<(added: readonly EventView[]) => void>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The events kept, oldest first. */
  get events(): readonly EventView[] {
    return this.#events;
  }

  /** The number of the newest event; 0 before the first. */
  get last(): number {
    return this.#events.at(-1)?.seq ?? 0;
  }

  /** The number of the oldest event kept. */
  get first(): number {
    return this.#events[0]?.seq ?? 1;
  }

  /** Keeps new events (the oldest dropped past the capacity) and tells the listeners. */
  add(events: readonly EventView[]): void {
    const added = events.filter((e) => e.seq > this.last);
    if (added.length === 0) return;
    this.#events.push(...added);
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
    for (const listener of this.#listeners) listener(added);
  }

  /** Calls `listener` with the events each `add` kept. */
  onAdd(listener: (added: readonly EventView[]) => void): void {
    this.#listeners.add(listener);
  }
}
