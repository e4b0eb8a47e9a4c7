/**
 * Delayed messages as the cluster keeps them: each due at a time on the runtime clock, and
 * those with a cancellation token indexed by the token in the sender's scope.
 */
import type { AddressRef } from "../base/address";
import type { WireTypedValue } from "../wire/codec";
import type { Scheduler, Timer } from "./scheduler";

/** A delayed message waiting for its time. */
export interface DelayedMessage {
  readonly from: AddressRef;
  readonly to: AddressRef;
  readonly value: WireTypedValue;
  readonly due: number;
  readonly token?: string;
}

/**
 * Where a cancellation token lives: the sender's id alone. The cluster keys its delayed-message
 * index by the id (`KeyBy.apply(address)`; the keyed map state `delayed-message-index`), so
 * `a/x("7")` can cancel a token `b/y("7")` set, and the two cannot both have it pending.
 */
function tokenKey(from: AddressRef, token: string): string {
  return `${from.id}\u0000${token}`;
}

export class DelayedMessages {
  readonly #scheduler: Scheduler;
  readonly #deliver: (message: DelayedMessage) => void;
  readonly #timers = new Map<DelayedMessage, Timer>();
  readonly #tokens = new Map<string, DelayedMessage>();

  /** @param deliver - called with each message when it is due */
  constructor(scheduler: Scheduler, deliver: (message: DelayedMessage) => void) {
    this.#scheduler = scheduler;
    this.#deliver = deliver;
  }

  /** Whether a message with this token from this sender's scope is pending. */
  pendingWith(from: AddressRef, token: string): boolean {
    return this.#tokens.has(tokenKey(from, token));
  }

  /** Schedules a message (its token, if any, must not be pending: see {@link pendingWith}). */
  schedule(message: DelayedMessage): void {
    const timer = this.#scheduler.schedule(Math.max(0, message.due - this.#scheduler.now()), () => {
      this.#unschedule(message);
      this.#deliver(message);
    });
    this.#timers.set(message, timer);
    if (message.token !== undefined) this.#tokens.set(tokenKey(message.from, message.token), message);
  }

  /** Cancels the pending message with this token in the sender's scope; whether there was one. */
  cancel(from: AddressRef, token: string): boolean {
    const message = this.#tokens.get(tokenKey(from, token));
    if (message === undefined) return false;
    this.#unschedule(message);
    return true;
  }

  /** The messages still pending, in the order they were sent. */
  get pending(): readonly DelayedMessage[] {
    return [...this.#timers.keys()];
  }

  /** Replaces the pending messages with a checkpoint's (the scheduler was cleared). */
  restore(messages: readonly DelayedMessage[]): void {
    this.#timers.clear();
    this.#tokens.clear();
    for (const message of messages) this.schedule(message);
  }

  #unschedule(message: DelayedMessage): void {
    const timer = this.#timers.get(message);
    if (timer !== undefined) this.#scheduler.cancel(timer);
    this.#timers.delete(message);
    if (message.token !== undefined) this.#tokens.delete(tokenKey(message.from, message.token));
  }
}
