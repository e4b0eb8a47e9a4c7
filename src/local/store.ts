/**
 * The runtime's state: which states each function type has registered (fixed once registered,
 * as in the cluster), and each address's values with the times that drive their TTL.
 */
import { JobFailedError } from "../base/errors";
import { ExpireMode, MutationType, type WirePersistedValue, type WirePersistedValueSpec, type WireStateMutation, type WireTypedValue } from "../wire/codec";
import type { StateExpiration, StateInspection } from "./inspection";

/** A state registered for a function type. */
export interface StateRegistration {
  readonly name: string;
  readonly typename: string;
  /** TTL mode (ExpireMode) and length; absent for no TTL. */
  readonly expiration?: { readonly mode: number; readonly afterMs: number };
}

/** A stored value and the times its TTL is measured from. */
export interface StoredValue {
  readonly value: WireTypedValue;
  readonly writtenAt: number;
  accessedAt: number;
}

/** A copy of the values (registrations are not part of a snapshot: a restore starts without them). */
export type StoreSnapshot = ReadonlyMap<string, ReadonlyMap<string, StoredValue>>;

/** When a stored value expires (runtime clock, ms); Infinity without a TTL. */
function expiresAt(stored: StoredValue, registration: StateRegistration | undefined): number {
  const ttl = registration?.expiration;
  if (ttl === undefined) return Infinity;
  return (ttl.mode === ExpireMode.AFTER_WRITE ? stored.writtenAt : stored.accessedAt) + ttl.afterMs;
}

function expired(stored: StoredValue, registration: StateRegistration | undefined, now: number): boolean {
  return expiresAt(stored, registration) <= now;
}

/** What registering a spec the function asked for records. */
export function registrationOf(spec: WirePersistedValueSpec): StateRegistration {
  const ttl = spec.expirationSpec;
  return ttl !== undefined && ttl.mode !== ExpireMode.NONE
    ? { name: spec.stateName, typename: spec.typeTypename, expiration: { mode: ttl.mode, afterMs: Number(ttl.expireAfterMillis ?? 0) } }
    : { name: spec.stateName, typename: spec.typeTypename };
}

/** A registration's TTL as the inspection API names it. */
export function expirationOf(registration: StateRegistration): StateExpiration | undefined {
  const ttl = registration.expiration;
  if (ttl === undefined) return undefined;
  return { mode: ttl.mode === ExpireMode.AFTER_WRITE ? "after-write" : "after-call", afterMs: ttl.afterMs };
}

/** Java's `String.hashCode()`: over UTF-16 code units, in 32-bit arithmetic. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The order the cluster lists a function's states in a request: it keeps them in a
 * `java.util.HashMap` by name (PersistedRemoteFunctionValues), whose iteration goes bucket by
 * bucket (`(hash ^ hash >>> 16) & (capacity - 1)`, capacity 16 doubling past a load of 0.75),
 * in insertion order within a bucket. The protocol leaves the order open, but requests then
 * match the cluster's byte for byte (test/cluster's fidelity check compares them).
 */
function inJavaHashMapOrder(registrations: readonly StateRegistration[]): readonly StateRegistration[] {
  let capacity = 16;
  while (registrations.length > 0.75 * capacity) capacity *= 2;
  const bucket = (name: string): number => {
    const h = javaStringHash(name);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return registrations
    .map((r, i) => ({ r, i, b: bucket(r.name) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.r);
}

export class StateStore {
  readonly #registered = new Map<string, StateRegistration[]>();
  readonly #values = new Map<string, Map<string, StoredValue>>();

  /** The states registered for a function type, in registration order. */
  registered(functionType: string): readonly StateRegistration[] {
    return this.#registered.get(functionType) ?? [];
  }

  /**
   * Registers a spec the function asked for. Registering it again (another address's first
   * request also lacked it) is a no-op; a TTL differing from the registered one is ignored,
   * as the cluster keeps the first until it restarts.
   */
  register(functionType: string, spec: WirePersistedValueSpec): void {
    const list = this.#registered.get(functionType) ?? [];
    const existing = list.find((r) => r.name === spec.stateName);
    if (existing !== undefined) {
      if (existing.typename !== spec.typeTypename) {
        throw new JobFailedError(
          `function type ${functionType} asks to register state "${spec.stateName}" as ${spec.typeTypename}, but it is ` +
            `registered as ${existing.typename}; a state's type cannot change while the cluster runs`,
        );
      }
      return;
    }
    list.push(registrationOf(spec));
    this.#registered.set(functionType, list);
  }

  /** The function types that registered states. */
  functionTypes(): IterableIterator<string> {
    return this.#registered.keys();
  }

  /** Forgets every registration, as a restore from a checkpoint does. */
  clearRegistrations(): void {
    this.#registered.clear();
  }

  /**
   * The states a request to `address` carries: every registered state, with its value unless it
   * has none or it expired. Counts as an access for AFTER_INVOKE TTLs.
   */
  attach(functionType: string, address: string, now: number): WirePersistedValue[] {
    const values = this.#values.get(address);
    return inJavaHashMapOrder(this.registered(functionType)).map((r) => {
      const stored = values?.get(r.name);
      if (stored === undefined) return { stateName: r.name };
      if (expired(stored, r, now)) {
        values?.delete(r.name);
        return { stateName: r.name };
      }
      stored.accessedAt = now;
      return { stateName: r.name, stateValue: stored.value };
    });
  }

  /** Checks one mutation of a reply, changing nothing. @throws JobFailedError where {@link apply} would */
  check(functionType: string, mutation: WireStateMutation): void {
    this.#checked(functionType, mutation);
  }

  /** Applies one mutation of a reply. @throws JobFailedError for an unknown state or a wrong typename */
  apply(functionType: string, address: string, mutation: WireStateMutation, now: number): void {
    const value = this.#checked(functionType, mutation);
    if (value === null) {
      this.#values.get(address)?.delete(mutation.stateName);
      return;
    }
    let values = this.#values.get(address);
    if (values === undefined) this.#values.set(address, (values = new Map()));
    values.set(mutation.stateName, { value, writtenAt: now, accessedAt: now });
  }

  /** The value a mutation the cluster accepts sets; null for a DELETE. */
  #checked(functionType: string, mutation: WireStateMutation): WireTypedValue | null {
    const registration = this.registered(functionType).find((r) => r.name === mutation.stateName);
    if (registration === undefined) {
      throw new JobFailedError(
        `function type ${functionType} changed state "${mutation.stateName}", which it never registered ` +
          `(registered: ${this.registered(functionType).map((r) => r.name).join(", ") || "none"})`,
      );
    }
    if ((mutation.mutationType ?? MutationType.DELETE) === MutationType.DELETE) return null;
    const value = mutation.stateValue;
    if (value === undefined || value === null) {
      throw new JobFailedError(`function type ${functionType} sent a MODIFY of state "${mutation.stateName}" without a value`);
    }
    if (value.typename !== registration.typename) {
      throw new JobFailedError(
        `function type ${functionType} wrote state "${mutation.stateName}" as ${value.typename}, but it is registered as ` +
          `${registration.typename}; a state's type cannot change while the cluster runs`,
      );
    }
    return value;
  }

  /** A state's value now (null when absent or expired), without counting as an access. */
  get(functionType: string, address: string, name: string, now: number): WireTypedValue | null {
    const stored = this.#values.get(address)?.get(name);
    if (stored === undefined) return null;
    const registration = this.registered(functionType).find((r) => r.name === name);
    return expired(stored, registration, now) ? null : stored.value;
  }

  /** Every address holding a value, as map keys. */
  addresses(): IterableIterator<string> {
    return this.#values.keys();
  }

  /**
   * An address's states now, without counting as an access: every registered state of its type
   * (in registration order) with its value, then any other it holds a value of.
   */
  inspect(functionType: string, address: string, now: number): StateInspection[] {
    const values = this.#values.get(address);
    const registered = this.registered(functionType);
    const state = (name: string, typename: string, registration: StateRegistration | undefined): StateInspection => {
      const stored = values?.get(name);
      if (stored === undefined || expired(stored, registration, now)) return { name, typename, value: null };
      const at = expiresAt(stored, registration);
      return { name, typename, value: stored.value, ...(at !== Infinity ? { expiresAt: at } : {}) };
    };
    const out = registered.map((r) => state(r.name, r.typename, r));
    for (const [name, stored] of values ?? []) {
      if (!registered.some((r) => r.name === name)) out.push(state(name, stored.value.typename, undefined));
    }
    return out;
  }

  snapshot(): StoreSnapshot {
    const copy = new Map<string, Map<string, StoredValue>>();
    for (const [address, values] of this.#values) {
      copy.set(address, new Map([...values].map(([name, v]) => [name, { ...v }])));
    }
    return copy;
  }

  /** Replaces the values with a snapshot's and forgets the registrations. */
  restore(snapshot: StoreSnapshot): void {
    this.#values.clear();
    for (const [address, values] of snapshot) {
      this.#values.set(address, new Map([...values].map(([name, v]) => [name, { ...v }])));
    }
    this.clearRegistrations();
  }
}
