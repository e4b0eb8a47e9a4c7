/**
 * Serves the request path over node:http: reads the body, runs it, answers 200 with the reply
 * bytes or a status with a plain-text reason. Every failure is logged once.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { FunctionInvocationError, StateFunError, UnknownFunctionError } from "../errors";
import type { Logger } from "../logger";

/** Turns a request body into reply bytes (synchronously when it can). */
export type RequestProcessor = (body: Buffer) => Buffer | Promise<Buffer>;

const OCTET_STREAM = "application/octet-stream";

function reply(res: ServerResponse, bytes: Buffer): void {
  res.writeHead(200, { "Content-Type": OCTET_STREAM, "Content-Length": bytes.length });
  res.end(bytes);
}

/** The status an error is answered with, and the fields it is logged with. */
export function describeFailure(error: unknown): { status: number; fields: Record<string, unknown> } {
  if (error instanceof FunctionInvocationError) {
    const cause = error.cause instanceof Error ? error.cause.stack : String(error.cause);
    return { status: 500, fields: { functionType: error.functionType, id: error.id, cause } };
  }
  if (error instanceof UnknownFunctionError) {
    return { status: 404, fields: { functionType: error.functionType } };
  }
  if (error instanceof StateFunError && "httpStatus" in error) {
    return { status: (error as StateFunError & { httpStatus: number }).httpStatus, fields: {} };
  }
  return { status: 500, fields: { stack: error instanceof Error ? error.stack : String(error) } };
}

function fail(res: ServerResponse, error: unknown, logger: Logger): void {
  const { status, fields } = describeFailure(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status >= 500) logger.error({ status, ...fields }, message);
  else logger.warn({ status, ...fields }, message);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(message + "\n", "utf8");
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length });
  res.end(body);
}

function respond(body: Buffer, res: ServerResponse, process: RequestProcessor, logger: Logger): void | Promise<void> {
  let result: Buffer | Promise<Buffer>;
  try {
    result = process(body);
  } catch (e) {
    fail(res, e, logger);
    return;
  }
  if (result instanceof Promise) {
    return result.then(
      (bytes) => reply(res, bytes),
      (e: unknown) => fail(res, e, logger),
    );
  }
  reply(res, result);
}

/**
 * Handles one HTTP request with the given processor; resolves when the answer is written.
 */
export function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  process: RequestProcessor,
  logger: Logger,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.on("error", () => resolve());
    req.on("end", () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const done = respond(body, res, process, logger);
      if (done) done.then(resolve);
      else resolve();
    });
  });
}
