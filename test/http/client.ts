/** A minimal HTTP(S) client for loopback tests: whole answers, any method, raw bytes. */
import http from "node:http";
import https from "node:https";
import type { Logger } from "../../src";

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Uint8Array;
  agent?: http.Agent;
  /** TLS: trust this CA, and present this client certificate. */
  ca?: string;
  cert?: string;
  key?: string;
}

export function send(url: string, options: RequestOptions = {}): Promise<Answer> {
  const { method = "POST", headers = {}, body, agent, ca, cert, key } = options;
  const secure = url.startsWith("https:");
  const client = secure ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers, agent, ...(secure ? { ca, cert, key } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function post(url: string, body: Uint8Array, headers: http.OutgoingHttpHeaders = {}, agent?: http.Agent): Promise<Answer> {
  return send(url, { method: "POST", body, headers: { "Content-Type": "application/octet-stream", ...headers }, agent });
}

export interface LogLine {
  level: "error" | "warn" | "info";
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps what it is given. */
export function recordingLogger(): Logger & { lines: LogLine[]; problems(): LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return {
    lines,
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    problems: () => lines.filter((l) => l.level !== "info"),
  };
}
