/**
 * Where the runtime sends a function type's requests: an in-process StateFun (through
 * `handleRequest`, the full encode/decode path) or a remote endpoint of any SDK over HTTP.
 */
import http from "node:http";
import https from "node:https";
import type { StateFun } from "../api/statefun";
import { FunctionInvocationError } from "../base/errors";

/** How one attempt to call a function ended. */
export type InvokeOutcome =
  | { readonly ok: true; readonly body: Buffer }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly reason: string;
      /** In-process: what the function threw (for its stack). */
      readonly error?: unknown;
      /** Remote: the socket error's code (`ENOTFOUND`, `ECONNREFUSED`, ...) when the endpoint could not be reached. */
      readonly code?: string;
    };

export interface FunctionTarget {
  /** For messages: `in-process` or the URL. */
  readonly description: string;
  invoke(body: Buffer, timeoutMs: number): Promise<InvokeOutcome>;
  close(): void;
}

/**
 * The okhttp transport retries these and any 5xx, and fails the job at once on any other non-2xx
 * answer; the async transport (the default) retries every one (the runtime checks which applies).
 */
const RETRYABLE = new Set([408, 409, 420, 429, 499, 500]);

/** Whether the okhttp transport retries an answer with this status. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status) || status >= 500;
}

export class InProcessTarget implements FunctionTarget {
  readonly description = "in-process";

  constructor(readonly sf: StateFun) {}

  async invoke(body: Buffer): Promise<InvokeOutcome> {
    try {
      return { ok: true, body: Buffer.from(await this.sf.handleRequest(body)) };
    } catch (e) {
      const status = (e as { httpStatus?: unknown }).httpStatus;
      const code = typeof status === "number" ? status : 500;
      const error = e instanceof FunctionInvocationError ? e.cause : e;
      return { ok: false, retryable: isRetryableStatus(code), reason: `HTTP ${code}: ${e instanceof Error ? e.message : String(e)}`, error };
    }
  }

  close(): void {}
}

export class RemoteTarget implements FunctionTarget {
  readonly #agent: http.Agent;
  readonly #client: typeof http | typeof https;

  constructor(readonly url: string) {
    const secure = url.startsWith("https:");
    this.#client = secure ? https : http;
    this.#agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  get description(): string {
    return this.url;
  }

  invoke(body: Buffer, timeoutMs: number): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const req = this.#client.request(
        this.url,
        {
          method: "POST",
          agent: this.#agent,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": body.length },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => resolve({ ok: false, retryable: true, reason: e.message }));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const answer = Buffer.concat(chunks);
            if (status >= 200 && status < 300) resolve({ ok: true, body: answer });
            else resolve({ ok: false, retryable: isRetryableStatus(status), reason: `HTTP ${status}: ${answer.toString("utf8").trim()}` });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, retryable: true, reason: e.message, ...(e.code !== undefined ? { code: e.code } : {}) }));
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
