/**
 * An `Endpoint`: what every adapter (HTTP, express, the local runtime) serves — the bound
 * functions and the bytes-in/bytes-out request path, with a reporting hook. It is frozen and
 * reads the bindings live, so a function bound later is served (and reported) like the rest.
 */
import type { FunctionSpec } from "./function-spec";
import { handleRequestBytes, type BatchReporter } from "./pipeline";
import type { FunctionLookup } from "./registry";

export interface Endpoint {
  /** The bound function types, in binding order. */
  readonly functionTypes: readonly string[];
  /** The function bound to a `namespace/name` type, if any. */
  functionOf(typename: string): FunctionSpec | undefined;
  /**
   * One request: `ToFunction` bytes in, `FromFunction` bytes out (a promise only when a
   * function was asynchronous). Throws a MalformedRequestError, UnknownFunctionError or
   * FunctionInvocationError, each with the HTTP status to answer.
   * @param report - told how the request ended
   */
  handle(body: Uint8Array, report?: BatchReporter): Buffer | Promise<Buffer>;
}

export function createEndpoint(functions: FunctionLookup): Endpoint {
  return Object.freeze({
    get functionTypes(): readonly string[] {
      return functions.types;
    },
    functionOf: (typename: string) => functions.get(typename),
    handle: (body: Uint8Array, report?: BatchReporter) => handleRequestBytes(body, functions, report),
  });
}
