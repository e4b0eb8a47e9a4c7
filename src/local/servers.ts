/**
 * What the runtime's HTTP servers (the module's I/O servers and the inspector UI) share:
 * listening on a port, with the error that names the server whose port is taken; reading a
 * body; answering.
 */
import http from "node:http";

/** The servers by role: the playground ingress and egress, and the Kafka/Kinesis broker stand-in. */
export type ModuleIoRole = "ingress" | "egress" | "broker";

const COMPONENTS: Record<ModuleIoRole | "ui", string> = {
  ingress: "the playground ingress",
  egress: "the playground egress",
  broker: "the Kafka/Kinesis broker stand-in",
  ui: "the UI",
};

/** A server could not listen on its port: which one, on which port, and why (`EADDRINUSE`, `EACCES`). */
export class ListenError extends Error {
  constructor(
    /** Which server: one of the module's, or the inspector UI (`LocalRuntime.inspect`). */
    readonly role: ModuleIoRole | "ui",
    /** The port it was to listen on. */
    readonly port: number,
    /** The system's error code: `EADDRINUSE` when another process has the port. */
    readonly code: string,
    cause: Error,
  ) {
    super(
      code === "EADDRINUSE"
        ? `${COMPONENTS[role]} cannot listen on port ${port}: another process is using it (EADDRINUSE)`
        : `${COMPONENTS[role]} cannot listen on port ${port}: ${cause.message}`,
      { cause },
    );
    this.name = "ListenError";
  }
}

/**
 * An HTTP server listening on `port` (0: a free one).
 * @throws {@link ListenError} naming the server when it cannot listen
 */
export function listen(role: ModuleIoRole | "ui", listener: http.RequestListener, port: number, host: string | undefined): Promise<http.Server> {
  const server = http.createServer(listener);
  return new Promise((resolve, reject) => {
    const refuse = (e: NodeJS.ErrnoException): void => reject(e.code === undefined ? e : new ListenError(role, port, e.code, e));
    server.once("error", refuse);
    server.listen(port, host, () => {
      server.removeListener("error", refuse);
      resolve(server);
    });
  });
}

/** A body longer than its server takes. */
export class BodyTooLargeError extends Error {}

/**
 * The whole body of a request.
 * @throws {@link BodyTooLargeError} past `maxBytes` (the rest is read and dropped, so the answer reaches the client)
 */
export function readBody(req: http.IncomingMessage, maxBytes = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on("data", (c: Buffer) => {
      if (length > maxBytes) return;
      length += c.length;
      if (length <= maxBytes) chunks.push(c);
      else {
        chunks.length = 0;
        reject(new BodyTooLargeError(`the body is longer than ${maxBytes} bytes`));
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Answers with a status and a body: text as UTF-8 `text/plain`, bytes as they are. */
export function answer(res: http.ServerResponse, status: number, body: Buffer | string = ""): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { "Content-Length": bytes.length, ...(bytes.length > 0 && typeof body === "string" ? { "Content-Type": "text/plain; charset=utf-8" } : {}) });
  res.end(bytes);
}
