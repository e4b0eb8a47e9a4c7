/**
 * Dispatch: validates a decoded request, finds the function bound to its target and lines the
 * received states up with the function's declared states.
 */
import { Address } from "../base/address";
import { MalformedRequestError, UnknownFunctionError } from "../base/errors";
import type { WireInvocation, WirePersistedValueSpec, WireToFunction, WireTypedValue } from "../wire/codec";
import type { FunctionSpec } from "./function-spec";
import type { FunctionLookup } from "./registry";

/** A batch ready to run. */
export interface RunnableBatch {
  readonly kind: "run";
  readonly fn: FunctionSpec;
  readonly self: Address;
  /** The received value of each declared state, in declaration order (null: no value). */
  readonly stored: (WireTypedValue | null)[];
  readonly invocations: WireInvocation[];
}

/** Declared states the request lacks: the cluster must register them and re-send. */
export interface MissingStates {
  readonly kind: "incomplete";
  /** The target's function type, `namespace/name`. */
  readonly functionType: string;
  readonly missing: WirePersistedValueSpec[];
}

export function dispatch(request: WireToFunction, functions: FunctionLookup): RunnableBatch | MissingStates {
  const batch = request.invocation;
  if (!batch) {
    throw new MalformedRequestError("the request is a ToFunction without an invocation batch");
  }
  const target = batch.target;
  if (!target || !target.namespace || !target.type) {
    throw new MalformedRequestError("the invocation batch has no target function type (namespace and type)");
  }
  const fn = functions.find(target.namespace, target.type);
  if (fn === undefined) {
    throw new UnknownFunctionError(`${target.namespace}/${target.type}`, functions.types, target.id);
  }
  const functionType = fn.typename;
  const self = new Address(target.namespace, target.type, target.id, functionType);

  const invocations = batch.invocations;
  if (invocations.length === 0) {
    throw new MalformedRequestError(`the batch for ${self} has no invocations`, functionType, target.id);
  }
  for (let i = 0; i < invocations.length; i++) {
    if (!invocations[i].argument) {
      throw new MalformedRequestError(
        `invocation ${i + 1} of the batch for ${self} has no argument`,
        functionType,
        target.id,
      );
    }
  }

  const specs = fn.valueSpecs;
  const stored = new Array<WireTypedValue | null | undefined>(specs.length);
  let found = 0;
  for (const state of batch.state) {
    const i = fn.stateIndex.get(state.stateName);
    if (i === undefined) continue; // states the function does not declare are ignored
    if (stored[i] === undefined) found++;
    stored[i] = state.stateValue ?? null;
  }
  if (found < specs.length) {
    const missing: WirePersistedValueSpec[] = [];
    for (let i = 0; i < specs.length; i++) if (stored[i] === undefined) missing.push(specs[i].wireSpec);
    return { kind: "incomplete", functionType, missing };
  }
  return { kind: "run", fn, self, stored: stored as (WireTypedValue | null)[], invocations };
}
