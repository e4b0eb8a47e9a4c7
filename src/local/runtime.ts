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
import { loadCheckpoint, loadDeadLetters, saveCheckpoint, saveDeadLetters, type Checkpoint, type SavedRuntimeState } from "./checkpoint";
import { DEFAULT_MAX_ATTEMPTS, DeadLetters, functionStack, type DeadLetter, type DeadLetterOptions } from "./dead-letters";
import { DelayedMessages, type DelayedMessage } from "./delayed";
import { EgressSinks, type EgressOption } from "./egress";
import type { RuntimeEvent } from "./events";
import type {
  AddressInspection,
  EgressInspection,
  FunctionInspection,
  FunctionStateInspection,
  InspectOptions,
  QueuedMessage,
} from "./inspection";
import { addressKey, Mailboxes, refOfKey, sameAddress, type Mailbox, type Pending } from "./mailboxes";
import { Routing, unreachable, type EndpointOptions, type Route, type RoutingRow, type TransportKind } from "./routing";
import { Scheduler } from "./scheduler";
import { expirationOf, registrationOf, StateStore } from "./store";
import { serializeExchange, type Exchange } from "./trace";
import { liveSource } from "./ui/live";
import { startInspector, type Inspector } from "./ui/server";
import { decodeValue, type DecodedEgressRecord, type KafkaRecord, type KinesisRecord } from "./values";

export type { DeadLetter, DeadLetterOptions } from "./dead-letters";
export type { EgressKind } from "./egress";
export type { EndpointOptions, RoutingRow } from "./routing";
export type { SavedDeadLetter, SavedRuntimeState, SavedUnreadRecord, SavedValue } from "./checkpoint";

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
  /**
   * How long a request may be retried before the job fails (runtime clock), for every function
   * type; default the `call` timeout of the module's endpoint covering the type (its transport's
   * default when the module does not say), else 60 s.
   */
  callTimeoutMs?: number;
  /**
   * Sets aside an invocation that keeps failing instead of failing the job (what `statefun dev`
   * does): after `maxAttempts` failures (or at once for a failure the cluster does not retry)
   * it becomes a {@link DeadLetter}, isolated from the rest of its batch, which is applied. Off by
   * default: a LocalRuntime fails the job as the cluster does.
   */
  deadLetters?: DeadLetterOptions;
  /** Appends every exchange to this file as JSON lines (see `replay`). */
  traceFile?: string;
  /** Called for every event (the runtime's log gets them too). */
  onEvent?: (event: RuntimeEvent) => void;
}

/** Why the runtime gave up on a batch. */
interface Failure {
  /** The last failure, as the cluster would report it. */
  readonly problem: string;
  /** The job failure a cluster would report. */
  readonly jobFailure: string;
  /** What an in-process function threw, for its stack. */
  readonly error: unknown;
  /** How many times it failed. */
  readonly attempts: number;
}

/** How a batch's attempts ended: applied, or given up on. */
type Attempted = { readonly ok: true } | ({ readonly ok: false } & Failure);

/**
 * The cluster's first retry backoff per transport; it doubles on each retry. The async (Netty)
 * transport waits 2 ms × 2^attempts (4 ms after the first), okhttp starts at 10 ms (measured by
 * test/cluster's StatusPolicyTest).
 */
const INITIAL_BACKOFF_MS: Readonly<Record<TransportKind, number>> = { async: 4, okhttp: 10 };
const DEFAULT_MAX_BATCH = 1000;

let routingOfRuntime: (rt: LocalRuntime) => Routing;

export class LocalRuntime {
  readonly #scheduler: Scheduler;
  readonly #store = new StateStore();
  readonly #mailboxes = new Mailboxes();
  readonly #delayed: DelayedMessages;
  readonly #egress: EgressSinks;
  readonly #routing: Routing;
  readonly #module: StateFunModule | undefined;
  readonly #deadLetters = new DeadLetters();
  /** How many failures set an invocation aside; undefined: dead-lettering is off. */
  readonly #maxAttempts: number | undefined;
  readonly #traceFile: string | undefined;
  readonly #onEvent: ((event: RuntimeEvent) => void) | undefined;
  readonly #listeners = new Set<(event: RuntimeEvent) => void>();
  /** The inspector UI's server, once `inspect()` started it. */
  #inspector: Promise<Inspector> | undefined;

  readonly #ingressLog: { to: AddressRef; value: WireTypedValue }[] = [];
  readonly #events: RuntimeEvent[] = [];
  readonly #exchanges: Exchange[] = [];
  readonly #duplicate = new Map<string, number>();
  readonly #loseReply = new Map<string, number>();
  /**
   * Function types whose first request since the start (or the last restore) was answered. The
   * cluster sends a function type's first request alone and blocks until it is answered
   * ("Bootstrapping function ... Blocking processing"), so only that address goes through the
   * missing-state handshake: the other addresses' first requests already carry the states.
   */
  readonly #bootstrapped = new Set<string>();
  /** Mailboxes waiting for their function type's first request to be answered, by type. */
  readonly #awaitingBootstrap = new Map<string, Set<Mailbox>>();

  #checkpoint: Checkpoint;
  #failure: JobFailedError | null = null;
  /** Counts restores (and the close): a request begun before one no longer matters when it ends. */
  #generation = 0;
  #closed = false;
  /** Requests being worked on and not waiting for a retry timer. */
  #active = 0;
  /** Batches sent so far (for runUntilIdle's budget, and to number them in events). */
  #requests = 0;
  #waiters: (() => void)[] = [];

  static {
    routingOfRuntime = (rt) => rt.#routing;
  }

  constructor(options: LocalRuntimeOptions = {}) {
    this.#scheduler = new Scheduler(options.clock ?? "virtual", options.startTime ?? 0);
    this.#scheduler.onFired = () => this.#changed();
    const fns = options.functions;
    const inProcess = fns === undefined ? [] : Array.isArray(fns) ? [...(fns as readonly StateFun[])] : [fns as StateFun];
    this.#module = typeof options.module === "string" ? loadModule(options.module) : options.module;
    this.#routing = new Routing(inProcess, this.#module, options.endpoints ?? [], {
      maxBatch: options.maxNumBatchRequests ?? DEFAULT_MAX_BATCH,
      callTimeoutMs: options.callTimeoutMs,
    });
    this.#egress = new EgressSinks(this.#module, options.egresses ?? []);
    this.#delayed = new DelayedMessages(this.#scheduler, (m) => this.#enqueue(m.to, { caller: m.from, value: m.value }));
    const maxAttempts = options.deadLetters === undefined ? undefined : (options.deadLetters.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    if (maxAttempts !== undefined && (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)) {
      throw new RangeError(`deadLetters.maxAttempts must be a whole number of at least 1, got ${String(maxAttempts)}`);
    }
    this.#maxAttempts = maxAttempts;
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

  /** `virtual`: time moves with `advance()`, from `startTime`; `real`: the wall clock. */
  get clock(): "virtual" | "real" {
    return this.#scheduler.virtual ? "virtual" : "real";
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

  /** Takes the oldest unread record written to a Kafka topic, by any Kafka egress (as `GET :8092/kafka/<topic>` does). */
  takeKafkaRecord(topic: string): KafkaRecord | undefined {
    return this.#egress.takeRecord("kafka", topic);
  }

  /** Takes the oldest unread record written to a Kinesis stream, by any Kinesis egress (as `GET :8092/kinesis/<stream>` does). */
  takeKinesisRecord(stream: string): KinesisRecord | undefined {
    return this.#egress.takeRecord("kinesis", stream);
  }

  /** Everything that happened, in order. */
  get log(): readonly RuntimeEvent[] {
    return this.#events;
  }

  /** Every request/reply exchange, for `replay` (also written to `traceFile` when set). */
  get trace(): readonly Exchange[] {
    return this.#exchanges;
  }

  /** The invocations set aside by dead-lettering (see {@link LocalRuntimeOptions.deadLetters}), oldest first. */
  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters.list;
  }

  /**
   * Sends a dead letter again, to the end of its address's queue (with its original caller),
   * and takes it off the list; should it fail again, it becomes a new dead letter.
   * @throws {@link InvalidArgumentError} for an id not on the list;
   *   {@link JobFailedError} when nothing serves its function type any more
   */
  retryDeadLetter(id: number): void {
    this.#throwIfFailed();
    const letter = this.#deadLetters.get(id);
    if (this.#routing.resolve(letter.to.typename) === null) throw this.#routing.noTarget(letter.to.typename);
    this.#deadLetters.delete(id);
    this.#emit({ kind: "dead-letter-retry", at: this.now, id, to: letter.to });
    this.#enqueue(letter.to, { caller: letter.from, value: letter.value });
  }

  /**
   * Drops a dead letter for good.
   * @throws {@link InvalidArgumentError} for an id not on the list
   */
  discardDeadLetter(id: number): void {
    const letter = this.#deadLetters.get(id);
    this.#deadLetters.delete(id);
    this.#emit({ kind: "dead-letter-discard", at: this.now, id, to: letter.to });
  }

  /** Delayed messages still pending. */
  get pendingDelayed(): { from: AddressRef; to: AddressRef; due: number; token?: string }[] {
    return this.#delayed.pending.map(({ from, to, due, token }) => ({ from, to, due, ...(token !== undefined ? { token } : {}) }));
  }

  /**
   * Calls `listener` with every event from now on, synchronously as it happens (as the
   * `onEvent` option does); returns what unsubscribes it.
   */
  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every address the runtime knows (sent a message, or holding state), in the order first seen. */
  addresses(): AddressRef[] {
    const seen = new Map<string, AddressRef>();
    for (const box of this.#mailboxes.all()) seen.set(box.key, box.ref);
    for (const key of this.#store.addresses()) if (!seen.has(key)) seen.set(key, refOfKey(key));
    return [...seen.values()];
  }

  /**
   * An address now: its states (as stored; {@link LocalRuntime.state} decodes one), the
   * messages queued for it and those of its request in flight, and the delayed messages
   * pending to it or sent by it. An address the runtime does not know has none of them.
   */
  inspectAddress(typename: string, id: string): AddressInspection {
    const address = { typename, id };
    const box = this.#mailboxes.peek(address);
    const message = (p: Pending): QueuedMessage => ({ from: p.caller, value: p.value });
    return {
      address,
      states: this.#store.inspect(typename, addressKey(address), this.now),
      queued: (box?.pending ?? []).map(message),
      inFlight: (box?.inFlight ?? []).map(message),
      ...(box?.inFlight != null ? { inFlightBatch: box.batch } : {}),
      delayed: this.#delayed.pending
        .filter((d) => sameAddress(d.to, address) || sameAddress(d.from, address))
        .map(({ from, to, due, token, value }) => ({ from, to, due, ...(token !== undefined ? { token } : {}), value })),
    };
  }

  /**
   * Every function type the runtime knows: those bound in-process (in binding order), then
   * those it has seen (sent a message, or registering states), with where their requests go,
   * their states (declared, registered, or both) and the message types their handlers take.
   */
  functions(): FunctionInspection[] {
    const types = new Set(this.#routing.inProcessTypes);
    for (const ref of this.addresses()) types.add(ref.typename);
    for (const typename of this.#store.functionTypes()) types.add(typename);
    return [...types].map((typename) => this.#inspectFunction(typename));
  }

  /** The routing table: each function type or pattern, in the order they are matched, and where it goes. */
  routes(): RoutingRow[] {
    return this.#routing.table();
  }

  /** The egresses functions may write to (the module's and the `egresses` option's). */
  egresses(): EgressInspection[] {
    return this.#egress.declared();
  }

  /**
   * Opens the inspector, the web UI `statefun dev` serves, on this runtime: its functions and
   * the graph of their traffic, every address with its state, queues and delayed messages, the
   * events as a timeline, egress records and dead letters, live, with a form to send messages
   * and buttons to retry or discard dead letters. Resolves with its URL (called again, with the
   * same one); {@link LocalRuntime.close} closes it.
   * @throws {@link ListenError} when it cannot listen on the port asked for
   */
  inspect(options: InspectOptions = {}): Promise<string> {
    if (this.#closed) return Promise.reject(new Error("inspect(): the runtime is closed"));
    if (this.#inspector === undefined) {
      const started = startInspector(liveSource(this, options.title), options);
      this.#inspector = started;
      // A failed start (a port taken) may be tried again.
      started.catch(() => {
        if (this.#inspector === started) this.#inspector = undefined;
      });
    }
    return this.#inspector.then((inspector) => inspector.url);
  }

  #inspectFunction(typename: string): FunctionInspection {
    const spec = this.#routing.inProcessSpec(typename);
    const registered = this.#store.registered(typename);
    const states: FunctionStateInspection[] = registered.map((r) => {
      const declared = spec?.valueSpecs.find((v) => v.name === r.name && v.type.typename === r.typename);
      const expiration = expirationOf(r);
      return { name: r.name, typename: r.typename, ...(expiration ? { expiration } : {}), ...(declared ? { type: declared.type } : {}), registered: true };
    });
    for (const v of spec?.valueSpecs ?? []) {
      if (registered.some((r) => r.name === v.name)) continue;
      const expiration = expirationOf(registrationOf(v.wireSpec));
      states.push({ name: v.name, typename: v.type.typename, ...(expiration ? { expiration } : {}), type: v.type, registered: false });
    }
    return {
      typename,
      target: this.#routing.resolve(typename)?.target.description ?? null,
      states,
      messageTypes: spec?.messageTypes.handled ?? [],
      takesAnyMessage: spec?.messageTypes.others ?? true,
    };
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
   * and in-flight messages, delayed messages, unread playground, Kafka and Kinesis records, and
   * dead letters.
   */
  saveState(): SavedRuntimeState {
    return { ...saveCheckpoint(this.#takeCheckpoint(), this.now), deadLetters: saveDeadLetters(this.#deadLetters.list) };
  }

  /** Restores what {@link LocalRuntime.saveState} saved, as after a crash: no state registered yet. */
  loadState(saved: SavedRuntimeState): void {
    this.#checkpoint = loadCheckpoint(saved, this.now, this.#ingressLog.length);
    this.#deadLetters.restore(loadDeadLetters(saved.deadLetters ?? []));
    this.#restore(this.#checkpoint, false);
  }

  /**
   * Stops the runtime: timers stopped, connections to remote endpoints closed, and nothing more
   * delivered or applied (requests in flight are let go unanswered; saved state has them queued).
   */
  close(): void {
    this.#closed = true;
    void this.#inspector?.then(
      (inspector) => inspector.close(),
      () => undefined,
    );
    this.#inspector = undefined;
    this.#generation++;
    this.#active = 0;
    this.#scheduler.clear();
    this.#routing.close();
    this.#changed();
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
    this.#bootstrapped.clear();
    this.#awaitingBootstrap.clear();
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
    if (this.#failure !== null || this.#closed) return;
    for (let box = this.#mailboxes.nextReady(); box !== undefined; box = this.#mailboxes.nextReady()) {
      const route = this.#routing.resolve(box.ref.typename);
      if (route === null) {
        const problem = this.#routing.noTarget(box.ref.typename).message;
        if (this.#maxAttempts === undefined) {
          this.#fail(problem);
          return;
        }
        // Its function is gone (a reload dropped it): its messages are set aside, to be sent again once it is back.
        box.inFlight = box.pending.splice(0);
        for (const p of [...box.inFlight]) this.#deadLetter(box, p, { problem, jobFailure: problem, error: undefined, attempts: 0 });
        this.#mailboxes.settled(box);
        continue;
      }
      const waiting = this.#bootstrapped.has(box.ref.typename) ? undefined : this.#awaitingBootstrap.get(box.ref.typename);
      if (waiting !== undefined) {
        waiting.add(box);
        continue;
      }
      if (!this.#bootstrapped.has(box.ref.typename)) this.#awaitingBootstrap.set(box.ref.typename, new Set());
      box.inFlight = box.pending.splice(0, route.maxBatch);
      box.batch = ++this.#requests;
      this.#active++;
      void this.#run(box, route, this.#generation);
    }
  }

  /**
   * One batch to one address, from first attempt to applied reply, or to a job failure. With
   * dead letters on, a batch that fails is sent again one invocation per request, in order: the
   * ones that succeed are applied, and each that fails alone is set aside.
   */
  async #run(box: Mailbox, route: Route, generation: number): Promise<void> {
    const batch = [...(box.inFlight as Pending[])];
    const id = box.batch;
    for (const p of batch) this.#emit({ kind: "deliver", at: this.now, batch: id, to: box.ref, from: p.caller, value: p.value });
    try {
      const outcome = await this.#attempts(box, route, batch, id, generation);
      if (outcome === undefined || outcome.ok) return;
      if (this.#maxAttempts === undefined) throw new JobFailedError(outcome.jobFailure, { cause: outcome.error });
      if (batch.length === 1) {
        this.#deadLetter(box, batch[0], outcome);
        return;
      }
      for (const p of batch) {
        const alone = await this.#attempts(box, route, [p], id, generation);
        if (alone === undefined) return;
        if (!alone.ok) this.#deadLetter(box, p, alone);
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      if (e instanceof JobFailedError) this.#fail(e.message, e.cause);
      else this.#fail(`runtime error: ${(e as Error).stack ?? String(e)}`);
    } finally {
      if (generation === this.#generation) {
        this.#active--;
        this.#bootstrapDone(box.ref.typename);
        this.#mailboxes.settled(box);
        this.#changed();
        this.#pump();
      }
    }
  }

  /**
   * Sends `batch` (the first invocations in flight at `box`) until its reply is applied or the
   * runtime gives up on it, as the cluster does: missing states are registered and the batch
   * sent again; a failure is retried with backoff (4 ms on the async transport, 10 ms on okhttp,
   * doubling) within the call timeout (on okhttp, a 4xx other than 408/409/420/429/499 is not),
   * and, with dead letters on, at most `maxAttempts` times in all. A reply is checked whole
   * before any of it is applied, so one the cluster would refuse changes nothing. Resolves with
   * how it ended, or undefined when that no longer matters (the runtime restored, failed or closed).
   * @param id - the batch's number, for its events
   */
  async #attempts(box: Mailbox, route: Route, batch: readonly Pending[], id: number, generation: number): Promise<Attempted | undefined> {
    const functionType = box.ref.typename;
    const where = `${formatAddress(box.ref)} (${route.target.description})`;
    const timeoutMs = route.callTimeoutMs;
    const started = this.now;
    let backoff = INITIAL_BACKOFF_MS[route.transport];
    let attempt = 0;
    let failures = 0;
    /** A reply the cluster would fail the job on: not worth sending again. */
    const refused = (reason: string): Attempted => ({ ok: false, problem: reason, jobFailure: reason, error: undefined, attempts: failures + 1 });
    for (;;) {
      attempt++;
      const { request, carried } = this.#request(box, batch);
      const remainingMs = Math.max(1, timeoutMs - (this.now - started));
      if (this.#take(this.#duplicate, functionType)) {
        this.#emit({ kind: "fault", at: this.now, batch: id, to: box.ref, fault: "duplicate" });
        const first = await route.target.invoke(request, remainingMs);
        if (this.#stale(generation)) return undefined;
        this.#record(box, attempt, request, first.ok ? first.body : null, first.ok ? "dropped (duplicate delivery)" : first.reason);
      }
      const outcome = await route.target.invoke(request, remainingMs);
      if (this.#stale(generation)) return undefined;
      let reply: WireFromFunction | null = null;
      let problem: string | null = null;
      let retryable = true;
      let error: unknown;
      if (!outcome.ok) {
        problem = outcome.code === undefined ? outcome.reason : unreachable(route, outcome.reason);
        retryable = outcome.retryable;
        error = outcome.error;
      } else if (this.#take(this.#loseReply, functionType)) {
        this.#emit({ kind: "fault", at: this.now, batch: id, to: box.ref, fault: "lost-reply" });
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
          const resent = missing.find((spec) => carried.has(spec.stateName));
          if (resent !== undefined) {
            return refused(
              `${formatAddress(box.ref)} reports state "${resent.stateName}" missing although the request carried it; ` +
                "the cluster would re-send the batch forever",
            );
          }
          try {
            for (const spec of missing) this.#store.register(functionType, spec);
          } catch (e) {
            if (e instanceof JobFailedError) return refused(e.message);
            throw e;
          }
          this.#emit({ kind: "register", at: this.now, batch: id, functionType, states: missing.map((s) => s.stateName) });
          // The states are registered: the type's other addresses go ahead, after the batch is sent
          // again (the cluster re-sends it while handling this answer, before anything else).
          if (this.#bootstrapDone(functionType)) queueMicrotask(() => this.#pump());
          continue;
        }
        if (!reply.invocationResult) return refused(`${formatAddress(box.ref)} answered a FromFunction with neither a result nor missing states`);
        let apply: () => void;
        try {
          apply = this.#checked(box, reply.invocationResult, id);
        } catch (e) {
          if (e instanceof JobFailedError) return refused(e.message);
          throw e;
        }
        (box.inFlight as Pending[]).splice(0, batch.length);
        apply();
        return { ok: true };
      }
      failures++;
      const gaveUp = (jobFailure: string): Attempted => ({ ok: false, problem: problem ?? "", jobFailure, error, attempts: failures });
      // Only the okhttp transport gives up on a status; the async one (the default) retries any.
      if (!retryable && route.transport === "okhttp") return gaveUp(`${where} failed and the cluster does not retry this: ${problem}`);
      if (this.now - started + backoff > timeoutMs) return gaveUp(`${where} kept failing for ${timeoutMs} ms of retries; last: ${problem}`);
      if (this.#maxAttempts !== undefined && failures >= this.#maxAttempts) return gaveUp(`${where} failed ${failures} times; last: ${problem}`);
      this.#emit({ kind: "retry", at: this.now, batch: id, to: box.ref, attempt: attempt + 1, reason: problem ?? "", backoffMs: backoff });
      await this.#sleep(backoff);
      if (this.#stale(generation)) return undefined;
      backoff *= 2;
    }
  }

  /** Sets aside the first invocation in flight at `box` after it failed alone. */
  #deadLetter(box: Mailbox, pending: Pending, failure: Failure): void {
    (box.inFlight as Pending[]).splice(0, 1);
    const stack = functionStack(failure.error);
    const letter = this.#deadLetters.add({
      at: this.now,
      to: box.ref,
      from: pending.caller,
      value: pending.value,
      attempts: failure.attempts,
      error: failure.problem,
      ...(stack !== undefined ? { stack } : {}),
    });
    this.#emit({ kind: "dead-letter", ...letter });
  }

  /**
   * The first request of `functionType` was answered: the addresses that waited for it are
   * ready again. Whether this was that first answer.
   */
  #bootstrapDone(functionType: string): boolean {
    if (this.#bootstrapped.has(functionType)) return false;
    this.#bootstrapped.add(functionType);
    for (const box of this.#awaitingBootstrap.get(functionType) ?? []) this.#mailboxes.settled(box);
    this.#awaitingBootstrap.delete(functionType);
    return true;
  }

  /** Whether a request's outcome no longer matters: the runtime restored or closed, or the job failed. */
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
  #request(box: Mailbox, batch: readonly Pending[]): { request: Buffer; carried: Set<string> } {
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

  /**
   * Checks a reply whole, as the cluster would apply it, and returns what applies it in the
   * cluster's order (messages, delayed messages, egress, state), which can then no longer fail.
   * @param batch - the batch's number, for the events of what it applies
   * @throws {@link JobFailedError} where the cluster would fail the job on the reply
   */
  #checked(box: Mailbox, result: WireInvocationResponse, batch: number): () => void {
    const from = box.ref;
    const served = (to: AddressRef): AddressRef => {
      if (this.#routing.resolve(to.typename) === null) throw this.#routing.noTarget(to.typename);
      return to;
    };
    const messages = (result.outgoingMessages ?? []).map((m) => ({ to: served(refFromWire(m.target)), value: m.argument }));
    // The tokens pending in the sender's scope as each delayed message of the reply is applied.
    const scheduled = new Set<string>();
    const cancelled = new Set<string>();
    const delayed = (result.delayedInvocations ?? []).map((d): { cancel: string } | { message: Omit<DelayedMessage, "due">; delay: number } => {
      if (d.isCancellationRequest) {
        const token = d.cancellationToken ?? "";
        scheduled.delete(token);
        cancelled.add(token);
        return { cancel: token };
      }
      const delay = Number(d.delayInMs ?? 0);
      if (!Number.isInteger(delay) || delay < 0) {
        throw new JobFailedError(`${formatAddress(from)} sent a delayed message with delay ${delay} ms; the cluster fails the job on a negative delay`);
      }
      if (!d.target || !d.argument) throw new JobFailedError(`${formatAddress(from)} sent a delayed message without a target or value`);
      const to = served(refFromWire(d.target));
      const token = d.cancellationToken || undefined;
      if (token !== undefined) {
        if (scheduled.has(token) || (!cancelled.has(token) && this.#delayed.pendingWith(from, token))) {
          throw new JobFailedError(
            `${formatAddress(from)} sent a delayed message with cancellation token ${quote(token)} while another with ` +
              `that token is pending from id ${quote(from.id)} (the cluster scopes tokens to the sender's id, of any ` +
              "function type); the cluster fails the job on a duplicate pending token",
          );
        }
        scheduled.add(token);
      }
      return { message: { from, to, value: d.argument, ...(token !== undefined ? { token } : {}) }, delay };
    });
    const egress = (result.outgoingEgresses ?? []).map((e) => {
      const id = `${e.egressNamespace}/${e.egressType}`;
      return { id, record: this.#egress.check(from, id, e.argument) };
    });
    const mutations = result.stateMutations ?? [];
    for (const m of mutations) this.#store.check(from.typename, m);

    return () => {
      const at = this.now;
      for (const { to, value } of messages) {
        this.#emit({ kind: "message", at, batch, from, to, value });
        this.#enqueue(to, { caller: from, value });
      }
      for (const d of delayed) {
        if ("cancel" in d) {
          this.#emit({ kind: "cancel", at, batch, from, token: d.cancel, cancelled: this.#delayed.cancel(from, d.cancel) });
          continue;
        }
        const message: DelayedMessage = { ...d.message, due: at + d.delay };
        this.#delayed.schedule(message);
        const { to, token, value, due } = message;
        this.#emit({ kind: "delayed", at, batch, from, to, dueAt: due, ...(token !== undefined ? { token } : {}), value });
      }
      for (const { id, record } of egress) {
        this.#egress.append(id, record);
        this.#emit({ kind: "egress", at, batch, from, egress: id, record });
      }
      for (const m of mutations) {
        this.#store.apply(from.typename, box.key, m, at);
        const deleted = (m.mutationType ?? 0) === 0;
        this.#emit({ kind: "state", at, batch, address: from, name: m.stateName, value: deleted ? null : (m.stateValue as WireTypedValue) });
      }
    };
  }

  // ----------------------------------------------------------------------------------------
  // Bookkeeping
  // ----------------------------------------------------------------------------------------

  #emit(event: RuntimeEvent): void {
    this.#events.push(event);
    this.#onEvent?.(event);
    for (const listener of this.#listeners) listener(event);
  }

  #fail(reason: string, cause?: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = new JobFailedError(reason, cause === undefined ? undefined : { cause });
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

/**
 * Where a runtime sends each function type (for the module's I/O servers and `statefun dev`:
 * the routing table, "did you mean" for an unknown type, and reloading in-process functions).
 */
export function routingOf(rt: LocalRuntime): Routing {
  return routingOfRuntime(rt);
}
