/**
 * Where each function type's requests go: an in-process StateFun that binds it, else an endpoint
 * given in the runtime's options (they override the module's, as `statefun dev --endpoint`
 * does), else the module's endpoint covering it. An endpoint naming the type exactly wins over a
 * `<namespace>/*` one, as in the cluster. Resolved once per type; a type nothing serves fails
 * the job, as in the cluster.
 */
import { parseTypeName } from "../base/address";
import { JobFailedError } from "../base/errors";
import { didYouMean } from "../base/suggest";
import { endpointOf, type StateFun } from "../api/statefun";
import { endpointFor, endpointUrl, matchesFunctionPattern, OKHTTP_TRANSPORT, type EndpointComponent, type StateFunModule } from "../module";
import type { FunctionSpec } from "../invoke/function-spec";
import type { Type } from "../serde/type";
import { InProcessTarget, RemoteTarget, type FunctionTarget } from "./targets";

/** An endpoint serving function types over HTTP (any SDK, any language). */
export interface EndpointOptions {
  /** `<namespace>/<name>` or `<namespace>/*`. */
  functions: string;
  /** The URL the runtime POSTs to; `{function.name}` is replaced by the function type's name. */
  url: string;
  /** Largest batch per request; default the module endpoint's covering the type, else the runtime's. */
  maxNumBatchRequests?: number;
  /**
   * The cluster transport whose retry policy applies: `async` (the default, as in module.yaml)
   * retries every failed request until the call timeout; `okhttp` fails the job at once on a
   * 4xx other than 408, 409, 420, 429 and 499.
   */
  transport?: TransportKind;
}

/** The cluster's two HTTP transports, by their retry policies (test/cluster's StatusPolicyTest measures both). */
export type TransportKind = "async" | "okhttp";

/** Where a function type's batches go, and how large they may be. */
export interface Route {
  readonly target: FunctionTarget;
  readonly maxBatch: number;
  /** How long a request is retried before the cluster would fail the job. */
  readonly callTimeoutMs: number;
  /** Whose retry policy and backoff apply. */
  readonly transport: TransportKind;
  /** The endpoint a remote target comes from, for messages about it. */
  readonly endpoint?: { readonly functions: string; readonly declaredIn: string };
}

/** One row of the routing table, in the order function types are matched against it. */
export interface RoutingRow {
  /** A function type, or an endpoint's pattern. */
  readonly functions: string;
  /** `in-process`, or the URL template requests are posted to. */
  readonly target: string;
  /** Where the row comes from: `functions` (an in-process StateFun), `endpoints` (the options), or the module file. */
  readonly from: string;
}

/** How long the runtime retries a request when neither the options nor a module endpoint say. */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/** Options of {@link Routing} besides the targets. */
export interface RoutingDefaults {
  readonly maxBatch: number;
  /** Overrides every endpoint's call timeout. */
  readonly callTimeoutMs: number | undefined;
}

export class Routing {
  #inProcess: readonly StateFun[];
  readonly #module: StateFunModule | undefined;
  readonly #endpoints: readonly EndpointOptions[];
  readonly #defaults: RoutingDefaults;
  readonly #routes = new Map<string, Route | null>();
  readonly #remotes = new Map<string, RemoteTarget>();

  constructor(inProcess: readonly StateFun[], module: StateFunModule | undefined, endpoints: readonly EndpointOptions[], defaults: RoutingDefaults) {
    this.#inProcess = inProcess;
    this.#module = module;
    this.#endpoints = endpoints;
    this.#defaults = defaults;
  }

  /** The route of a function type; null when nothing serves it. */
  resolve(functionType: string): Route | null {
    const cached = this.#routes.get(functionType);
    if (cached !== undefined) return cached;
    const route = this.#find(functionType);
    this.#routes.set(functionType, route);
    return route;
  }

  /**
   * Serves these StateFun instances in-process instead (a reload): routes are resolved afresh,
   * and requests already sent finish with the functions they were sent to.
   */
  replaceInProcess(functions: readonly StateFun[]): void {
    this.#inProcess = functions;
    this.#routes.clear();
  }

  /** The function types the in-process StateFun instances bind. */
  get inProcessTypes(): string[] {
    return this.#inProcess.flatMap((sf) => sf.functionTypes);
  }

  /** Every route, in the order a function type is matched against them. */
  table(): RoutingRow[] {
    const options = [...this.#endpoints].sort((a, b) => Number(isPattern(a.functions)) - Number(isPattern(b.functions)));
    return [
      ...this.inProcessTypes.map((functions) => ({ functions, target: "in-process", from: "functions" })),
      ...options.map((e) => ({ functions: e.functions, target: e.url, from: "endpoints" })),
      ...(this.#module?.endpoints ?? []).map((e) => ({ functions: e.functions, target: e.urlPathTemplate, from: this.#module?.file ?? "module" })),
    ];
  }

  /** The declared type of an in-process function's state, for decoding its value. */
  stateType(functionType: string, name: string): Type<unknown> | undefined {
    return this.inProcessSpec(functionType)?.valueSpecs.find((s) => s.name === name)?.type;
  }

  /** The in-process function bound to a type, as bound (its states and the message types it takes). */
  inProcessSpec(functionType: string): FunctionSpec | undefined {
    for (const sf of this.#inProcess) {
      const spec = endpointOf(sf).functionOf(functionType);
      if (spec !== undefined) return spec;
    }
    return undefined;
  }

  /** `; did you mean example/person?` when a served type is close to `functionType`, else "". */
  suggestion(functionType: string): string {
    const named = this.table().map((row) => row.functions).filter((f) => !isPattern(f));
    return didYouMean(functionType, named, (t) => t);
  }

  /** Why a message to a function type nothing serves fails the job. */
  noTarget(functionType: string): JobFailedError {
    return new JobFailedError(
      `no function type ${functionType} is served${this.suggestion(functionType)}: bind it on a StateFun passed as \`functions\`, or cover it with an ` +
        "endpoint (module.yaml or `endpoints`); the cluster fails the job on a message to an unknown function type",
    );
  }

  /** Closes the connections to remote endpoints. */
  close(): void {
    for (const remote of this.#remotes.values()) remote.close();
  }

  #find(functionType: string): Route | null {
    const declared = this.#module ? endpointFor(this.#module, functionType) : undefined;
    const callTimeoutMs = this.#defaults.callTimeoutMs ?? declared?.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const maxBatch = declared?.maxNumBatchRequests ?? this.#defaults.maxBatch;
    const transport: TransportKind = declared?.transport === OKHTTP_TRANSPORT ? "okhttp" : "async";
    const sf = this.#inProcess.find((s) => endpointOf(s).functionOf(functionType) !== undefined);
    if (sf !== undefined) return { target: new InProcessTarget(sf), maxBatch, callTimeoutMs, transport };
    const option =
      this.#endpoints.find((e) => e.functions === functionType) ?? this.#endpoints.find((e) => matchesFunctionPattern(e.functions, functionType));
    if (option !== undefined) {
      const url = option.url.replace(/\{function\.name\}/g, parseTypeName(functionType).name);
      const endpoint = { functions: option.functions, declaredIn: "the runtime's endpoints" };
      return { target: this.#remote(url), maxBatch: option.maxNumBatchRequests ?? maxBatch, callTimeoutMs, transport: option.transport ?? "async", endpoint };
    }
    if (declared === undefined) return null;
    return { target: this.#remote(endpointUrl(declared, functionType)), maxBatch, callTimeoutMs, transport, endpoint: this.#declaredIn(declared) };
  }

  #declaredIn(endpoint: EndpointComponent): { functions: string; declaredIn: string } {
    return { functions: endpoint.functions, declaredIn: `${this.#module?.file ?? "the module"}:${endpoint.position.line}` };
  }

  #remote(url: string): RemoteTarget {
    let remote = this.#remotes.get(url);
    if (remote === undefined) this.#remotes.set(url, (remote = new RemoteTarget(url)));
    return remote;
  }
}

function isPattern(functions: string): boolean {
  return functions.endsWith("/*");
}

/**
 * What to say when an endpoint cannot be reached (its host unknown, nothing listening): which
 * endpoint it is, and how to point it at where the functions run instead.
 */
export function unreachable(route: Route, problem: string): string {
  const endpoint = route.endpoint;
  if (endpoint === undefined) return problem;
  // The URL was posted to, so it parses.
  const url = route.target.description;
  const local = new URL(url);
  local.hostname = "localhost";
  return (
    `${problem}: cannot reach ${url}, the endpoint for ${endpoint.functions} (${endpoint.declaredIn}); if its functions run ` +
    `elsewhere, point the endpoint there: statefun dev --endpoint '${endpoint.functions}=${local.href}' ` +
    `(LocalRuntime: endpoints: [{ functions: "${endpoint.functions}", url }])`
  );
}
