/**
 * The runtime's state: which states each function type has registered (fixed once registered,
 * as in the cluster), and each address's values with the times that drive their TTL.
 */
import { JobFailedError } from "../base/errors";
import { ExpireMode, MutationType, type WirePersistedValue, type WirePersistedValueSpec, type WireStateMutation, type WireTypedValue } from "../wire/codec";

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

function expired(stored: StoredValue, registration: StateRegistration | undefined, now: number): boolean {
  const ttl = registration?.expiration;
  if (ttl === undefined) return false;
  const since = ttl.mode === ExpireMode.AFTER_WRITE ? stored.writtenAt : stored.accessedAt;
  return since + ttl.afterMs <= now;
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
    const ttl = spec.expirationSpec;
    const registration: StateRegistration =
      ttl !== undefined && ttl.mode !== ExpireMode.NONE
        ? { name: spec.stateName, typename: spec.typeTypename, expiration: { mode: ttl.mode, afterMs: Number(ttl.expireAfterMillis ?? 0) } }
        : { name: spec.stateName, typename: spec.typeTypename };
    list.push(registration);
    this.#registered.set(functionType, list);
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
    return this.registered(functionType).map((r) => {
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

  /** Applies one mutation of a reply. @throws JobFailedError for an unknown state or a wrong typename */
  apply(functionType: string, address: string, mutation: WireStateMutation, now: number): void {
    const registration = this.registered(functionType).find((r) => r.name === mutation.stateName);
    if (registration === undefined) {
      throw new JobFailedError(
        `function type ${functionType} changed state "${mutation.stateName}", which it never registered ` +
          `(registered: ${this.registered(functionType).map((r) => r.name).join(", ") || "none"})`,
      );
    }
    if ((mutation.mutationType ?? MutationType.DELETE) === MutationType.DELETE) {
      this.#values.get(address)?.delete(mutation.stateName);
      return;
    }
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
    let values = this.#values.get(address);
    if (values === undefined) this.#values.set(address, (values = new Map()));
    values.set(mutation.stateName, { value, writtenAt: now, accessedAt: now });
  }

  /** A state's value now (null when absent or expired), without counting as an access. */
  get(functionType: string, address: string, name: string, now: number): WireTypedValue | null {
    const stored = this.#values.get(address)?.get(name);
    if (stored === undefined) return null;
    const registration = this.registered(functionType).find((r) => r.name === name);
    return expired(stored, registration, now) ? null : stored.value;
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
