/**
 * `sf.expressHandler()` over loopback: without a body parser, after `express.raw()` (which also
 * decompresses), behind a global `express.json()`, and the clear error when another parser has
 * consumed the body. Plus the express example with its own routes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import express, { type Express, type RequestHandler } from "express";
import { StateFun } from "../../src";
import { createApp } from "../../examples/express/app";
import { GreetRequestType } from "../../examples/greeter/functions";
import { LocalRuntime, PLAYGROUND_EGRESS_ID } from "../../src/local";
import { addr, request, result, tv } from "../requests";
import { post, recordingLogger, send } from "./client";

const log = recordingLogger();
const sf = new StateFun({ logger: log, maxBodyBytes: 4096 }).bind({
  typename: "example/counter",
  specs: [{ name: "n", type: StateFun.intType() }],
  async fn(ctx) {
    await Promise.resolve();
    ctx.storage.n = (ctx.storage.n ?? 0) + 1;
  },
});
const body = request({ target: addr("example/counter", "c"), state: { n: null }, invocations: [{ argument: tv(StateFun.stringType(), "x") }] });

async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `handler` is typed as express's own RequestHandler: tsc checks that ours is one. */
async function withApp(mount: (app: Express, handler: RequestHandler) => void, run: (url: string) => Promise<void>): Promise<void> {
  const app = express();
  mount(app, sf.expressHandler());
  const { url, close } = await listen(app);
  try {
    await run(url);
  } finally {
    await close();
  }
}

beforeEach(() => (log.lines.length = 0));

test("without a body parser: the handler reads the body itself", () =>
  withApp(
    (app, handler) => app.post("/statefun", handler),
    async (url) => {
      const answer = await post(`${url}/statefun`, body);
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toBe("application/octet-stream");
      expect(result(answer.body).stateMutations).toHaveLength(1);
    },
  ));

test("after express.raw(): the parsed Buffer is used, including a body raw() decompressed", () =>
  withApp(
    (app, handler) => app.post("/statefun", express.raw({ type: "*/*" }), handler),
    async (url) => {
      expect((await post(`${url}/statefun`, body)).status).toBe(200);
      const gzipped = await post(`${url}/statefun`, zlib.gzipSync(body), { "Content-Encoding": "gzip" });
      expect(gzipped.status).toBe(200);
      expect(result(gzipped.body).stateMutations).toHaveLength(1);
    },
  ));

test("behind a global express.json(): octet-stream bodies pass through untouched", () =>
  withApp(
    (app, handler) => {
      app.use(express.json());
      app.post("/statefun", handler);
    },
    async (url) => {
      expect((await post(`${url}/statefun`, body)).status).toBe(200);
    },
  ));

test("behind a parser that consumed the body: a 500 that says how to mount the handler, logged once", () =>
  withApp(
    (app, handler) => app.post("/statefun", express.text({ type: "*/*" }), handler),
    async (url) => {
      const answer = await post(`${url}/statefun`, body);
      expect(answer.status).toBe(500);
      expect(answer.body.toString()).toMatch(/a body parser read the request body before the StateFun handler.*mount sf\.expressHandler\(\) before express\.json\(\)/);
      expect(log.problems()).toHaveLength(1);
    },
  ));

test("the same error answers as the node handler: 400 garbage, 404 unknown type, 413 over maxBodyBytes", () =>
  withApp(
    (app, handler) => app.post("/statefun", handler),
    async (url) => {
      expect((await post(`${url}/statefun`, Buffer.from("garbage"))).status).toBe(400);
      const unknown = await post(`${url}/statefun`, request({ target: addr("example/nope", "1"), invocations: [{ argument: tv(StateFun.stringType(), "x") }] }));
      expect(unknown.status).toBe(404);
      expect(unknown.body.toString()).toMatch(/bound types: example\/counter/);
      const large = await post(`${url}/statefun`, Buffer.alloc(5000));
      expect(large.status).toBe(413);
    },
  ));

describe("examples/express", () => {
  let app: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    app = await listen(createApp());
  });
  afterAll(() => app.close());

  test("the app's own routes keep working", async () => {
    const root = await send(`${app.url}/`, { method: "GET" });
    expect(JSON.parse(root.body.toString())).toEqual({ service: "greeter", functions: ["example/person", "example/greeter"] });
    const echo = await send(`${app.url}/api/echo`, { method: "POST", body: Buffer.from('{"a":1}'), headers: { "Content-Type": "application/json" } });
    expect(JSON.parse(echo.body.toString())).toEqual({ echo: { a: 1 } });
  });

  test("the local runtime drives the app's /statefun like a cluster: greetings reach the playground topic", async () => {
    const rt = new LocalRuntime({
      endpoints: [{ functions: "example/*", url: `${app.url}/statefun` }],
      egresses: [{ id: PLAYGROUND_EGRESS_ID, kind: "playground", topics: ["greetings"] }],
    });
    rt.send("example/person", "Ann", { name: "Ann" }, GreetRequestType);
    rt.send("example/person", "Ann", { name: "Ann" }, GreetRequestType);
    await rt.runUntilIdle();
    expect([rt.takeFromTopic("greetings"), rt.takeFromTopic("greetings")]).toEqual(["Hello Ann! Nice to meet you.", "Hello again Ann! Second time today."]);
    rt.close();
  });

  test("POST /statefun runs the greeter functions", async () => {
    const answer = await post(
      `${app.url}/statefun`,
      request({ target: addr("example/person", "Ann"), state: { visits: null }, invocations: [{ argument: tv(StateFun.stringType(), "Ann") }] }),
    );
    expect(answer.status).toBe(200);
    const reply = result(answer.body);
    expect(reply.outgoingMessages[0].target).toEqual({ namespace: "example", type: "greeter", id: "Ann" });
  });
});
