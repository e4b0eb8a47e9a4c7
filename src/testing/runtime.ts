/**
 * `LocalRuntime`: an in-process stand-in for the StateFun cluster, faithful to what the
 * cluster sends and how it applies replies (see PROTOCOL.md), for tests and for `statefun dev`.
 *
 * Per address one request at a time; messages arriving meanwhile queue and go as one batch.
 * Every registered state rides along on every request; IncompleteInvocationContext registers
 * the specs and re-sends the batch. Replies are applied in the cluster's order: messages,
 * delayed messages, egress records, then state. What would fail the job in a cluster fails
 * the runtime with a {@link JobFailedError}.
 */
import { writeFileSync, appendFileSync } from "node:fs";
import { StateFunError } from "../errors";
import { messageBuilder } from "../message";
import { endpointFor, endpointUrl, loadModule, matchesFunctionPattern, type StateFunModule } from "../module";
import { parseTypeName } from "../address";
import { quote } from "../text";
import type { StateFun } from "../statefun";
import type { Type } from "../types";
import {
  decodeFromFunction,
  encodeToFunction,
  typedValue,
  typedValueBytes,
  type WireAddress,
  type WireFromFunction,
  type WireInvocationResponse,
  type WireTypedValue,
} from "../wire/codec";
import { addressRefOf, formatAddress, type AddressRef, type RuntimeEvent } from "./events";
import { Scheduler, type Timer } from "./scheduler";
import { StateStore, StoreViolation, type StoreSnapshot } from "./store";
import { InProcessTarget, RemoteTarget, type FunctionTarget } from "./targets";
import { serializeExchange, type Exchange } from "./trace";
import { decodeEgressRecord, decodeValue, type DecodedEgressRecord } from "./values";

/** The cluster would have failed the job: what happened and why. */
export class JobFailedError extends StateFunError {}

/** An endpoint serving function types over HTTP (any SDK, any language). */
export interface EndpointOptions {
  /** `<namespace>/<name>` or `<namespace>/*`. */
  functions: string;
  /** The URL the runtime POSTs to; `{function.name}` is replaced by the function type's name. */
  url: string;
  /** Largest batch per request; default the runtime's. */
  maxNumBatchRequests?: number;
}

/** A typed value in saved state: its typename and base64 bytes. */
export interface SavedValue {
  typename: string;
  value: string;
}

/** What {@link LocalRuntime.saveState} returns: plain JSON. */
export interface SavedRuntimeState {
  version: 1;
  savedAt: number;
  states: { address: AddressRef; name: string; value: SavedValue; writtenAt: number; accessedAt: number }[];
  queued: { to: AddressRef; caller: AddressRef | null; value: SavedValue }[];
  delayed: { from: AddressRef; to: AddressRef; due: number; token?: string; value: SavedValue }[];
  topics: Record<string, string[]>;
}

/** The kinds of egress the runtime can check records against. */
export type EgressKind = "kafka" | "kinesis" | "playground" | "generic";

/** Options of a {@link LocalRuntime}. */
export interface LocalRuntimeOptions {
  /** StateFun instances to run in-process (through `handleRequest`, encode and decode included). */
  functions?: StateFun | readonly StateFun[];
  /** Remote endpoints by function pattern (in-process functions take precedence). */
  endpoints?: readonly EndpointOptions[];
  /**
   * A module.yaml (its path, or as parsed by `loadModule`): its endpoints serve the function
   * types no in-process StateFun binds, and its egresses are the ones functions may write to.
   * Its ingresses are served by `startModuleIo` (as `statefun dev` does).
   */
  module?: string | StateFunModule;
  /**
   * Egress ids functions may write to, beyond the module's. A record for an undeclared
   * egress fails the job, as in the cluster. A bare id accepts any record; give a kind to have
   * records checked as the cluster's egress of that kind does.
   */
  egresses?: readonly (string | { id: string; kind: EgressKind; topics?: readonly string[] })[];
  /** `virtual` (default): time moves only with `advance()`; `real`: the wall clock. */
  clock?: "virtual" | "real";
  /** Virtual clock start, ms; default 0. */
  startTime?: number;
  /** Largest batch per request (the endpoint's `maxNumBatchRequests`); default 1000. */
  maxNumBatchRequests?: number;
  /** How long a request may be retried before the job fails; default 60 s (runtime clock). */
  callTimeoutMs?: number;
  /** Appends every exchange to this file as JSON lines (see `replay`). */
  traceFile?: string;
  /** Called for every event (the runtime's log gets them too). */
  onEvent?: (event: RuntimeEvent) => void;
}

interface Pending {
  readonly caller: AddressRef | null;
  readonly value: WireTypedValue;
}

interface AddressQueue {
  readonly ref: AddressRef;
  readonly wire: WireAddress;
  readonly key: string;
  pending: Pending[];
  /** The batch of the request in flight; null when idle. */
  inFlight: Pending[] | null;
}

interface DelayedMessage {
  readonly from: AddressRef;
  readonly to: AddressRef;
  readonly value: WireTypedValue;
  readonly due: number;
  readonly token?: string;
  timer: Timer;
}

interface Checkpoint {
  readonly at: number;
  readonly store: StoreSnapshot;
  readonly queues: { ref: AddressRef; pending: Pending[] }[];
  readonly delayed: Omit<DelayedMessage, "timer">[];
  readonly egress: Map<string, number>;
  readonly topics: Map<string, string[]>;
  readonly ingressCount: number;
}

interface EgressDeclaration {
  readonly kind: EgressKind;
  readonly topics?: ReadonlySet<string>;
}

interface Resolved {
  readonly target: FunctionTarget;
  readonly maxBatch: number;
}

const INITIAL_BACKOFF_MS = 10;
const DEFAULT_MAX_BATCH = 1000;

function addressKey(ref: AddressRef): string {
  return `${ref.typename}\u0000${ref.id}`;
}

/**
 * Where a cancellation token lives: the sender's id alone. The cluster keys its delayed-message
 * index by the id (`KeyBy.apply(address)`; the keyed map state `delayed-message-index`), so
 * `a/x("7")` can cancel a token `b/y("7")` set, and the two cannot both have it pending.
 */
function tokenKey(from: AddressRef, token: string): string {
  return `${from.id}\u0000${token}`;
}

function wireOf(ref: AddressRef): WireAddress {
  const { namespace, name } = parseTypeName(ref.typename);
  return { namespace, type: name, id: ref.id };
}

export class LocalRuntime {
  readonly #scheduler: Scheduler;
  readonly #store = new StateStore();
  readonly #inProcess: readonly StateFun[];
  readonly #endpoints: readonly EndpointOptions[];
  readonly #module: StateFunModule | undefined;

  /** The module the runtime was given, parsed. */
  get module(): StateFunModule | undefined {
    return this.#module;
  }
  readonly #egresses = new Map<string, EgressDeclaration>();
  readonly #maxBatch: number;
  readonly #callTimeoutMs: number;
  readonly #traceFile: string | undefined;
  readonly #onEvent: ((event: RuntimeEvent) => void) | undefined;

  readonly #targets = new Map<string, Resolved | null>();
  readonly #remotes = new Map<string, RemoteTarget>();
  readonly #queues = new Map<string, AddressQueue>();
  readonly #ready = new Set<AddressQueue>();
  readonly #delayed = new Set<DelayedMessage>();
  readonly #tokens = new Map<string, DelayedMessage>();
  readonly #egressRecords = new Map<string, DecodedEgressRecord[]>();
  readonly #topics = new Map<string, string[]>();
  readonly #ingressLog: { to: AddressRef; value: WireTypedValue }[] = [];
  readonly #events: RuntimeEvent[] = [];
  readonly #exchanges: Exchange[] = [];
  readonly #duplicate = new Map<string, number>();
  readonly #loseReply = new Map<string, number>();

  #checkpoint: Checkpoint;
  #failure: JobFailedError | null = null;
  #generation = 0;
  /** Requests being worked on and not waiting for a retry timer. */
  #active = 0;
  /** Batches sent so far (for runUntilIdle's budget). */
  #requests = 0;
  #waiters: (() => void)[] = [];

  constructor(options: LocalRuntimeOptions = {}) {
    this.#scheduler = new Scheduler(options.clock ?? "virtual", options.startTime ?? 0);
    this.#scheduler.onFired = () => this.#changed();
    const fns = options.functions;
    this.#inProcess = fns === undefined ? [] : Array.isArray(fns) ? [...(fns as readonly StateFun[])] : [fns as StateFun];
    this.#endpoints = options.endpoints ?? [];
    this.#module = typeof options.module === "string" ? loadModule(options.module) : options.module;
    this.#maxBatch = options.maxNumBatchRequests ?? DEFAULT_MAX_BATCH;
    this.#callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.#traceFile = options.traceFile;
    this.#onEvent = options.onEvent;
    if (this.#traceFile !== undefined) writeFileSync(this.#traceFile, "");
    for (const egress of this.#module?.egresses ?? []) {
      if (egress.kind === "io.statefun.playground.v1/egress") {
        this.#egresses.set(egress.id, { kind: "playground", topics: new Set(egress.topics) });
        for (const topic of egress.topics) this.#topics.set(topic, []);
      } else {
        this.#egresses.set(egress.id, { kind: egress.kind === "io.statefun.kafka.v1/egress" ? "kafka" : "kinesis" });
      }
    }
    for (const e of options.egresses ?? []) {
      if (typeof e === "string") this.#egresses.set(e, { kind: "generic" });
      else {
        this.#egresses.set(e.id, { kind: e.kind, ...(e.topics ? { topics: new Set(e.topics) } : {}) });
        for (const topic of e.topics ?? []) this.#topics.set(topic, []);
      }
    }
    this.#checkpoint = this.#takeCheckpoint();
  }

  // ----------------------------------------------------------------------------------------
  // Input
  // ----------------------------------------------------------------------------------------

  /**
   * Sends a message from an ingress (no caller) to `typename`/`id`. Without `type`, a string
   * goes as `stringType()`, an integer as `intType()` (`longType()` past 32 bits), a bigint as
   * `longType()`.
   * @throws {@link JobFailedError} when no in-process function or endpoint serves `typename`
   */
  send<T>(typename: string, id: string, value: T, type?: Type<T>): void {
    const message = messageBuilder({ typename, id, value, ...(type ? { valueType: type } : {}) });
    this.sendTypedValue({ typename, id }, message.typedValue);
  }

  /** Sends an already encoded value from an ingress. */
  sendTypedValue(to: AddressRef, value: WireTypedValue): void {
    this.#throwIfFailed();
    if (this.#resolve(to.typename) === null) throw this.#noTarget(to.typename);
    this.#ingressLog.push({ to, value });
    this.#emit({ kind: "ingress", at: this.now, to, value });
    this.#enqueue(to, { caller: null, value });
  }

  /** Whether some in-process function or endpoint serves `typename`. */
  serves(typename: string): boolean {
    return this.#resolve(typename) !== null;
  }

  // ----------------------------------------------------------------------------------------
  // Time
  // ----------------------------------------------------------------------------------------

  /** The runtime clock, ms. */
  get now(): number {
    return this.#scheduler.now();
  }

  /**
   * Runs until nothing more can happen without time passing: every queued message delivered
   * and every reply applied. Retries of failed requests are waited out, moving virtual time as
   * the cluster's backoff would.
   * @param options.maxRequests - stops the runtime (as a failure that `crash()` can restore
   *   from) after this many requests, which only happens when messages loop between
   *   functions; default 100,000
   * @throws {@link JobFailedError} when the cluster would have failed the job
   */
  async runUntilIdle(options: { maxRequests?: number } = {}): Promise<void> {
    const budget = options.maxRequests ?? 100_000;
    const startedWith = this.#requests;
    let rounds = 0;
    for (;;) {
      this.#throwIfFailed();
      if (this.#requests - startedWith > budget) {
        // Stops the runtime (as a failure), or the loop would go on behind the caller's back.
        this.#fail(
          `runUntilIdle(): still busy after ${budget} requests; messages may be looping between functions (see the ` +
            "deliveries in runtime.log), or raise the limit with runUntilIdle({ maxRequests })",
        );
        continue;
      }
      // In-process functions complete on microtasks alone; letting the event loop turn now and
      // then keeps timers (a test's timeout, real I/O) alive while a long run goes on.
      if (++rounds % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      this.#pump();
      if (this.#active > 0) {
        await this.#nextChange();
        continue;
      }
      const retry = this.#scheduler.next(true);
      if (retry !== undefined) {
        if (this.#scheduler.virtual) this.#scheduler.advanceTo(retry.due);
        else await this.#nextChange();
        continue;
      }
      const next = this.#scheduler.next();
      if (next !== undefined && next.due <= this.now) {
        this.#scheduler.fireDue();
        continue;
      }
      break;
    }
    this.#throwIfFailed();
  }

  /**
   * Virtual clock: moves time forward by `ms`, delivering delayed messages and expiring state
   * as it goes, and running until idle at each step.
   */
  async advance(ms: number): Promise<void> {
    if (!this.#scheduler.virtual) throw new Error("advance() needs the virtual clock (clock: \"virtual\")");
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance() takes a non-negative number of ms, got ${ms}`);
    const target = this.now + ms;
    await this.runUntilIdle();
    for (;;) {
      const next = this.#scheduler.next();
      if (next === undefined || next.due > target) break;
      this.#scheduler.advanceTo(next.due);
      await this.runUntilIdle();
    }
    if (target > this.now) this.#scheduler.advanceTo(target);
    await this.runUntilIdle();
  }

  // ----------------------------------------------------------------------------------------
  // Inspection
  // ----------------------------------------------------------------------------------------

  /**
   * A state's value now, decoded with the function's declared type for in-process functions,
   * by typename for built-in types, as JSON when it is JSON; null when it has none (or expired).
   */
  state(typename: string, id: string, name: string): unknown {
    const value = this.stateValue(typename, id, name);
    if (value === null) return null;
    const spec = this.#inProcess.map((sf) => sf.functions.get(typename)).find((f) => f !== undefined);
    return decodeValue(value, spec?.valueSpecs.find((s) => s.name === name)?.type);
  }

  /** A state's value now, as stored. */
  stateValue(typename: string, id: string, name: string): WireTypedValue | null {
    return this.#store.get(typename, addressKey({ typename, id }), name, this.now);
  }

  /** The states registered for a function type so far. */
  registeredStates(typename: string): string[] {
    return this.#store.registered(typename).map((r) => r.name);
  }

  /** Every record written to an egress, decoded (Kafka, Kinesis, playground records). */
  egress(id: string): DecodedEgressRecord[] {
    return [...(this.#egressRecords.get(id) ?? [])];
  }

  /** Takes the oldest unread record of a playground egress topic (as `GET :port/<topic>` does). */
  takeFromTopic(topic: string): string | undefined {
    return this.#topics.get(topic)?.shift();
  }

  /** Whether a playground egress declares `topic`. */
  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Everything that happened, in order. */
  get log(): readonly RuntimeEvent[] {
    return this.#events;
  }

  /** Every request/reply exchange, for `replay` (also written to `traceFile` when set). */
  get trace(): readonly Exchange[] {
    return this.#exchanges;
  }

  /** Delayed messages still pending. */
  get pendingDelayed(): { from: AddressRef; to: AddressRef; due: number; token?: string }[] {
    return [...this.#delayed].map(({ from, to, due, token }) => ({ from, to, due, ...(token !== undefined ? { token } : {}) }));
  }

  // ----------------------------------------------------------------------------------------
  // Faults
  // ----------------------------------------------------------------------------------------

  /** Fault injection for tests of what a cluster does to a function's requests. */
  readonly faults = {
    /** The next `times` requests to `functionType` are delivered twice; the first reply is dropped, as after a timeout. */
    duplicateNext: (functionType: string, times = 1): void => {
      this.#duplicate.set(functionType, (this.#duplicate.get(functionType) ?? 0) + times);
    },
    /** The next `times` replies from `functionType` are lost after the function ran; the cluster retries with backoff. */
    loseNextReplies: (functionType: string, times = 1): void => {
      this.#loseReply.set(functionType, (this.#loseReply.get(functionType) ?? 0) + times);
    },
  };

  /** Takes a checkpoint: states, queued and in-flight messages, delayed messages, egress so far. */
  checkpoint(): void {
    this.#checkpoint = this.#takeCheckpoint();
  }

  /**
   * Crashes and restores from the last checkpoint, as a cluster does after a failure: state,
   * queues and delayed messages as they were, egress records since then discarded (uncommitted),
   * ingress messages since then replayed, and no state registered (so the next request to each
   * function carries none and the function asks for its states again). Clears a job failure.
   * @param options.replayIngress - false drops the ingress messages since the checkpoint instead
   *   (`statefun dev` does so to get past a message that fails the job)
   */
  crash(options: { replayIngress?: boolean } = {}): void {
    this.#restore(this.#checkpoint, options.replayIngress ?? true);
  }

  /**
   * The runtime's durable state now, as JSON-able data: states (with their TTL clocks), queued
   * and in-flight messages, delayed messages and unread playground records.
   */
  saveState(): SavedRuntimeState {
    const cp = this.#takeCheckpoint();
    const saved = (v: WireTypedValue): SavedValue => ({ typename: v.typename, value: typedValueBytes(v).toString("base64") });
    const states: SavedRuntimeState["states"] = [];
    for (const [key, values] of cp.store) {
      const split = key.indexOf("\u0000");
      const address = { typename: key.slice(0, split), id: key.slice(split + 1) };
      for (const [name, v] of values) states.push({ address, name, value: saved(v.value), writtenAt: v.writtenAt, accessedAt: v.accessedAt });
    }
    return {
      version: 1,
      savedAt: this.now,
      states,
      queued: cp.queues.flatMap(({ ref, pending }) => pending.map((p) => ({ to: ref, caller: p.caller, value: saved(p.value) }))),
      delayed: cp.delayed.map((d) => ({ from: d.from, to: d.to, due: d.due, ...(d.token !== undefined ? { token: d.token } : {}), value: saved(d.value) })),
      topics: Object.fromEntries(cp.topics),
    };
  }

  /** Restores what {@link LocalRuntime.saveState} saved, as after a crash: no state registered yet. */
  loadState(saved: SavedRuntimeState): void {
    if (saved.version !== 1) throw new Error(`saved runtime state version ${String(saved.version)} is not supported (expected 1)`);
    const value = (v: SavedValue): WireTypedValue => typedValue(v.typename, Buffer.from(v.value, "base64"));
    const store = new Map<string, Map<string, { value: WireTypedValue; writtenAt: number; accessedAt: number }>>();
    for (const s of saved.states) {
      const key = addressKey(s.address);
      if (!store.has(key)) store.set(key, new Map());
      store.get(key)?.set(s.name, { value: value(s.value), writtenAt: s.writtenAt, accessedAt: s.accessedAt });
    }
    const queues = new Map<string, { ref: AddressRef; pending: Pending[] }>();
    for (const q of saved.queued) {
      const key = addressKey(q.to);
      if (!queues.has(key)) queues.set(key, { ref: q.to, pending: [] });
      queues.get(key)?.pending.push({ caller: q.caller, value: value(q.value) });
    }
    this.#checkpoint = {
      at: this.now,
      store,
      queues: [...queues.values()],
      delayed: saved.delayed.map((d) => ({ from: d.from, to: d.to, due: d.due, ...(d.token !== undefined ? { token: d.token } : {}), value: value(d.value) })),
      egress: new Map(),
      topics: new Map(Object.entries(saved.topics)),
      ingressCount: this.#ingressLog.length,
    };
    this.#restore(this.#checkpoint, false);
  }

  #restore(cp: Checkpoint, replayIngress: boolean): void {
    this.#generation++;
    this.#active = 0;
    this.#failure = null;
    this.#scheduler.clear();
    this.#store.restore(cp.store);
    this.#queues.clear();
    this.#ready.clear();
    this.#delayed.clear();
    this.#tokens.clear();
    for (const { ref, pending } of cp.queues) this.#queueOf(ref).pending.push(...pending);
    for (const d of cp.delayed) this.#schedule({ ...d, timer: undefined as unknown as Timer });
    for (const [id, records] of this.#egressRecords) records.length = cp.egress.get(id) ?? 0;
    this.#topics.clear();
    for (const [topic, payloads] of cp.topics) this.#topics.set(topic, [...payloads]);
    const since = this.#ingressLog.slice(cp.ingressCount);
    this.#ingressLog.length = cp.ingressCount;
    this.#emit({ kind: "restore", at: this.now, checkpointAt: cp.at, replayed: replayIngress ? since.length : 0 });
    if (replayIngress) {
      for (const { to, value } of since) {
        this.#ingressLog.push({ to, value });
        this.#enqueue(to, { caller: null, value });
      }
    }
    for (const q of this.#queues.values()) if (q.pending.length > 0) this.#ready.add(q);
    this.#pump();
  }

  /** Stops timers and closes connections to remote endpoints. */
  close(): void {
    this.#scheduler.stop();
    for (const remote of this.#remotes.values()) remote.close();
  }

  // ----------------------------------------------------------------------------------------
  // Requests
  // ----------------------------------------------------------------------------------------

  #resolve(functionType: string): Resolved | null {
    const cached = this.#targets.get(functionType);
    if (cached !== undefined) return cached;
    let resolved: Resolved | null = null;
    const sf = this.#inProcess.find((s) => s.functions.get(functionType) !== undefined);
    if (sf !== undefined) {
      resolved = { target: new InProcessTarget(sf), maxBatch: this.#maxBatch };
    } else {
      const endpoint = this.#module ? endpointFor(this.#module, functionType) : undefined;
      if (endpoint !== undefined) {
        resolved = { target: this.#remote(endpointUrl(endpoint, functionType)), maxBatch: endpoint.maxNumBatchRequests ?? this.#maxBatch };
      } else {
        const option = this.#endpoints.find((e) => matchesFunctionPattern(e.functions, functionType));
        if (option !== undefined) {
          const url = option.url.replace(/\{function\.name\}/g, parseTypeName(functionType).name);
          resolved = { target: this.#remote(url), maxBatch: option.maxNumBatchRequests ?? this.#maxBatch };
        }
      }
    }
    this.#targets.set(functionType, resolved);
    return resolved;
  }

  #remote(url: string): RemoteTarget {
    let remote = this.#remotes.get(url);
    if (remote === undefined) this.#remotes.set(url, (remote = new RemoteTarget(url)));
    return remote;
  }

  #noTarget(functionType: string): JobFailedError {
    return new JobFailedError(
      `no function type ${functionType} is served: bind it on a StateFun passed as \`functions\`, or cover it with an ` +
        "endpoint (module.yaml or `endpoints`); the cluster fails the job on a message to an unknown function type",
    );
  }

  #queueOf(ref: AddressRef): AddressQueue {
    const key = addressKey(ref);
    let q = this.#queues.get(key);
    if (q === undefined) this.#queues.set(key, (q = { ref, wire: wireOf(ref), key, pending: [], inFlight: null }));
    return q;
  }

  #enqueue(to: AddressRef, pending: Pending): void {
    const q = this.#queueOf(to);
    q.pending.push(pending);
    if (q.inFlight === null) this.#ready.add(q);
    this.#pump();
  }

  #pump(): void {
    if (this.#failure !== null) return;
    for (const q of this.#ready) {
      this.#ready.delete(q);
      if (q.inFlight !== null || q.pending.length === 0) continue;
      const resolved = this.#resolve(q.ref.typename);
      if (resolved === null) {
        this.#fail(this.#noTarget(q.ref.typename).message);
        return;
      }
      q.inFlight = q.pending.splice(0, resolved.maxBatch);
      this.#active++;
      this.#requests++;
      void this.#run(q, resolved, this.#generation);
    }
  }

  /** One batch to one address, from first attempt to applied reply (or job failure). */
  async #run(q: AddressQueue, resolved: Resolved, generation: number): Promise<void> {
    const batch = q.inFlight as Pending[];
    const functionType = q.ref.typename;
    const started = this.now;
    let backoff = INITIAL_BACKOFF_MS;
    let attempt = 0;
    for (const p of batch) this.#emit({ kind: "deliver", at: this.now, to: q.ref, from: p.caller, value: p.value });
    try {
      for (;;) {
        attempt++;
        const { request, carried } = this.#request(q, batch);
        if (this.#take(this.#duplicate, functionType)) {
          this.#emit({ kind: "fault", at: this.now, to: q.ref, fault: "duplicate" });
          const first = await resolved.target.invoke(request, this.#callTimeoutMs);
          if (this.#stale(generation)) return;
          this.#record(q, attempt, request, first.ok ? first.body : null, first.ok ? "dropped (duplicate delivery)" : first.reason);
        }
        const outcome = await resolved.target.invoke(request, this.#callTimeoutMs);
        if (this.#stale(generation)) return;
        let reply: WireFromFunction | null = null;
        let problem: string | null = null;
        let retryable = true;
        if (!outcome.ok) {
          problem = outcome.reason;
          retryable = outcome.retryable;
        } else if (this.#take(this.#loseReply, functionType)) {
          this.#emit({ kind: "fault", at: this.now, to: q.ref, fault: "lost-reply" });
          problem = "the reply was lost (injected fault)";
        } else {
          try {
            reply = decodeFromFunction(outcome.body);
          } catch (e) {
            problem = `the reply is not a FromFunction: ${(e as Error).message}`;
          }
        }
        this.#record(q, attempt, request, outcome.ok ? outcome.body : null, problem ?? "ok");
        if (reply !== null) {
          const missing = reply.incompleteInvocationContext?.missingValues;
          if (missing) {
            for (const spec of missing) {
              if (carried.has(spec.stateName)) {
                throw new JobFailedError(
                  `${formatAddress(q.ref)} reports state "${spec.stateName}" missing although the request carried it; ` +
                    "the cluster would re-send the batch forever",
                );
              }
              this.#store.register(functionType, spec);
            }
            this.#emit({ kind: "register", at: this.now, functionType, states: missing.map((s) => s.stateName) });
            continue;
          }
          if (!reply.invocationResult) throw new JobFailedError(`${formatAddress(q.ref)} answered a FromFunction with neither a result nor missing states`);
          this.#apply(q, reply.invocationResult);
          return;
        }
        if (!retryable) throw new JobFailedError(`${formatAddress(q.ref)} (${resolved.target.description}) failed and the cluster does not retry this: ${problem}`);
        if (this.now - started + backoff > this.#callTimeoutMs) {
          throw new JobFailedError(`${formatAddress(q.ref)} (${resolved.target.description}) kept failing for ${this.#callTimeoutMs} ms of retries; last: ${problem}`);
        }
        this.#emit({ kind: "retry", at: this.now, to: q.ref, attempt: attempt + 1, reason: problem ?? "", backoffMs: backoff });
        await this.#sleep(backoff);
        if (this.#stale(generation)) return;
        backoff *= 2;
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#fail(e instanceof StoreViolation || e instanceof JobFailedError ? e.message : `runtime error: ${(e as Error).stack ?? String(e)}`);
    } finally {
      if (generation === this.#generation) {
        this.#active--;
        q.inFlight = null;
        if (q.pending.length > 0) this.#ready.add(q);
        this.#changed();
        this.#pump();
      }
    }
  }

  /** Whether a request's outcome no longer matters: the runtime restored, or the job failed. */
  #stale(generation: number): boolean {
    return generation !== this.#generation || this.#failure !== null;
  }

  #take(counters: Map<string, number>, functionType: string): boolean {
    const n = counters.get(functionType) ?? 0;
    if (n <= 0) return false;
    counters.set(functionType, n - 1);
    return true;
  }

  /** The request bytes, and the names of the states they carry. */
  #request(q: AddressQueue, batch: Pending[]): { request: Buffer; carried: Set<string> } {
    const state = this.#store.attach(q.ref.typename, q.key, this.now);
    const invocations = batch.map((p) => (p.caller ? { caller: wireOf(p.caller), argument: p.value } : { argument: p.value }));
    return { request: encodeToFunction({ invocation: { target: q.wire, state, invocations } }), carried: new Set(state.map((s) => s.stateName)) };
  }

  #record(q: AddressQueue, attempt: number, request: Buffer, reply: Buffer | null, outcome: string): void {
    const exchange: Exchange = { seq: this.#exchanges.length + 1, at: this.now, to: q.ref, attempt, request, reply, outcome };
    this.#exchanges.push(exchange);
    if (this.#traceFile !== undefined) appendFileSync(this.#traceFile, serializeExchange(exchange) + "\n");
  }

  /** Waits `ms` on the runtime clock as a retry: not counted as active, so virtual time may move. */
  #sleep(ms: number): Promise<void> {
    this.#active--;
    this.#changed();
    return new Promise((resolve) => {
      this.#scheduler.schedule(
        ms,
        () => {
          this.#active++;
          resolve();
        },
        true,
      );
    });
  }

  // ----------------------------------------------------------------------------------------
  // Replies
  // ----------------------------------------------------------------------------------------

  /** Applies a reply in the cluster's order: messages, delayed messages, egress, state. */
  #apply(q: AddressQueue, result: WireInvocationResponse): void {
    const from = q.ref;
    const at = this.now;
    for (const m of result.outgoingMessages ?? []) {
      const to = addressRefOf(m.target);
      if (this.#resolve(to.typename) === null) throw this.#noTarget(to.typename);
      this.#emit({ kind: "message", at, from, to, value: m.argument });
      this.#enqueue(to, { caller: from, value: m.argument });
    }
    for (const d of result.delayedInvocations ?? []) {
      if (d.isCancellationRequest) {
        const token = d.cancellationToken ?? "";
        const key = tokenKey(from, token);
        const pending = this.#tokens.get(key);
        if (pending !== undefined) this.#unschedule(pending);
        this.#emit({ kind: "cancel", at, from, token, cancelled: pending !== undefined });
        continue;
      }
      const delay = Number(d.delayInMs ?? 0);
      if (!Number.isInteger(delay) || delay < 0) {
        throw new JobFailedError(`${formatAddress(from)} sent a delayed message with delay ${delay} ms; the cluster fails the job on a negative delay`);
      }
      if (!d.target || !d.argument) throw new JobFailedError(`${formatAddress(from)} sent a delayed message without a target or value`);
      const to = addressRefOf(d.target);
      if (this.#resolve(to.typename) === null) throw this.#noTarget(to.typename);
      const token = d.cancellationToken || undefined;
      if (token !== undefined && this.#tokens.has(tokenKey(from, token))) {
        throw new JobFailedError(
          `${formatAddress(from)} sent a delayed message with cancellation token ${quote(token)} while another with ` +
            `that token is pending from id ${quote(from.id)} (the cluster scopes tokens to the sender's id, of any ` +
            "function type); the cluster fails the job on a duplicate pending token",
        );
      }
      const message = { from, to, value: d.argument, due: at + delay, ...(token !== undefined ? { token } : {}), timer: undefined as unknown as Timer };
      this.#schedule(message);
      this.#emit({ kind: "delayed", at, from, to, dueAt: message.due, ...(token !== undefined ? { token } : {}), value: d.argument });
    }
    for (const e of result.outgoingEgresses ?? []) this.#egress(from, `${e.egressNamespace}/${e.egressType}`, e.argument, at);
    for (const m of result.stateMutations ?? []) {
      this.#store.apply(from.typename, q.key, m, at);
      const deleted = (m.mutationType ?? 0) === 0;
      this.#emit({ kind: "state", at, address: from, name: m.stateName, value: deleted ? null : (m.stateValue as WireTypedValue) });
    }
  }

  #schedule(message: DelayedMessage): void {
    message.timer = this.#scheduler.schedule(Math.max(0, message.due - this.now), () => {
      this.#unschedule(message);
      this.#enqueue(message.to, { caller: message.from, value: message.value });
    });
    this.#delayed.add(message);
    if (message.token !== undefined) this.#tokens.set(tokenKey(message.from, message.token), message);
  }

  #unschedule(message: DelayedMessage): void {
    this.#scheduler.cancel(message.timer);
    this.#delayed.delete(message);
    if (message.token !== undefined) this.#tokens.delete(tokenKey(message.from, message.token));
  }

  #egress(from: AddressRef, id: string, value: WireTypedValue, at: number): void {
    const declared = this.#egresses.get(id);
    if (declared === undefined) {
      const known = [...this.#egresses.keys()];
      throw new JobFailedError(
        `${formatAddress(from)} wrote to egress ${id}, which is not declared (declared: ${known.join(", ") || "none"}); ` +
          "declare it in module.yaml or in the runtime's `egresses`: the cluster fails the job on an unknown egress",
      );
    }
    let record: DecodedEgressRecord;
    try {
      record = decodeEgressRecord(value);
    } catch (e) {
      throw new JobFailedError(`${formatAddress(from)} wrote to egress ${id} a record that does not decode: ${(e as Error).message}`);
    }
    if (declared.kind !== "generic" && record.kind !== declared.kind) {
      throw new JobFailedError(
        `${formatAddress(from)} wrote a ${value.typename} value to egress ${id}, a ${declared.kind} egress, which only takes ` +
          `${declared.kind} records (use ${declared.kind === "kafka" ? "kafkaEgressMessage()" : declared.kind === "kinesis" ? "kinesisEgressMessage()" : "a JSON io.statefun.playground/EgressRecord {topic, payload}"})`,
      );
    }
    if (record.kind === "playground") {
      if (declared.topics !== undefined && !declared.topics.has(record.topic)) {
        throw new JobFailedError(
          `${formatAddress(from)} wrote to playground topic ${quote(record.topic)}, which the egress does not declare ` +
            `(topics: ${[...declared.topics].join(", ")}); the playground fails the job on an unknown topic`,
        );
      }
      let queue = this.#topics.get(record.topic);
      if (queue === undefined) this.#topics.set(record.topic, (queue = []));
      queue.push(record.payload);
    }
    let records = this.#egressRecords.get(id);
    if (records === undefined) this.#egressRecords.set(id, (records = []));
    records.push(record);
    this.#emit({ kind: "egress", at, from, egress: id, record });
  }

  // ----------------------------------------------------------------------------------------
  // Bookkeeping
  // ----------------------------------------------------------------------------------------

  #takeCheckpoint(): Checkpoint {
    return {
      at: this.now,
      store: this.#store.snapshot(),
      queues: [...this.#queues.values()].map((q) => ({ ref: q.ref, pending: [...(q.inFlight ?? []), ...q.pending] })),
      delayed: [...this.#delayed].map(({ from, to, value, due, token }) => ({ from, to, value, due, ...(token !== undefined ? { token } : {}) })),
      egress: new Map([...this.#egressRecords].map(([id, records]) => [id, records.length])),
      topics: new Map([...this.#topics].map(([topic, payloads]) => [topic, [...payloads]])),
      ingressCount: this.#ingressLog.length,
    };
  }

  #emit(event: RuntimeEvent): void {
    this.#events.push(event);
    this.#onEvent?.(event);
  }

  #fail(reason: string): void {
    if (this.#failure !== null) return;
    this.#failure = new JobFailedError(reason);
    this.#emit({ kind: "failure", at: this.now, reason });
    this.#changed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  #changed(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    if (!this.#scheduler.virtual) this.#pump();
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

