/**
 * The inspector on a recorded trace (`statefun dev --trace`, or a LocalRuntime's `traceFile`),
 * for a post-mortem, read-only. A trace holds every request the runtime sent and the reply it
 * got, so the runtime's events are rebuilt from them: a request's first attempt delivers its
 * batch (with the states it carried: the batch's states before, exactly), another attempt is a
 * retry of the last one that failed, a batch whose last attempt failed was given up on, and a
 * reply's messages, delayed messages, cancellations, egress records and state changes are
 * applied in the runtime's order. What a trace does not hold is not shown: ingress messages
 * not yet delivered, queues, dead letters (a batch given up on is a `failure` event, since a
 * trace does not say whether it became a dead letter or failed the job), and checkpoints.
 */
import { refFromWire, type AddressRef } from "../../base/address";
import { endpointOf, type StateFun } from "../../api/statefun";
import { decodeFromFunction, decodeToFunction, MutationType, type WireTypedValue } from "../../wire/codec";
import type { RuntimeEvent } from "../events";
import type { AddressInspection, FunctionInspection, FunctionStateInspection, PendingDelayedMessage, StateExpiration, StateInspection } from "../inspection";
import { addressKey, refOfKey, sameAddress } from "../mailboxes";
import { expirationOf, registrationOf } from "../store";
import type { Exchange } from "../trace";
import { decodeEgressRecord, type DecodedEgressRecord } from "../values";
import type { StatesBefore } from "./recorder";
import type { InspectorSource } from "./source";

/** A stored value and when it was written and last carried by a request, for its TTL. */
interface Held {
  readonly value: WireTypedValue;
  readonly writtenAt: number;
  calledAt: number;
}

/** A registered state, from a reply's missing-state handshake. */
interface Registered {
  readonly name: string;
  readonly typename: string;
  readonly expiration?: StateExpiration;
}

/** Where an address's last batch stands, to tell a retry from a new batch. */
interface LastAttempt {
  readonly batch: number;
  readonly at: number;
  readonly attempts: number;
  /** What went wrong with it; undefined when it was answered. */
  readonly failed?: string;
  /** It was a duplicate delivery, whose reply was dropped: the same attempt is sent again. */
  readonly duplicate?: boolean;
}

/** Everything a trace says, rebuilt. */
class TraceModel {
  readonly events: { event: RuntimeEvent; before?: StatesBefore }[] = [];
  readonly addresses = new Map<string, AddressRef>();
  readonly states = new Map<string, Map<string, Held>>();
  readonly registered = new Map<string, Registered[]>();
  readonly delayed: PendingDelayedMessage[] = [];
  readonly egress = new Map<string, DecodedEgressRecord[]>();
  readonly #last = new Map<string, LastAttempt>();
  #batches = 0;
  end = 0;

  constructor(exchanges: readonly Exchange[]) {
    for (const exchange of [...exchanges].sort((a, b) => a.seq - b.seq)) this.#exchange(exchange);
    for (const [key, last] of this.#last) this.#gaveUp(refOfKey(key), last);
  }

  #emit(event: RuntimeEvent, before?: StatesBefore): void {
    this.events.push(before === undefined ? { event } : { event, before });
    this.end = Math.max(this.end, event.at);
  }

  #seen(ref: AddressRef): void {
    const key = addressKey(ref);
    if (!this.addresses.has(key)) this.addresses.set(key, ref);
  }

  /** A batch given up on: its last attempt failed and no other followed. */
  #gaveUp(to: AddressRef, last: LastAttempt): void {
    if (last.failed === undefined) return;
    this.#emit({ kind: "failure", at: last.at, reason: `${to.typename}("${to.id}") batch ${last.batch} failed ${last.attempts} time(s), the last: ${last.failed}` });
  }

  #exchange(x: Exchange): void {
    const request = decodeToFunction(x.request).invocation;
    if (!request?.target) return;
    const to = refFromWire(request.target);
    const key = addressKey(to);
    this.#seen(to);
    const last = this.#last.get(key);
    let batch: number;
    if (last === undefined || (x.attempt <= 1 && last.duplicate !== true)) {
      if (last !== undefined) this.#gaveUp(to, last);
      batch = ++this.#batches;
      const before: StatesBefore = new Map((request.state ?? []).map((s) => [s.stateName, s.stateValue?.hasValue ? s.stateValue : null]));
      (request.invocations ?? []).forEach((inv, i) => {
        if (!inv.argument) return;
        const from = inv.caller ? refFromWire(inv.caller) : null;
        this.#delivered(to, from, inv.argument, x.at);
        this.#emit({ kind: "deliver", at: x.at, batch, to, from, value: inv.argument }, i === 0 ? before : undefined);
      });
    } else {
      batch = last.batch;
      if (last.failed !== undefined) {
        this.#emit({ kind: "retry", at: x.at, batch, to, attempt: x.attempt, reason: last.failed, backoffMs: x.at - last.at });
      }
    }
    for (const held of this.states.get(key)?.values() ?? []) held.calledAt = x.at;
    const attempts = (last?.batch === batch ? last.attempts : 0) + 1;
    if (x.outcome === "dropped (duplicate delivery)") {
      this.#emit({ kind: "fault", at: x.at, batch, to, fault: "duplicate" });
      this.#last.set(key, { batch, at: x.at, attempts: attempts - 1, duplicate: true });
      return;
    }
    if (x.reply === null || x.outcome !== "ok") {
      if (x.outcome === "the reply was lost (injected fault)") this.#emit({ kind: "fault", at: x.at, batch, to, fault: "lost-reply" });
      this.#last.set(key, { batch, at: x.at, attempts, failed: x.outcome });
      return;
    }
    this.#last.set(key, { batch, at: x.at, attempts });
    this.#reply(x, to, batch);
  }

  /** A delayed message that was due is delivered: it is no longer pending. */
  #delivered(to: AddressRef, from: AddressRef | null, value: WireTypedValue, at: number): void {
    if (from === null) return;
    const i = this.delayed.findIndex((d) => sameAddress(d.to, to) && sameAddress(d.from, from) && d.due <= at && sameBytes(d.value, value));
    if (i >= 0) this.delayed.splice(i, 1);
  }

  #reply(x: Exchange, from: AddressRef, batch: number): void {
    const reply = decodeFromFunction(x.reply as Buffer);
    const at = x.at;
    const missing = reply.incompleteInvocationContext?.missingValues;
    if (missing) {
      const list = this.registered.get(from.typename) ?? [];
      for (const spec of missing) {
        if (list.some((r) => r.name === spec.stateName)) continue;
        const expiration = expirationOf(registrationOf(spec));
        list.push({ name: spec.stateName, typename: spec.typeTypename, ...(expiration !== undefined ? { expiration } : {}) });
      }
      this.registered.set(from.typename, list);
      this.#emit({ kind: "register", at, batch, functionType: from.typename, states: missing.map((s) => s.stateName) });
      return;
    }
    const result = reply.invocationResult;
    if (!result) return;
    for (const m of result.outgoingMessages ?? []) {
      const to = refFromWire(m.target);
      this.#seen(to);
      this.#emit({ kind: "message", at, batch, from, to, value: m.argument });
    }
    for (const d of result.delayedInvocations ?? []) {
      if (d.isCancellationRequest) {
        const token = d.cancellationToken ?? "";
        const i = this.delayed.findIndex((p) => p.from.id === from.id && p.token === token);
        if (i >= 0) this.delayed.splice(i, 1);
        this.#emit({ kind: "cancel", at, batch, from, token, cancelled: i >= 0 });
      } else if (d.target && d.argument) {
        const to = refFromWire(d.target);
        this.#seen(to);
        const token = d.cancellationToken || undefined;
        const due = at + Number(d.delayInMs ?? 0);
        this.delayed.push({ from, to, due, ...(token !== undefined ? { token } : {}), value: d.argument });
        this.#emit({ kind: "delayed", at, batch, from, to, dueAt: due, ...(token !== undefined ? { token } : {}), value: d.argument });
      }
    }
    for (const e of result.outgoingEgresses ?? []) {
      const id = `${e.egressNamespace}/${e.egressType}`;
      let record: DecodedEgressRecord;
      try {
        record = decodeEgressRecord(e.argument);
      } catch {
        record = { kind: "typed", typename: e.argument.typename, value: Buffer.from(e.argument.value ?? []) };
      }
      const records = this.egress.get(id) ?? [];
      records.push(record);
      this.egress.set(id, records);
      this.#emit({ kind: "egress", at, batch, from, egress: id, record });
    }
    const key = addressKey(from);
    for (const m of result.stateMutations ?? []) {
      let values = this.states.get(key);
      if (values === undefined) this.states.set(key, (values = new Map()));
      const deleted = (m.mutationType ?? MutationType.DELETE) === MutationType.DELETE || !m.stateValue;
      if (deleted) values.delete(m.stateName);
      else values.set(m.stateName, { value: m.stateValue as WireTypedValue, writtenAt: at, calledAt: at });
      this.#emit({ kind: "state", at, batch, address: from, name: m.stateName, value: deleted ? null : (m.stateValue as WireTypedValue) });
    }
  }
}

function sameBytes(a: WireTypedValue, b: WireTypedValue): boolean {
  return a.typename === b.typename && Buffer.from(a.value ?? []).equals(Buffer.from(b.value ?? []));
}

/** When a held value expires under a registration's TTL; undefined without one. */
function expiry(held: Held, registration: Registered | undefined): number | undefined {
  const ttl = registration?.expiration;
  if (ttl === undefined) return undefined;
  return (ttl.mode === "after-write" ? held.writtenAt : held.calledAt) + ttl.afterMs;
}

/**
 * The inspector's view of a trace.
 * @param title - what the page calls it (the file's name)
 * @param functions - the application's functions, if at hand: their declared types decode values (protobuf as JSON)
 */
export function traceSource(title: string, exchanges: readonly Exchange[], functions: readonly StateFun[] = []): InspectorSource {
  const model = new TraceModel(exchanges);
  const specOf = (typename: string) => functions.map((sf) => endpointOf(sf).functionOf(typename)).find((spec) => spec !== undefined);
  const inspectFunction = (typename: string): FunctionInspection => {
    const spec = specOf(typename);
    const registered = model.registered.get(typename) ?? [];
    const states: FunctionStateInspection[] = registered.map((r) => {
      const declared = spec?.valueSpecs.find((v) => v.name === r.name && v.type.typename === r.typename);
      return { ...r, ...(declared ? { type: declared.type } : {}), registered: true };
    });
    return {
      typename,
      target: spec !== undefined ? "in-process" : null,
      states,
      messageTypes: spec?.messageTypes.handled ?? [],
      takesAnyMessage: spec?.messageTypes.others ?? true,
    };
  };
  return {
    mode: "trace",
    title,
    // A wall-clock trace's times are ms since 1970; a virtual clock's start near 0.
    clock: model.end > 1e11 ? "real" : "virtual",
    now: () => model.end,
    attach(record, capacity) {
      for (const { event, before } of model.events.slice(-capacity)) record(event, before);
      return () => undefined;
    },
    functions: () => {
      const types = new Set<string>();
      for (const ref of model.addresses.values()) types.add(ref.typename);
      for (const typename of model.registered.keys()) types.add(typename);
      return [...types].map(inspectFunction);
    },
    routes: () => [],
    addresses: () => [...model.addresses.values()],
    inspectAddress(typename: string, id: string): AddressInspection {
      const address = { typename, id };
      const held = model.states.get(addressKey(address));
      const registered = model.registered.get(typename) ?? [];
      const states: StateInspection[] = registered.map((r) => {
        const h = held?.get(r.name);
        const expiresAt = h === undefined ? undefined : expiry(h, r);
        return { name: r.name, typename: r.typename, value: h?.value ?? null, ...(expiresAt !== undefined ? { expiresAt } : {}) };
      });
      for (const [name, h] of held ?? []) {
        if (!registered.some((r) => r.name === name)) states.push({ name, typename: h.value.typename, value: h.value });
      }
      return {
        address,
        states,
        queued: [],
        inFlight: [],
        delayed: model.delayed.filter((d) => sameAddress(d.to, address) || sameAddress(d.from, address)),
      };
    },
    egresses: () => [...model.egress].map(([id, records]) => ({ id, kind: "generic" as const, records: records.length })),
    egress: (id) => [...(model.egress.get(id) ?? [])],
    deadLetters: () => [],
  };
}
