/**
 * Where each function type's requests go: an in-process StateFun that binds it, else the
 * module's endpoint covering it, else an endpoint given in the runtime's options. Resolved once
 * per type; a type nothing serves fails the job, as in the cluster.
 */
import { parseTypeName } from "../base/address";
import { JobFailedError } from "../base/errors";
import { endpointOf, type StateFun } from "../api/statefun";
import { endpointFor, endpointUrl, matchesFunctionPattern, type StateFunModule } from "../module";
import type { Type } from "../serde/type";
import { InProcessTarget, RemoteTarget, type FunctionTarget } from "./targets";

/** An endpoint serving function types over HTTP (any SDK, any language). */
export interface EndpointOptions {
  /** `<namespace>/<name>` or `<namespace>/*`. */
  functions: string;
  /** The URL the runtime POSTs to; `{function.name}` is replaced by the function type's name. */
  url: string;
  /** Largest batch per request; default the runtime's. */
  maxNumBatchRequests?: number;
}

/** Where a function type's batches go, and how large they may be. */
export interface Route {
  readonly target: FunctionTarget;
  readonly maxBatch: number;
}

export class Routing {
  readonly #inProcess: readonly StateFun[];
  readonly #module: StateFunModule | undefined;
  readonly #endpoints: readonly EndpointOptions[];
  readonly #maxBatch: number;
  readonly #routes = new Map<string, Route | null>();
  readonly #remotes = new Map<string, RemoteTarget>();

  constructor(inProcess: readonly StateFun[], module: StateFunModule | undefined, endpoints: readonly EndpointOptions[], maxBatch: number) {
    this.#inProcess = inProcess;
    this.#module = module;
    this.#endpoints = endpoints;
    this.#maxBatch = maxBatch;
  }

  /** The route of a function type; null when nothing serves it. */
  resolve(functionType: string): Route | null {
    const cached = this.#routes.get(functionType);
    if (cached !== undefined) return cached;
    const route = this.#find(functionType);
    this.#routes.set(functionType, route);
    return route;
  }

  /** The declared type of an in-process function's state, for decoding its value. */
  stateType(functionType: string, name: string): Type<unknown> | undefined {
    for (const sf of this.#inProcess) {
      const spec = endpointOf(sf).functionOf(functionType);
      if (spec !== undefined) return spec.valueSpecs.find((s) => s.name === name)?.type;
    }
    return undefined;
  }

  /** Why a message to a function type nothing serves fails the job. */
  noTarget(functionType: string): JobFailedError {
    return new JobFailedError(
      `no function type ${functionType} is served: bind it on a StateFun passed as \`functions\`, or cover it with an ` +
        "endpoint (module.yaml or `endpoints`); the cluster fails the job on a message to an unknown function type",
    );
  }

  /** Closes the connections to remote endpoints. */
  close(): void {
    for (const remote of this.#remotes.values()) remote.close();
  }

  #find(functionType: string): Route | null {
    const sf = this.#inProcess.find((s) => endpointOf(s).functionOf(functionType) !== undefined);
    if (sf !== undefined) return { target: new InProcessTarget(sf), maxBatch: this.#maxBatch };
    const endpoint = this.#module ? endpointFor(this.#module, functionType) : undefined;
    if (endpoint !== undefined) {
      return { target: this.#remote(endpointUrl(endpoint, functionType)), maxBatch: endpoint.maxNumBatchRequests ?? this.#maxBatch };
    }
    const option = this.#endpoints.find((e) => matchesFunctionPattern(e.functions, functionType));
    if (option === undefined) return null;
    const url = option.url.replace(/\{function\.name\}/g, parseTypeName(functionType).name);
    return { target: this.#remote(url), maxBatch: option.maxNumBatchRequests ?? this.#maxBatch };
  }

  #remote(url: string): RemoteTarget {
    let remote = this.#remotes.get(url);
    if (remote === undefined) this.#remotes.set(url, (remote = new RemoteTarget(url)));
    return remote;
  }
}
