/**
 * Answering over node:http: reads the body (bounded, decoded), runs it through the endpoint,
 * and answers 200 with the reply bytes or a status with a plain-text reason. Every failure is
 * logged once. Shared by `sf.handler()`, `serve()` and the express adapter.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  FunctionInvocationError,
  MalformedRequestError,
  RequestRejectedError,
  StateFunError,
  UnknownFunctionError,
} from "../base/errors";
import type { Logger } from "../base/logger";
import { clip } from "../base/text";
import { pathOf } from "../base/url";
import type { Endpoint } from "../invoke/endpoint";
import { readBody, refuseUnread, type BodySink } from "./body";
import type { EndpointMetrics } from "./metrics";

/** What answering a request needs: the endpoint, where failures go, and the server's limits. */
export interface HttpServing {
  readonly endpoint: Endpoint;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Counts every request (serve() has them on). */
  readonly metrics?: EndpointMetrics;
  /** True once the server is shutting down: answers then close their connection. */
  readonly closing?: () => boolean;
}

const OCTET_STREAM = "application/octet-stream";

function reply(res: ServerResponse, bytes: Buffer, serving: HttpServing): void {
  if (serving.closing?.()) res.setHeader("Connection", "close");
  // The runtime compares the whole Content-Type: exactly this, no charset.
  res.writeHead(200, { "Content-Type": OCTET_STREAM, "Content-Length": bytes.length });
  res.end(bytes);
}

/** The status an error is answered with, and the fields it is logged with. */
export function describeFailure(error: unknown): { status: number; fields: Record<string, unknown> } {
  if (error instanceof FunctionInvocationError) {
    const cause = error.cause instanceof Error ? error.cause.stack : String(error.cause);
    return { status: 500, fields: { functionType: error.functionType, id: clip(error.id), stage: error.stage, cause } };
  }
  if (error instanceof UnknownFunctionError || error instanceof MalformedRequestError) {
    const fields: Record<string, unknown> = {};
    if (error.functionType !== undefined) fields.functionType = clip(error.functionType);
    if (error.id !== undefined) fields.id = clip(error.id);
    return { status: error.httpStatus, fields };
  }
  if (error instanceof StateFunError && "httpStatus" in error && typeof error.httpStatus === "number") {
    return { status: error.httpStatus, fields: {} };
  }
  return { status: 500, fields: { stack: error instanceof Error ? error.stack : String(error) } };
}

/** Answers `status` with a plain-text body. */
export function answerText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text + "\n", "utf8");
  res.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length });
  res.end(body);
}

/** Logs a failure once and answers it with its status and message. */
export function fail(res: ServerResponse, error: unknown, serving: HttpServing, method?: string, url?: string): void {
  const { status, fields } = describeFailure(error);
  const message = error instanceof Error ? error.message : String(error);
  const logged = { status, ...(method ? { method, url } : {}), ...fields };
  if (status >= 500) serving.logger.error(logged, message);
  else serving.logger.warn(logged, message);
  if (error instanceof RequestRejectedError) serving.metrics?.rejected(status);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (serving.closing?.()) res.setHeader("Connection", "close");
  answerText(res, status, message, status === 405 ? { Allow: "POST" } : {});
}

/** The refusal of a request that is not a POST: the function endpoint takes only a POSTed ToFunction. */
export function notPost(method: string, path: string): RequestRejectedError {
  return new RequestRejectedError(405, `${method} ${path}: the function endpoint only takes POST (a ToFunction body)`);
}

/**
 * Runs a body through the request path and answers. Returns a promise only when a function
 * was asynchronous.
 */
export function answerBody(body: Buffer, res: ServerResponse, serving: HttpServing): void | Promise<void> {
  const metrics = serving.metrics;
  metrics?.inFlight(1);
  let result: Buffer | Promise<Buffer>;
  try {
    result = serving.endpoint.handle(body, metrics?.report);
  } catch (e) {
    metrics?.inFlight(-1);
    fail(res, e, serving);
    return;
  }
  if (result instanceof Promise) {
    return result.then(
      (bytes) => {
        metrics?.inFlight(-1);
        reply(res, bytes, serving);
      },
      (e: unknown) => {
        metrics?.inFlight(-1);
        fail(res, e, serving);
      },
    );
  }
  metrics?.inFlight(-1);
  reply(res, result, serving);
}

/** One request being answered: where its body goes once read. */
class Answer implements BodySink {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly serving: HttpServing,
    readonly done: (() => void) | undefined,
  ) {}

  body(body: Buffer): void {
    const pending = answerBody(body, this.res, this.serving);
    const done = this.done;
    if (done === undefined) return;
    if (pending) void pending.then(done);
    else done();
  }

  refused(error: RequestRejectedError): void {
    const { req, res, serving } = this;
    refuseUnread(req, () => fail(res, error, serving, req.method, req.url));
    this.done?.();
  }
}

const DONE = Symbol("statefun-ts answer done");

/** An aborted upload is an 'error' on the request: with nothing left to answer, it is done. */
function onAborted(this: IncomingMessage & { [DONE]?: () => void }): void {
  this[DONE]?.();
}

/**
 * Handles one HTTP request whose body is the `ToFunction`. `done` is called once the answer is
 * written, or when the client went away before there was anything to answer.
 */
export function serveRequest(req: IncomingMessage, res: ServerResponse, serving: HttpServing, done?: () => void): void {
  if (done !== undefined) {
    (req as IncomingMessage & { [DONE]?: () => void })[DONE] = done;
    req.once("error", onAborted);
  }
  // Request-like streams from other frameworks may carry no method; only a stated one is refused.
  const method = req.method;
  if (method !== undefined && method !== "POST") {
    refuseUnread(req, () => fail(res, notPost(method, pathOf(req.url)), serving, method, req.url));
    done?.();
    return;
  }
  readBody(req, serving.maxBodyBytes, new Answer(req, res, serving, done));
}

/** {@link serveRequest} as a promise, for the official `handle(req, res)` shape. */
export function handleHttp(req: IncomingMessage, res: ServerResponse, serving: HttpServing): Promise<void> {
  return new Promise<void>((resolve) => serveRequest(req, res, serving, () => resolve()));
}
