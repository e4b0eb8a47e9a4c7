/**
 * The function apps the cluster tests serve, by name: `endpoint.ts <app>` serves one of them,
 * each in its own process. An app is anything that can listen on 127.0.0.1 and answer the
 * runtime's POSTs: statefun-ts apps go through the SDK's serve(); the smoke test's baseline is
 * the official apache-flink-statefun SDK on node:http, as its documentation serves it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";
import * as official from "apache-flink-statefun";
import { StateFun, kafkaEgressMessage, messageBuilder, serve, type Context, type Message, type ProtobufJsType, type StorageOfState } from "../../src";
import { greeterApp } from "../../examples/greeter/functions";
import { shoppingCartApp } from "../../examples/shopping-cart/functions";
import { showcaseApp } from "../../examples/showcase/functions";
import { fidelityApp } from "./fidelity-app";
import { SMOKE_COMMAND_TYPENAME, SMOKE_FUNCTION, smokeFunction } from "./smoke";

/** Where an app listens. */
export interface ListeningApp {
  readonly port: number;
  /** The function URL, for module.yaml's urlPathTemplate. */
  readonly url: string;
}

/** Something endpoint.ts can serve. */
export interface App {
  /** Starts listening on 127.0.0.1:`port` (0: a free port). */
  listen(port: number): Promise<ListeningApp>;
}

/** A statefun-ts app, served exactly as in production: serve() with its defaults. */
function statefunTs(build: () => StateFun): App {
  return {
    async listen(port) {
      const server = await serve(build(), { port, host: "127.0.0.1" });
      return { port: server.port, url: server.url };
    },
  };
}

function listenOn(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The cart's abandonment delay in the cluster test (ShoppingCartTest.ABANDON_AFTER_MS). */
export const CLUSTER_ABANDON_AFTER_MS = 2_000;

// ------------------------------------------------------------------------------------------
// showcase: examples/showcase, and types/all holding one state of every kind
// ------------------------------------------------------------------------------------------

interface Place {
  lat: number;
  lon: number;
  label: string;
}

const PlaceMessage = protobuf
  .parse('syntax = "proto3"; package clustertest; message Place { double lat = 1; double lon = 2; string label = 3; }')
  .root.lookupType("clustertest.Place");

/** Values of every kind, as types/all's "write" carries them (a long as a decimal string). */
interface AllValues {
  i: number;
  l: string;
  f: number;
  d: number;
  b: boolean;
  s: string;
  j: { name: string; tags: string[] };
  p: Place;
}

const AllWriteType = StateFun.jsonType<AllValues>("types/Write");
const AllReadType = StateFun.jsonType<{ tag: string }>("types/Read");

const allState = {
  i: StateFun.intType(),
  l: StateFun.longType(),
  f: StateFun.floatType(),
  d: StateFun.doubleType(),
  b: StateFun.booleanType(),
  s: StateFun.stringType(),
  j: StateFun.jsonType<{ name: string; tags: string[] }>("types/Doc", {
    schema: {
      type: "object",
      properties: { name: { type: "string", minLength: 1 }, tags: { type: "array", items: { type: "string" } } },
      required: ["name", "tags"],
      additionalProperties: false,
    },
  }),
  p: StateFun.protoType(PlaceMessage as unknown as ProtobufJsType<Place>),
};

/**
 * types/all: "write" stores every value; "read" reports what each state reads, to the Kafka
 * egress types/reports (key the tag), as JSON with the long as a string.
 */
function allTypes(ctx: Context<StorageOfState<typeof allState>>, msg: Message): void {
  if (msg.is(AllWriteType)) {
    const v = msg.as(AllWriteType);
    if (v === null) return;
    ctx.storage.i = v.i;
    ctx.storage.l = BigInt(v.l);
    ctx.storage.f = v.f;
    ctx.storage.d = v.d;
    ctx.storage.b = v.b;
    ctx.storage.s = v.s;
    ctx.storage.j = v.j;
    ctx.storage.p = v.p;
    return;
  }
  const tag = msg.as(AllReadType)?.tag ?? "";
  const s = ctx.storage;
  const p = s.p;
  const report = {
    tag,
    i: s.i,
    l: s.l === null ? null : String(s.l),
    f: s.f,
    d: s.d,
    b: s.b,
    s: s.s,
    j: s.j,
    p: p === null ? null : { lat: p.lat, lon: p.lon, label: p.label },
  };
  ctx.send(kafkaEgressMessage({ typename: "types/reports", topic: "reports", key: tag, value: JSON.stringify(report) }));
}

function showcase(): StateFun {
  return showcaseApp().bind({ typename: "types/all", state: allState, fn: allTypes });
}

// ------------------------------------------------------------------------------------------
// ttl: one state with expireAfterWrite, one with expireAfterCall
// ------------------------------------------------------------------------------------------

/** The TTL of both states in StateTtlTest. */
export const CLUSTER_TTL_MS = 2_000;

const ttlWriteState = { v: { type: StateFun.stringType(), expireAfterWrite: CLUSTER_TTL_MS } };
const ttlCallState = { v: { type: StateFun.stringType(), expireAfterCall: CLUSTER_TTL_MS } };

/** "set:<text>" stores the text; "get:<tag>" reports the state (or null) to the Kafka egress ttl/reports. */
function ttlFunction(ctx: Context<{ v: string | null }>, msg: Message): void {
  const text = msg.asString() ?? "";
  if (text.startsWith("set:")) {
    ctx.storage.v = text.slice(4);
    return;
  }
  ctx.send(
    kafkaEgressMessage({
      typename: "ttl/reports",
      topic: "reports",
      key: `${ctx.self.id}`,
      value: JSON.stringify({ fn: ctx.self.typename, tag: text.slice(4), v: ctx.storage.v }),
    }),
  );
}

function ttl(): StateFun {
  return new StateFun()
    .bind({ typename: "ttl/after-write", state: ttlWriteState, fn: (ctx, msg) => ttlFunction(ctx, msg) })
    .bind({ typename: "ttl/after-call", state: ttlCallState, fn: (ctx, msg) => ttlFunction(ctx, msg) });
}

// ------------------------------------------------------------------------------------------
// status: our 400, 404 and 500 answers
// ------------------------------------------------------------------------------------------

/**
 * serve() behind a front server that passes requests on unchanged, except those to
 * `/status/malformed`, whose body it replaces with bytes that are no ToFunction: then all three
 * answers the runtime gets are serve()'s own. Function types: status/fails throws (500);
 * status/unbound is bound to nothing (404); anything at /status/malformed gets a 400.
 */
const statusApp: App = {
  async listen(port) {
    const sf = new StateFun({ logger: { error() {}, warn() {}, info() {} } }).bind({
      typename: "status/fails",
      fn() {
        throw new Error("status/fails always fails");
      },
    });
    const inner = await serve(sf, { port: 0, host: "127.0.0.1", logger: { error() {}, warn() {}, info() {} } });
    const agent = new http.Agent({ keepAlive: true });
    const front = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = req.url === "/status/malformed" ? Buffer.from([0xff, 0xff, 0xff]) : Buffer.concat(chunks);
        const up = http.request(
          { host: "127.0.0.1", port: inner.port, path: "/statefun", method: "POST", agent, headers: { "content-type": "application/octet-stream", "content-length": body.length } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on("error", (e) => {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(e.message);
        });
        up.end(body);
      });
    });
    front.keepAliveTimeout = 30_000;
    const bound = await listenOn(front, port);
    return { port: bound, url: `http://127.0.0.1:${bound}/status` };
  },
};

// ------------------------------------------------------------------------------------------
// smoke: the same command interpreter on statefun-ts and on the official SDK
// ------------------------------------------------------------------------------------------

function smokeTs(): StateFun {
  const commandType = StateFun.jsonType<unknown>(SMOKE_COMMAND_TYPENAME);
  const body = smokeFunction({
    commandType,
    messageBuilder: (o) => messageBuilder(o),
    kafkaEgressMessage: (o) => kafkaEgressMessage(o),
  });
  return new StateFun().bind({ typename: SMOKE_FUNCTION, specs: [{ name: "count", type: StateFun.intType() }], fn: (ctx, msg) => body(ctx, msg) });
}

/** The official SDK, served as its README shows: `http.createServer(statefun.handler())`. */
const smokeOfficial: App = {
  async listen(port) {
    const sf = new official.StateFun();
    const commandType = official.StateFun.jsonType<unknown>(SMOKE_COMMAND_TYPENAME);
    const body = smokeFunction({
      commandType,
      messageBuilder: (o) => official.messageBuilder(o),
      kafkaEgressMessage: (o) => official.kafkaEgressMessage(o),
    });
    sf.bind({ typename: SMOKE_FUNCTION, specs: [{ name: "count", type: official.StateFun.intType() }], fn: (ctx, msg) => body(ctx, msg) });
    const handler = sf.handler();
    const server = http.createServer((req, res) => void handler(req, res));
    server.keepAliveTimeout = 30_000;
    const bound = await listenOn(server, port);
    return { port: bound, url: `http://127.0.0.1:${bound}/statefun` };
  },
};

/** The apps by name (run.ts's ENDPOINTS name them). */
export const apps: Readonly<Record<string, App>> = {
  /** examples/greeter with its greetings on the Kafka egress example/greets, as examples/cluster.ts deploys it. */
  greeter: statefunTs(() => greeterApp(new StateFun(), { kafkaEgress: "example/greets", topic: "greetings" })),
  /** examples/shopping-cart, carts abandoned after CLUSTER_ABANDON_AFTER_MS. */
  cart: statefunTs(() => shoppingCartApp(new StateFun(), { abandonAfterMs: CLUSTER_ABANDON_AFTER_MS })),
  /** examples/showcase and types/all. */
  showcase: statefunTs(showcase),
  ttl: statefunTs(ttl),
  status: statusApp,
  smoke: statefunTs(smokeTs),
  "smoke-official": smokeOfficial,
  fidelity: statefunTs(() => fidelityApp()),
};
