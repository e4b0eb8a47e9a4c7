/**
 * `serve()`: the production endpoint. One node:http (or https) server with the function path,
 * `/health` and `/metrics`, bounded bodies, timeouts sized for the cluster's pooled
 * connections, and a graceful shutdown on SIGTERM/SIGINT.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { ConfigurationError } from "../errors";
import type { Logger } from "../logger";
import { handleRequestBytes } from "../request-handler";
import type { StateFun } from "../statefun";
import { DEFAULT_MAX_BODY_BYTES, refuseUnread } from "./body";
import { EndpointMetrics } from "./metrics";
import { answerText, notPost, pathOf, serveRequest, type HttpEndpoint } from "./node-handler";

/** TLS material (PEM strings or Buffers). With `ca` and `requestCert`, clients must present a certificate signed by `ca` (mTLS). */
export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer | (string | Buffer)[];
  requestCert?: boolean;
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Port to listen on; default `$PORT`, else 8000. 0 picks a free port. */
  port?: number;
  /** Interface to listen on; default all interfaces. */
  host?: string;
  /** Path the cluster posts to (module.yaml `urlPathTemplate`); default `/statefun`. */
  path?: string;
  /** Largest request body accepted, after decompression; default 32 MiB (the runtime's own reply limit). */
  maxBodyBytes?: number;
  /** Serve HTTPS (and mTLS with `ca` + `requestCert`). */
  tls?: TlsOptions;
  /** Where events go; default the StateFun instance's logger (JSON lines on stderr). */
  logger?: Logger;
  /** Time for a client to send the request headers; default 10 s. */
  headersTimeoutMs?: number;
  /** Time for a client to send a whole request; default 60 s. Function run time does not count. */
  requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection is kept; default 30 s. The cluster pools connections
   * and reuses them for about 15 s: a server that closed them sooner would race its next request.
   */
  keepAliveTimeoutMs?: number;
  /** On shutdown, how long in-flight batches may take before connections are cut; default 25 s. */
  shutdownTimeoutMs?: number;
  /**
   * Handle SIGTERM and SIGINT: stop accepting, finish in-flight batches, exit 0 (a second signal
   * exits at once with 1). Default true; set false when the application manages shutdown itself.
   */
  handleSignals?: boolean;
}

/** A running endpoint. */
export interface StateFunServer {
  /** The node:http or node:https server. */
  readonly server: http.Server;
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The bound address. */
  readonly host: string;
  /** The function endpoint's URL, for module.yaml's `urlPathTemplate`. */
  readonly url: string;
  /** The counters behind `GET /metrics`. */
  readonly metrics: EndpointMetrics;
  /**
   * Stops accepting connections, lets in-flight batches finish (up to `shutdownTimeoutMs`),
   * then resolves. Idempotent.
   */
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`serve(): ${name} must be a positive whole number, got ${String(value)}`);
  }
  return value;
}

function defaultPort(): number {
  const env = process.env.PORT;
  if (env === undefined || env === "") return 8000;
  const port = Number(env);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`serve(): $PORT must be a port number, got ${JSON.stringify(env)}`);
  }
  return port;
}

/**
 * Serves `sf`'s functions: `POST <path>` runs a batch, `GET /health` and `GET /metrics` report.
 *
 * Status codes follow the cluster's retry policy (it retries 5xx, 408, 409, 420, 429 and 499,
 * and fails the job fast on other 4xx): a request that can never succeed is a 4xx (400
 * malformed, 404 unknown function type, 405, 413, 415), so the job fails at once with a
 * readable reason; a failing function is a 500, so the batch is retried.
 */
export async function serve(sf: StateFun, options: ServeOptions = {}): Promise<StateFunServer> {
  const path = options.path ?? "/statefun";
  if (!path.startsWith("/") || path === "/health" || path === "/metrics") {
    throw new ConfigurationError(`serve(): path must start with "/" and not be /health or /metrics, got ${JSON.stringify(path)}`);
  }
  const port = options.port ?? defaultPort();
  const maxBodyBytes = positive(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, "maxBodyBytes");
  const headersTimeout = positive(options.headersTimeoutMs, 10_000, "headersTimeoutMs");
  const requestTimeout = positive(options.requestTimeoutMs, 60_000, "requestTimeoutMs");
  const keepAliveTimeout = positive(options.keepAliveTimeoutMs, 30_000, "keepAliveTimeoutMs");
  const shutdownTimeout = positive(options.shutdownTimeoutMs, 25_000, "shutdownTimeoutMs");
  if (headersTimeout > requestTimeout) {
    throw new ConfigurationError(`serve(): headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout})`);
  }
  const tls = options.tls;
  if (tls?.requestCert && tls.ca === undefined) {
    throw new ConfigurationError("serve(): tls.requestCert needs tls.ca, the authority that signs the clients' certificates");
  }
  const logger = options.logger ?? sf.logger;
  const functions = sf.functions;
  const metrics = new EndpointMetrics(sf.functionTypes);
  let closing = false;
  const endpoint: HttpEndpoint = {
    process: (body) => handleRequestBytes(body, functions, metrics.report),
    logger,
    maxBodyBytes,
    metrics,
    closing: () => closing,
  };

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string, allow?: string): void => {
    logger.warn({ status, method: req.method, url: req.url }, text);
    metrics.rejected(status);
    if (closing) res.setHeader("Connection", "close");
    refuseUnread(req, () => answerText(res, status, text, allow ? { Allow: allow } : {}));
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const requestPath = pathOf(req.url);
    const method = req.method;
    if (requestPath === path) {
      if (method === "POST") serveRequest(req, res, endpoint);
      else refuse(req, res, 405, notPost(String(method), path).message, "POST");
      return;
    }
    if (requestPath === "/health" || requestPath === "/metrics") {
      if (method !== "GET" && method !== "HEAD") {
        refuse(req, res, 405, `${method} ${requestPath}: only GET and HEAD`, "GET, HEAD");
        return;
      }
      if (closing) res.setHeader("Connection", "close");
      const health = requestPath === "/health";
      const body = health
        ? JSON.stringify({ status: closing ? "shutting_down" : "ok", functions: sf.functionTypes })
        : metrics.render();
      const bytes = Buffer.from(body, "utf8");
      res.writeHead(health && closing ? 503 : 200, {
        "Content-Type": health ? "application/json" : PROMETHEUS_TEXT,
        "Content-Length": bytes.length,
      });
      res.end(method === "HEAD" ? undefined : bytes);
      return;
    }
    refuse(req, res, 404, `no route for ${method} ${requestPath}; the function endpoint is POST ${path}, and GET /health and /metrics report`);
  };

  const serverOptions: http.ServerOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    // Node checks the two timeouts above on this period (30 s by default), too coarse for them.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 2))),
  };
  const server: http.Server = tls
    ? https.createServer(
        { ...serverOptions, key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert ?? false, rejectUnauthorized: tls.requestCert ?? false },
        route,
      )
    : http.createServer(serverOptions, route);
  server.keepAliveTimeout = keepAliveTimeout;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, options.host, () => {
      server.removeListener("error", reject);
      resolve();
    });
  });
  server.on("error", (e: Error) => logger.error({ stack: e.stack }, `server error: ${e.message}`));

  const address = server.address() as AddressInfo;
  const shownHost = address.address === "::" || address.address === "0.0.0.0" ? "localhost" : address.address;
  const hostInUrl = shownHost.includes(":") ? `[${shownHost}]` : shownHost;
  const url = `${tls ? "https" : "http"}://${hostInUrl}:${address.port}${path}`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        logger.warn({ shutdownTimeoutMs: shutdownTimeout }, "shutdown timeout: closing the connections still open");
        server.closeAllConnections();
      }, shutdownTimeout);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        removeSignalHandlers();
        resolve();
      });
      // Keep-alive connections idle right now would otherwise hold close() until they time out.
      server.closeIdleConnections();
    });
    return closed;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ signal }, "second signal during shutdown: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight batches");
    void close().then(() => {
      logger.info({}, "shut down");
      process.exit(0);
    });
  };
  const handleSignals = options.handleSignals ?? true;
  const removeSignalHandlers = (): void => {
    if (!handleSignals) return;
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
  };
  if (handleSignals) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }

  logger.info({ url, functions: sf.functionTypes }, "serving");
  return { server, port: address.port, host: address.address, url, metrics, close };
}
