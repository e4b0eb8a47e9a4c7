/**
 * A server's life: created with timeouts sized for the cluster's pooled connections, listening,
 * and shut down gracefully (in-flight batches finish, idle connections close, busy ones are
 * cut after a deadline), on `close()` or on SIGTERM/SIGINT.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { ServeSettings } from "./options";

/** Creates the node:http (or https) server for `listener`. */
export function createServer(settings: ServeSettings, listener: http.RequestListener): http.Server {
  const options: http.ServerOptions = {
    headersTimeout: settings.headersTimeout,
    requestTimeout: settings.requestTimeout,
    keepAliveTimeout: settings.keepAliveTimeout,
    // Node checks the two timeouts above on this period (30 s by default), too coarse for them.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(settings.headersTimeout / 2))),
  };
  const tls = settings.tls;
  const server: http.Server = tls
    ? https.createServer(
        { ...options, key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert ?? false, rejectUnauthorized: tls.requestCert ?? false },
        listener,
      )
    : http.createServer(options, listener);
  server.keepAliveTimeout = settings.keepAliveTimeout;
  return server;
}

/** Listens; resolves with the URL of the function path. */
export async function listen(server: http.Server, settings: ServeSettings): Promise<{ port: number; host: string; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.host, () => {
      server.removeListener("error", reject);
      resolve();
    });
  });
  server.on("error", (e: Error) => settings.logger.error({ stack: e.stack }, `server error: ${e.message}`));
  const address = server.address() as AddressInfo;
  const shownHost = address.address === "::" || address.address === "0.0.0.0" ? "localhost" : address.address;
  const hostInUrl = shownHost.includes(":") ? `[${shownHost}]` : shownHost;
  return { port: address.port, host: address.address, url: `${settings.tls ? "https" : "http"}://${hostInUrl}:${address.port}${settings.path}` };
}

/** Shutting a server down, once. */
export interface Shutdown {
  /** True from the start of the shutdown. */
  readonly closing: () => boolean;
  /** Stops accepting, lets in-flight batches finish (up to the deadline), then resolves. Idempotent. */
  readonly close: () => Promise<void>;
}

export function shutdownOf(server: http.Server, settings: ServeSettings): Shutdown {
  const { logger, shutdownTimeout, handleSignals } = settings;
  let closing = false;
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
  const removeSignalHandlers = (): void => {
    if (!handleSignals) return;
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
  };
  if (handleSignals) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }
  return { closing: () => closing, close };
}
