import { didYouMean } from "./suggest";
import { clip, listOf, quote } from "./text";

/**
 * Every error the SDK raises is a {@link StateFunError}. Three of them are what
 * `handleRequest` throws, and each carries the HTTP status a server should answer with:
 * {@link MalformedRequestError} (400), {@link UnknownFunctionError} (404) and
 * {@link FunctionInvocationError} (500): a request that can never succeed is a 4xx and a failing
 * function is a 500. (The cluster's default transport retries both until its call timeout; the
 * okhttp transport fails the job at once on a 4xx: see the README's status-code section.)
 */
export class StateFunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request body is not a usable `ToFunction` (HTTP 400). */
export class MalformedRequestError extends StateFunError {
  /** The HTTP status a server answers with. */
  readonly httpStatus = 400;

  constructor(
    message: string,
    /** The target's function type, when the request names one. */
    readonly functionType?: string,
    /** The target's id, when the request names one. */
    readonly id?: string,
  ) {
    super(message);
  }
}

/** The request targets a function type that is not bound (HTTP 404). */
export class UnknownFunctionError extends StateFunError {
  /** The HTTP status a server answers with. */
  readonly httpStatus = 404;

  constructor(
    /** The requested function type, `namespace/name`. */
    readonly functionType: string,
    /** The function types bound on this StateFun instance. */
    readonly boundTypes: readonly string[],
    /** The requested id. */
    readonly id?: string,
  ) {
    super(
      `no function is bound to ${quote(functionType)}; bound types: ${listOf(boundTypes, "(none)")}` +
        `${didYouMean(functionType, boundTypes, (t) => t)}. Bind it with sf.bind({ typename: ${quote(functionType)}, fn }) or fix the ` +
        `endpoint's functions pattern in module.yaml`,
    );
  }
}

/**
 * A bound function threw or rejected while running a batch, or one of its values could not be
 * encoded (HTTP 500: the cluster retries the batch). Nothing of the batch is applied.
 */
export class FunctionInvocationError extends StateFunError {
  /** The HTTP status a server answers with. */
  readonly httpStatus = 500;

  constructor(
    /** The function type, `namespace/name`. */
    readonly functionType: string,
    /** The id of the address the batch was for. */
    readonly id: string,
    /** What the function threw (or the encoding failure). */
    override readonly cause: unknown,
    /** Where it happened, e.g. "invocation 3 of 5". */
    readonly stage: string,
  ) {
    super(
      `function ${clip(functionType)}(${quote(id)}) failed at ${stage}: ${clip(causeMessage(cause), MESSAGE_CHARS)}`,
      { cause },
    );
  }
}

/**
 * An HTTP request refused before it reached the request path: a wrong method (405), a body
 * over the size limit (413) or a `Content-Encoding` that cannot be decoded (415; a body that is
 * not valid for its encoding is a 400). None can succeed on a retry, so each is a 4xx.
 */
export class RequestRejectedError extends StateFunError {
  constructor(
    /** The HTTP status a server answers with. */
    readonly httpStatus: 400 | 405 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** A function or state was declared wrongly (raised by `bind`). */
export class ConfigurationError extends StateFunError {}

/** An SDK call got an argument it cannot use (raised at the call site). */
export class InvalidArgumentError extends StateFunError {}

/** A state name that the function did not declare was read or written. */
export class StateAccessError extends StateFunError {}

/** A value's typename differs from the type it was read as. */
export class TypeMismatchError extends StateFunError {}

/** A value could not be encoded by, or decoded with, its type. */
export class SerializationError extends StateFunError {}

/**
 * A codec failure re-raised with where it happened (`state "x" of fn("id")`, `a message to ...`),
 * keeping the original as the cause.
 */
export function serializationErrorIn(where: string, e: unknown): SerializationError {
  return new SerializationError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** How much of a function's own error message a FunctionInvocationError repeats. */
const MESSAGE_CHARS = 2_000;

function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name === "Error" ? "" : cause.name + ": "}${cause.message}`;
  return `non-Error value thrown: ${String(cause)}`;
}

/** The cluster would have failed the job (raised by the local runtime): what happened and why. */
export class JobFailedError extends StateFunError {}
