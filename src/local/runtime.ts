/**
 * `LocalRuntime`: an in-process stand-in for the StateFun cluster, faithful to what the
 * cluster sends and how it applies replies (see PROTOCOL.md), for tests and for `statefun dev`.
 *
 * Per address one request at a time; messages arriving meanwhile queue and go as one batch
 * (mailboxes.ts). Every registered state rides along on every request; IncompleteInvocationContext
 * registers the specs and re-sends the batch (store.ts). Replies are applied in the cluster's
 * order: messages, delayed messages (delayed.ts), egress records (egress.ts), then state. What
 * would fail the job in a cluster fails the runtime with a {@link JobFailedError}. Where each
 * function type's requests go is routing.ts; checkpoints and saved state are checkpoint.ts.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { formatAddress, refFromWire, toWire, type AddressRef } from "../base/address";
import { JobFailedError } from "../base/errors";
import { quote } from "../base/text";
import { messageBuilder, wireValueOf } from "../api/message";
import type { StateFun } from "../api/statefun";
import { loadModule, type StateFunModule } from "../module";
import type { Type } from "../serde/type";
import { decodeFromFunction, encodeToFunction, type WireFromFunction, type WireInvocationResponse, type WireTypedValue } from "../wire/codec";
import { loadCheckpoint, saveCheckpoint, type Checkpoint, type SavedRuntimeState } from "./checkpoint";
import { DelayedMessages, type DelayedMessage } from "./delayed";
import { EgressSinks, type EgressOption } from "./egress";
import type { RuntimeEvent } from "./events";
import { addressKey, Mailboxes, type Mailbox, type Pending } from "./mailboxes";
import { Routing, type EndpointOptions, type Route } from "./routing";
import { Scheduler } from "./scheduler";
import { StateStore } from "./store";
import { serializeExchange, type Exchange } from "./trace";
import { decodeValue, type DecodedEgressRecord } from "./values";

export type { EgressKind } from "./egress";
export type { EndpointOptions } from "./routing";
export type { SavedRuntimeState, SavedValue } from "./checkpoint";

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
  egresses?: readonly EgressOption[];
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

/** The cluster's first retry backoff; it doubles on each retry. */
const INITIAL_BACKOFF_MS = 10;
const DEFAULT_MAX_BATCH = 1000;

export class LocalRuntime {
  readonly #scheduler: Scheduler;
  readonly #store = new StateStore();
  readonly #mailboxes = new Mailboxes();
  readonly #delayed: DelayedMessages;
  readonly #egress: EgressSinks;
  readonly #routing: Routing;
  readonly #module: StateFunModule | undefined;
  readonly #callTimeoutMs: number;
  readonly #traceFile: string | undefined;
  readonly #onEvent: ((event: RuntimeEvent) => void) | undefined;

  readonly #ingressLog: { to: AddressRef; value: WireTypedValue }[] = [];
  readonly #events: RuntimeEvent[] = [];
  readonly #exchanges: Exchange[] = [];
  readonly #duplicate = new Map<string, number>();
  readonly #loseReply = new Map<string, number>();

  #checkpoint: Checkpoint;
  #failure: JobFailedError | null = null;
  /** Counts restores: a request begun before one no longer matters when it ends. */
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
    const inProcess = fns === undefined ? [] : Array.isArray(fns) ? [...(fns as readonly StateFun[])] : [fns as StateFun];
    this.#module = typeof options.module === "string" ? loadModule(options.module) : options.module;
    this.#routing = new Routing(inProcess, this.#module, options.endpoints ?? [], options.maxNumBatchRequests ?? DEFAULT_MAX_BATCH);
    this.#egress = new EgressSinks(this.#module, options.egresses ?? []);
    this.#delayed = new DelayedMessages(this.#scheduler, (m) => this.#enqueue(m.to, { caller: m.from, value: m.value }));
    this.#callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.#traceFile = options.traceFile;
    this.#onEvent = options.onEvent;
    if (this.#traceFile !== undefined) writeFileSync(this.#traceFile, "");
    this.#checkpoint = this.#takeCheckpoint();
  }

  /** The module the runtime was given, parsed. */
  get module(): StateFunModule | undefined {
    return this.#module;
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
    this.sendTypedValue({ typename, id }, wireValueOf(message));
  }

  /** Sends an already encoded value from an ingress. */
  sendTypedValue(to: AddressRef, value: WireTypedValue): void {
    this.#throwIfFailed();
    if (this.#routing.resolve(to.typename) === null) throw this.#routing.noTarget(to.typename);
    this.#ingressLog.push({ to, value });
    this.#emit({ kind: "ingress", at: this.now, to, value });
    this.#enqueue(to, { caller: null, value });
  }

  /** Whether some in-process function or endpoint serves `typename`. */
  serves(typename: string): boolean {
    return this.#routing.resolve(typename) !== null;
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
    return decodeValue(value, this.#routing.stateType(typename, name));
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
    return this.#egress.records(id);
  }

  /** Takes the oldest unread record of a playground egress topic (as `GET :port/<topic>` does). */
  takeFromTopic(topic: string): string | undefined {
    return this.#egress.takeFromTopic(topic);
  }

  /** Whether a playground egress declares `topic`. */
  hasTopic(topic: string): boolean {
    return this.#egress.hasTopic(topic);
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
    return this.#delayed.pending.map(({ from, to, due, token }) => ({ from, to, due, ...(token !== undefined ? { token } : {}) }));
  }

  // ----------------------------------------------------------------------------------------
  // Faults, checkpoints, saved state
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
    return saveCheckpoint(this.#takeCheckpoint(), this.now);
  }

  /** Restores what {@link LocalRuntime.saveState} saved, as after a crash: no state registered yet. */
  loadState(saved: SavedRuntimeState): void {
    this.#checkpoint = loadCheckpoint(saved, this.now, this.#ingressLog.length);
    this.#restore(this.#checkpoint, false);
  }

  /** Stops timers and closes connections to remote endpoints. */
  close(): void {
    this.#scheduler.stop();
    this.#routing.close();
  }

  #takeCheckpoint(): Checkpoint {
    return {
      at: this.now,
      store: this.#store.snapshot(),
      queues: this.#mailboxes.snapshot(),
      delayed: this.#delayed.pending,
      egress: this.#egress.snapshot(),
      ingressCount: this.#ingressLog.length,
    };
  }

  #restore(cp: Checkpoint, replayIngress: boolean): void {
    this.#generation++;
    this.#active = 0;
    this.#failure = null;
    this.#scheduler.clear();
    this.#store.restore(cp.store);
    this.#mailboxes.restore(cp.queues);
    this.#delayed.restore(cp.delayed);
    this.#egress.restore(cp.egress);
    const since = this.#ingressLog.slice(cp.ingressCount);
    this.#ingressLog.length = cp.ingressCount;
    this.#emit({ kind: "restore", at: this.now, checkpointAt: cp.at, replayed: replayIngress ? since.length : 0 });
    if (replayIngress) {
      for (const { to, value } of since) {
        this.#ingressLog.push({ to, value });
        this.#mailboxes.put(to, { caller: null, value });
      }
    }
    this.#pump();
  }

  // ----------------------------------------------------------------------------------------
  // Delivery
  // ----------------------------------------------------------------------------------------

  #enqueue(to: AddressRef, pending: Pending): void {
    this.#mailboxes.put(to, pending);
    this.#pump();
  }

  /** Sends a batch to every idle address with messages waiting. */
  #pump(): void {
    if (this.#failure !== null) return;
    for (let box = this.#mailboxes.nextReady(); box !== undefined; box = this.#mailboxes.nextReady()) {
      const route = this.#routing.resolve(box.ref.typename);
      if (route === null) {
        this.#fail(this.#routing.noTarget(box.ref.typename).message);
        return;
      }
      box.inFlight = box.pending.splice(0, route.maxBatch);
      this.#active++;
      this.#requests++;
      void this.#run(box, route, this.#generation);
    }
  }

  /** One batch to one address, from first attempt to applied reply (or job failure). */
  async #run(box: Mailbox, route: Route, generation: number): Promise<void> {
    const batch = box.inFlight as Pending[];
    const functionType = box.ref.typename;
    const started = this.now;
    let backoff = INITIAL_BACKOFF_MS;
    let attempt = 0;
    for (const p of batch) this.#emit({ kind: "deliver", at: this.now, to: box.ref, from: p.caller, value: p.value });
    try {
      for (;;) {
        attempt++;
        const { request, carried } = this.#request(box, batch);
        if (this.#take(this.#duplicate, functionType)) {
          this.#emit({ kind: "fault", at: this.now, to: box.ref, fault: "duplicate" });
          const first = await route.target.invoke(request, this.#callTimeoutMs);
          if (this.#stale(generation)) return;
          this.#record(box, attempt, request, first.ok ? first.body : null, first.ok ? "dropped (duplicate delivery)" : first.reason);
        }
        const outcome = await route.target.invoke(request, this.#callTimeoutMs);
        if (this.#stale(generation)) return;
        let reply: WireFromFunction | null = null;
        let problem: string | null = null;
        let retryable = true;
        if (!outcome.ok) {
          problem = outcome.reason;
          retryable = outcome.retryable;
        } else if (this.#take(this.#loseReply, functionType)) {
          this.#emit({ kind: "fault", at: this.now, to: box.ref, fault: "lost-reply" });
          problem = "the reply was lost (injected fault)";
        } else {
          try {
            reply = decodeFromFunction(outcome.body);
          } catch (e) {
            problem = `the reply is not a FromFunction: ${(e as Error).message}`;
          }
        }
        this.#record(box, attempt, request, outcome.ok ? outcome.body : null, problem ?? "ok");
        if (reply !== null) {
          const missing = reply.incompleteInvocationContext?.missingValues;
          if (missing) {
            for (const spec of missing) {
              if (carried.has(spec.stateName)) {
                throw new JobFailedError(
                  `${formatAddress(box.ref)} reports state "${spec.stateName}" missing although the request carried it; ` +
                    "the cluster would re-send the batch forever",
                );
              }
              this.#store.register(functionType, spec);
            }
            this.#emit({ kind: "register", at: this.now, functionType, states: missing.map((s) => s.stateName) });
            continue;
          }
          if (!reply.invocationResult) throw new JobFailedError(`${formatAddress(box.ref)} answered a FromFunction with neither a result nor missing states`);
          this.#apply(box, reply.invocationResult);
          return;
        }
        if (!retryable) throw new JobFailedError(`${formatAddress(box.ref)} (${route.target.description}) failed and the cluster does not retry this: ${problem}`);
        if (this.now - started + backoff > this.#callTimeoutMs) {
          throw new JobFailedError(`${formatAddress(box.ref)} (${route.target.description}) kept failing for ${this.#callTimeoutMs} ms of retries; last: ${problem}`);
        }
        this.#emit({ kind: "retry", at: this.now, to: box.ref, attempt: attempt + 1, reason: problem ?? "", backoffMs: backoff });
        await this.#sleep(backoff);
        if (this.#stale(generation)) return;
        backoff *= 2;
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#fail(e instanceof JobFailedError ? e.message : `runtime error: ${(e as Error).stack ?? String(e)}`);
    } finally {
      if (generation === this.#generation) {
        this.#active--;
        this.#mailboxes.settled(box);
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
  #request(box: Mailbox, batch: Pending[]): { request: Buffer; carried: Set<string> } {
    const state = this.#store.attach(box.ref.typename, box.key, this.now);
    const invocations = batch.map((p) => (p.caller ? { caller: toWire(p.caller), argument: p.value } : { argument: p.value }));
    return { request: encodeToFunction({ invocation: { target: box.wire, state, invocations } }), carried: new Set(state.map((s) => s.stateName)) };
  }

  #record(box: Mailbox, attempt: number, request: Buffer, reply: Buffer | null, outcome: string): void {
    const exchange: Exchange = { seq: this.#exchanges.length + 1, at: this.now, to: box.ref, attempt, request, reply, outcome };
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

  /** Applies a reply in the cluster's order: messages, delayed messages, egress, state. */
  #apply(box: Mailbox, result: WireInvocationResponse): void {
    const from = box.ref;
    const at = this.now;
    for (const m of result.outgoingMessages ?? []) {
      const to = refFromWire(m.target);
      if (this.#routing.resolve(to.typename) === null) throw this.#routing.noTarget(to.typename);
      this.#emit({ kind: "message", at, from, to, value: m.argument });
      this.#enqueue(to, { caller: from, value: m.argument });
    }
    for (const d of result.delayedInvocations ?? []) {
      if (d.isCancellationRequest) {
        const token = d.cancellationToken ?? "";
        this.#emit({ kind: "cancel", at, from, token, cancelled: this.#delayed.cancel(from, token) });
        continue;
      }
      const delay = Number(d.delayInMs ?? 0);
      if (!Number.isInteger(delay) || delay < 0) {
        throw new JobFailedError(`${formatAddress(from)} sent a delayed message with delay ${delay} ms; the cluster fails the job on a negative delay`);
      }
      if (!d.target || !d.argument) throw new JobFailedError(`${formatAddress(from)} sent a delayed message without a target or value`);
      const to = refFromWire(d.target);
      if (this.#routing.resolve(to.typename) === null) throw this.#routing.noTarget(to.typename);
      const token = d.cancellationToken || undefined;
      if (token !== undefined && this.#delayed.pendingWith(from, token)) {
        throw new JobFailedError(
          `${formatAddress(from)} sent a delayed message with cancellation token ${quote(token)} while another with ` +
            `that token is pending from id ${quote(from.id)} (the cluster scopes tokens to the sender's id, of any ` +
            "function type); the cluster fails the job on a duplicate pending token",
        );
      }
      const message: DelayedMessage = { from, to, value: d.argument, due: at + delay, ...(token !== undefined ? { token } : {}) };
      this.#delayed.schedule(message);
      this.#emit({ kind: "delayed", at, from, to, dueAt: message.due, ...(token !== undefined ? { token } : {}), value: d.argument });
    }
    for (const e of result.outgoingEgresses ?? []) {
      const egress = `${e.egressNamespace}/${e.egressType}`;
      this.#emit({ kind: "egress", at, from, egress, record: this.#egress.write(from, egress, e.argument) });
    }
    for (const m of result.stateMutations ?? []) {
      this.#store.apply(from.typename, box.key, m, at);
      const deleted = (m.mutationType ?? 0) === 0;
      this.#emit({ kind: "state", at, address: from, name: m.stateName, value: deleted ? null : (m.stateValue as WireTypedValue) });
    }
  }

  // ----------------------------------------------------------------------------------------
  // Bookkeeping
  // ----------------------------------------------------------------------------------------

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
