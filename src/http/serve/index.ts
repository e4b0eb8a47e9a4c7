/**
 * `serve()`: the production endpoint. One node:http (or https) server with the function path,
 * `/health` and `/metrics`, bounded bodies, timeouts sized for the cluster's pooled
 * connections, and a graceful shutdown on SIGTERM/SIGINT.
 */
import type http from "node:http";
import type { Logger } from "../../base/logger";
import type { Endpoint } from "../../invoke/endpoint";
import { EndpointMetrics } from "../metrics";
import { createServer, listen, shutdownOf } from "./lifecycle";
import { serveSettings, type ServeOptions } from "./options";
import { router } from "./routes";

export type { ServeOptions, TlsOptions } from "./options";

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

/**
 * Serves an endpoint: `POST <path>` runs a batch, `GET /health` and `GET /metrics` report.
 *
 * Status codes: a request that can never succeed is a 4xx (400 malformed, 404 unknown function
 * type, 405, 413, 415) with a readable reason; a failing function is a 500. (What the cluster
 * does with each is in the README's status-code section.)
 * @param logger - where events go unless the options name a logger
 */
export async function serveEndpoint(endpoint: Endpoint, logger: Logger, options: ServeOptions = {}): Promise<StateFunServer> {
  const settings = serveSettings(options, logger);
  const metrics = new EndpointMetrics(() => endpoint.functionTypes);
  let shutdown: { closing: () => boolean } = { closing: () => false };
  const serving = { endpoint, logger: settings.logger, maxBodyBytes: settings.maxBodyBytes, metrics, closing: () => shutdown.closing() };
  const server = createServer(settings, router(serving, settings.path));
  const { port, host, url } = await listen(server, settings);
  const { closing, close } = shutdownOf(server, settings);
  shutdown = { closing };
  settings.logger.info({ url, functions: endpoint.functionTypes }, "serving");
  return { server, port, host, url, metrics, close };
}
