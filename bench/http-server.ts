/**
 * One server of the HTTP benchmark, in its own process: `node dist/bench/http-server.js <variant>`.
 * Prints `{"port":N}` once listening. Variants:
 *   serve      statefun-ts `serve()`
 *   handler    statefun-ts `http.createServer(sf.handler())`
 *   express    statefun-ts `sf.expressHandler()` mounted on express
 *   official   apache-flink-statefun `http.createServer(sf.handler())`
 *   raw        node:http reading the body and answering fixed, precomputed reply bytes: the
 *              ceiling any SDK's endpoint can reach on this machine
 *   codec      raw, but decoding each request and encoding a reply of our reply's shape: the
 *              ceiling of an endpoint that does nothing but the wire codec
 * A server exits 0 on SIGINT (so `--cpu-prof` writes its profile).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { serve, stderrLogger, type Logger } from "../src";
import { decodeFromFunction, decodeToFunction, encodeFromFunction, type WireFromFunction } from "../src/wire/codec";
import { bindOfficial, bindOurs, httpShapes } from "./workload";

/** Errors only: a benchmark must not pay for (or print) an info line. */
const logger: Logger = { ...stderrLogger, info: () => undefined };

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

async function start(variant: string): Promise<number> {
  switch (variant) {
    case "serve":
      return (await serve(bindOurs(), { port: 0, host: "127.0.0.1", logger })).port;
    case "handler":
      return listen(http.createServer(bindOurs().handler()));
    case "express": {
      const app = express();
      app.post("/statefun", bindOurs().expressHandler());
      return listen(http.createServer(app));
    }
    case "official":
      return listen(http.createServer(bindOfficial().handler() as http.RequestListener));
    case "raw":
    case "codec": {
      // The fixed answer to each request shape, recognised by its size (every shape differs).
      const sf = bindOurs();
      const replies = new Map<number, { bytes: Buffer; decoded: WireFromFunction }>();
      for (const shape of httpShapes()) {
        const bytes = Buffer.from(await sf.handleRequest(shape.bytes));
        replies.set(shape.bytes.length, { bytes, decoded: decodeFromFunction(bytes) });
      }
      const codec = variant === "codec";
      return listen(
        http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on("data", (c: Buffer) => chunks.push(c));
          req.on("end", () => {
            const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
            const reply = replies.get(body.length);
            if (reply === undefined) {
              res.writeHead(400).end();
              return;
            }
            // The codec ceiling: decode the request and encode a reply of our reply's shape.
            const bytes = codec ? (decodeToFunction(body), encodeFromFunction(reply.decoded)) : reply.bytes;
            res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
            res.end(bytes);
          });
        }),
      );
    }
    default:
      throw new Error(`unknown variant ${variant}; one of serve, handler, express, official, raw, codec`);
  }
}

process.on("SIGINT", () => process.exit(0));

start(process.argv[2] ?? "").then(
  (port) => process.stdout.write(JSON.stringify({ port }) + "\n"),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
