/**
 * What `LocalRuntime`'s read-only inspection API returns: an address as the runtime holds it
 * now (states, queued and in-flight messages, pending delayed messages), the function types it
 * knows with their states and the message types they take, and its egresses. The inspector UI
 * (ui/) is built on these alone; tests can read them too.
 */
import type { AddressRef } from "../base/address";
import type { Type } from "../serde/type";
import type { WireTypedValue } from "../wire/codec";

export type { EgressInspection } from "./egress";

/** A state's time to live, as registered. */
export interface StateExpiration {
  /** `after-write`: since the value was written; `after-call`: since the address was last invoked or written. */
  readonly mode: "after-write" | "after-call";
  readonly afterMs: number;
}

/** One state of an address now. */
export interface StateInspection {
  readonly name: string;
  /** The registered typename (the stored value's, for a state not registered since a restore). */
  readonly typename: string;
  /** The value as stored; null when it has none or it expired. */
  readonly value: WireTypedValue | null;
  /** When the value expires (runtime clock, ms), for a state with a TTL that has a value. */
  readonly expiresAt?: number;
}

/** A message waiting for its address, or in the batch of its request in flight. */
export interface QueuedMessage {
  /** The sender; null for an ingress message. */
  readonly from: AddressRef | null;
  readonly value: WireTypedValue;
}

/** A delayed message waiting for its time. */
export interface PendingDelayedMessage {
  readonly from: AddressRef;
  readonly to: AddressRef;
  /** When it is due (runtime clock, ms). */
  readonly due: number;
  /** Its cancellation token, when it was sent with one (scoped to the sender's id). */
  readonly token?: string;
  readonly value: WireTypedValue;
}

/** An address as the runtime holds it now (see `LocalRuntime.inspectAddress`). */
export interface AddressInspection {
  readonly address: AddressRef;
  /** Its function type's registered states, and any other state it holds a value of. */
  readonly states: readonly StateInspection[];
  /** Messages waiting for the request in flight to finish, oldest first. */
  readonly queued: readonly QueuedMessage[];
  /** The batch of the request in flight, in order; empty when none is. */
  readonly inFlight: readonly QueuedMessage[];
  /** The number of the batch in flight (the `batch` of its events); absent when none is. */
  readonly inFlightBatch?: number;
  /** Delayed messages pending to this address or sent by it, in the order they were sent. */
  readonly delayed: readonly PendingDelayedMessage[];
}

/** A state of a function type: declared by its in-process function, registered with the runtime, or both. */
export interface FunctionStateInspection {
  readonly name: string;
  readonly typename: string;
  readonly expiration?: StateExpiration;
  /** The declared type (in-process functions), which decodes its values. */
  readonly type?: Type<unknown>;
  /** Whether the runtime has registered it (the function asked for it, as it asks the cluster). */
  readonly registered: boolean;
}

/** A function type the runtime knows (see `LocalRuntime.functions`). */
export interface FunctionInspection {
  readonly typename: string;
  /** Where its requests go: `in-process`, or the URL they are posted to; null when nothing serves it (any more). */
  readonly target: string | null;
  readonly states: readonly FunctionStateInspection[];
  /** The types the handlers of its in-process function take (see `bind`'s `handlers`); empty otherwise. */
  readonly messageTypes: readonly Type<unknown>[];
  /** Whether it takes messages of other types than those: always, for a function without handlers or a remote one. */
  readonly takesAnyMessage: boolean;
}

/** Where `LocalRuntime.inspect` serves the inspector UI. */
export interface InspectOptions {
  /** Port; default 0, a free one. */
  port?: number;
  /** Interface; default 127.0.0.1 (the UI can send messages and change state: keep it local). */
  host?: string;
  /** How many events the UI keeps, oldest dropped first; default 20,000. */
  events?: number;
  /** What the page's header calls the runtime; default `LocalRuntime`. */
  title?: string;
}
