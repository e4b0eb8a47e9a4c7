/** `serve()`'s options: what they mean, their defaults, and their validation. */
import { ConfigurationError } from "../../base/errors";
import type { Logger } from "../../base/logger";
import { DEFAULT_MAX_BODY_BYTES } from "../body";

/** TLS material (PEM strings or Buffers). With `ca` and `requestCert`, clients must present a certificate signed by `ca` (mTLS). */
export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer | (string | Buffer)[];
  requestCert?: boolean;
}

/** Options of `serve()`. */
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

/** The options with every default filled in, checked. */
export interface ServeSettings {
  readonly port: number;
  readonly host: string | undefined;
  readonly path: string;
  readonly maxBodyBytes: number;
  readonly tls: TlsOptions | undefined;
  readonly logger: Logger;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly shutdownTimeout: number;
  readonly handleSignals: boolean;
}

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
 * @param logger - the logger when the options name none
 * @throws {@link ConfigurationError} naming the option and what it must be
 */
export function serveSettings(options: ServeOptions, logger: Logger): ServeSettings {
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
  return {
    port,
    host: options.host,
    path,
    maxBodyBytes,
    tls,
    logger: options.logger ?? logger,
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    shutdownTimeout,
    handleSignals: options.handleSignals ?? true,
  };
}
