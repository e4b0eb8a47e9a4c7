/**
 * Each address's queue, as the cluster keeps it: at most one batch in flight per address;
 * messages that arrive meanwhile wait and go together as the next batch.
 */
import { toWire, type AddressRef, type WireAddressParts } from "../base/address";
import type { WireTypedValue } from "../wire/codec";

/** A message waiting for its address. */
export interface Pending {
  readonly caller: AddressRef | null;
  readonly value: WireTypedValue;
}

/** One address's queue. */
export interface Mailbox {
  readonly ref: AddressRef;
  readonly wire: WireAddressParts;
  /** The address as a map key (see {@link addressKey}). */
  readonly key: string;
  pending: Pending[];
  /** The batch of the request in flight; null when idle. */
  inFlight: Pending[] | null;
  /** The number of the batch in flight (see `RuntimeEvent`); 0 when idle. */
  batch: number;
}

/** An address as a map key. */
export function addressKey(ref: AddressRef): string {
  return `${ref.typename}\u0000${ref.id}`;
}

/** The address a map key of {@link addressKey} stands for. */
export function refOfKey(key: string): AddressRef {
  const split = key.indexOf("\u0000");
  return { typename: key.slice(0, split), id: key.slice(split + 1) };
}

/** Whether two references name the same address. */
export function sameAddress(a: AddressRef, b: AddressRef): boolean {
  return a.typename === b.typename && a.id === b.id;
}

/** What a checkpoint keeps of the queues: every message not yet applied, in-flight ones first. */
export type MailboxSnapshot = readonly { readonly ref: AddressRef; readonly pending: readonly Pending[] }[];

export class Mailboxes {
  readonly #boxes = new Map<string, Mailbox>();
  /** Idle mailboxes with something to send. */
  readonly #ready = new Set<Mailbox>();

  /** The mailbox of an address (created empty when new). */
  of(ref: AddressRef): Mailbox {
    const key = addressKey(ref);
    let box = this.#boxes.get(key);
    if (box === undefined) this.#boxes.set(key, (box = { ref, wire: toWire(ref), key, pending: [], inFlight: null, batch: 0 }));
    return box;
  }

  /** Queues a message for an address. */
  put(to: AddressRef, pending: Pending): void {
    const box = this.of(to);
    box.pending.push(pending);
    if (box.inFlight === null) this.#ready.add(box);
  }

  /** Takes the next idle mailbox with something to send, if any. */
  nextReady(): Mailbox | undefined {
    for (const box of this.#ready) {
      this.#ready.delete(box);
      if (box.inFlight === null && box.pending.length > 0) return box;
    }
    return undefined;
  }

  /** The mailbox of an address, if it has one (every address ever sent a message has). */
  peek(ref: AddressRef): Mailbox | undefined {
    return this.#boxes.get(addressKey(ref));
  }

  /** Every mailbox, in the order their addresses were first sent a message. */
  all(): IterableIterator<Mailbox> {
    return this.#boxes.values();
  }

  /** A request finished: the mailbox is idle, and ready again if messages arrived meanwhile. */
  settled(box: Mailbox): void {
    box.inFlight = null;
    box.batch = 0;
    if (box.pending.length > 0) this.#ready.add(box);
  }

  snapshot(): MailboxSnapshot {
    return [...this.#boxes.values()].map((box) => ({ ref: box.ref, pending: [...(box.inFlight ?? []), ...box.pending] }));
  }

  /** Replaces every queue with a snapshot's (nothing in flight). */
  restore(snapshot: MailboxSnapshot): void {
    this.#boxes.clear();
    this.#ready.clear();
    for (const { ref, pending } of snapshot) this.of(ref).pending.push(...pending);
    for (const box of this.#boxes.values()) if (box.pending.length > 0) this.#ready.add(box);
  }
}
