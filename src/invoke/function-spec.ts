/**
 * A bound function as the request path sees it: its type, its validated states, the
 * `ctx.storage` proxy handler built for them, and how to run its code for a batch. The public
 * API (`api/`) validates what users pass to `bind` and builds these.
 */
import type { Address } from "../base/address";
import { ConfigurationError } from "../base/errors";
import type { Type } from "../serde/type";
import type { WireAddress, WireTypedValue } from "../wire/codec";
import type { Effects } from "./effects";
import { createStorageHandler, type StorageHandler, type StorageLayout } from "./storage";
import { ValueSpec, type StateSpecInput } from "./value-spec";

/** What one batch gives a function's code: its address, its storage, where effects go, the caller now. */
export interface BatchSession {
  readonly self: Address;
  /** The `ctx.storage` object of the batch. */
  readonly storage: object;
  readonly effects: Effects;
  /** The wire caller of the invocation running; null or all-empty for an ingress message. */
  caller: WireAddress | null | undefined;
  /** The runner's own per-batch object (the API's `Context`), made by the runner on first use. */
  context: object | undefined;
}

/**
 * Runs a function's code on one invocation's argument, within its batch's session (a returned
 * thenable is awaited before the next invocation).
 */
export type FunctionRunner = (session: BatchSession, argument: WireTypedValue) => unknown;

/**
 * The messages a function takes, as bound: only read by tools that list them (the local
 * runtime's inspector offers these types in its send form); the request path never looks.
 */
export interface MessageTypes {
  /** The types its handlers take, one handler each. */
  readonly handled: readonly Type<unknown>[];
  /** Whether it also takes messages of any other type (it has a function for every message). */
  readonly others: boolean;
}

/** A function bound without handlers: one function for every message. */
const ANY_MESSAGE: MessageTypes = { handled: [], others: true };

/** A validated, bound function: what the dispatcher looks up by function type. */
export class FunctionSpec implements StorageLayout {
  /** Index of each state in `valueSpecs`, by name. */
  readonly stateIndex: ReadonlyMap<string, number>;
  /** The `ctx.storage` proxy handler shared by every batch of this function. */
  readonly storageHandler: StorageHandler;

  private constructor(
    /** The function type, `namespace/name`. */
    readonly typename: string,
    /** The function type's namespace. */
    readonly namespace: string,
    /** The function type's name. */
    readonly name: string,
    readonly valueSpecs: readonly ValueSpec[],
    readonly runner: FunctionRunner,
    readonly messageTypes: MessageTypes,
  ) {
    this.stateIndex = new Map(valueSpecs.map((spec, i) => [spec.name, i]));
    this.storageHandler = createStorageHandler(this);
  }

  /**
   * @param type - the function type, already checked to be `namespace/name`
   * @param messageTypes - what its handlers take; by default any message
   * @throws {@link ConfigurationError} on an invalid or repeated state declaration.
   */
  static create(
    type: { typename: string; namespace: string; name: string },
    states: readonly StateSpecInput[],
    runner: FunctionRunner,
    messageTypes: MessageTypes = ANY_MESSAGE,
  ): FunctionSpec {
    const valueSpecs = states.map((s) => ValueSpec.fromInput(s, type.typename));
    const seen = new Set<string>();
    for (const spec of valueSpecs) {
      if (seen.has(spec.name)) {
        throw new ConfigurationError(`bind(): function ${type.typename} declares state "${spec.name}" twice`);
      }
      seen.add(spec.name);
    }
    return new FunctionSpec(type.typename, type.namespace, type.name, valueSpecs, runner, messageTypes);
  }
}
