/**
 * One endpoint process of the cluster tests (started by run.ts, which can kill it and start it
 * again on the same port):
 *
 *   node dist/test/cluster/endpoint.js <app> <port> [<recording.jsonl>]
 *
 * serves the app (apps.ts; statefun-ts apps through the SDK's serve()) on 127.0.0.1:<port>
 * (0: a free port) and prints one line `{"listening":{"port":N,"url":"..."}}` on stdout once it
 * accepts requests. With a recording file, the app listens on a free port behind a pass-through
 * proxy on <port> that appends every exchange to the file as one JSON line before answering:
 * the request's method, URL, raw headers and body (base64, as received), the reply's status,
 * raw headers and body. A recorded exchange is on disk before the runtime sees its reply, so it survives
 * a SIGKILL.
 */
import { appendFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { apps } from "./apps";

export interface RecordedExchange {
  seq: number;
  /** Date.now() when the request had been read. */
  at: number;
  method: string;
  url: string;
  /** Raw header names and values, alternating, as received. */
  headers: string[];
  /** The request body as received, base64. */
  body: string;
  status: number;
  replyHeaders: string[];
  /** The reply body as sent, base64. */
  reply: string;
  /** Time the endpoint took, ms. */
  ms: number;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

function fail(message: string): never {
  process.stderr.write(`endpoint: ${message}\n`);
  process.exit(2);
}

function announce(port: number, url: string): void {
  process.stdout.write(JSON.stringify({ listening: { port, url } }) + "\n");
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function recordingProxy(targetPort: number, port: number, file: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true });
  let seq = 0;
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const at = Date.now();
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      headers["content-length"] = body.length;
      const upstream = http.request(
        { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers, agent },
        (up) => {
          const replyChunks: Buffer[] = [];
          up.on("data", (c: Buffer) => replyChunks.push(c));
          up.on("error", () => res.destroy());
          up.on("end", () => {
            const reply = Buffer.concat(replyChunks);
            const status = up.statusCode ?? 502;
            const exchange: RecordedExchange = {
              seq: ++seq,
              at,
              method: req.method ?? "",
              url: req.url ?? "",
              headers: req.rawHeaders,
              body: body.toString("base64"),
              status,
              replyHeaders: up.rawHeaders,
              reply: reply.toString("base64"),
              ms: Date.now() - at,
            };
            appendFileSync(file, JSON.stringify(exchange) + "\n");
            const out: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
            out["content-length"] = reply.length;
            res.writeHead(status, out);
            res.end(reply);
          });
        },
      );
      upstream.on("error", (e) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`recording proxy: the endpoint did not answer: ${e.message}`);
      });
      upstream.end(body);
    });
  });
  // Like serve(): keep the runtime's pooled connections longer than it reuses them (15 s).
  proxy.keepAliveTimeout = 30_000;
  return listen(proxy, port);
}

async function main(): Promise<void> {
  const [appName, portText, recording] = process.argv.slice(2);
  if (appName === undefined || portText === undefined) fail("usage: endpoint.js <app> <port> [<recording.jsonl>]");
  const app = apps[appName];
  if (app === undefined) fail(`unknown app ${JSON.stringify(appName)}; known: ${Object.keys(apps).join(", ")}`);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`not a port: ${portText}`);

  if (recording === undefined) {
    const served = await app.listen(port);
    announce(served.port, served.url);
    return;
  }
  const inner = await app.listen(0);
  const bound = await recordingProxy(inner.port, port, recording);
  announce(bound, `http://127.0.0.1:${bound}${new URL(inner.url).pathname}`);
}

main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
