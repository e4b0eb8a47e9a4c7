/**
 * `serve()` over loopback sockets: routes, every row of the bad-input table (status, plain-text
 * reason, one log line naming what is known), content encodings, concurrency, timeouts and a
 * graceful close.
 */
import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import { StateFun, serve, type StateFunServer } from "../../src";
import { encodeToFunction } from "../../src/wire/codec";
import { addr, request, result, tv } from "../requests";
import { post, recordingLogger, send, type Answer } from "./client";

const STRING = StateFun.stringType();
const LIMIT = 64 * 1024;

/** Batches of example/person wait on this gate when their message is "wait". */
let gate: { promise: Promise<void>; open(): void; entered: Promise<void>; enter(): void };
function newGate(): void {
  let open!: () => void;
  let enter!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  const entered = new Promise<void>((r) => (enter = r));
  gate = { promise, open, entered, enter };
}
newGate();

const log = recordingLogger();
const sf = new StateFun({ logger: log }).bind({
  typename: "example/person",
  specs: [{ name: "visits", type: StateFun.intType() }],
  async fn(ctx, msg) {
    const text = msg.asString();
    if (text === "wait") {
      gate.enter();
      await gate.promise;
    } else {
      await new Promise((r) => setImmediate(r));
    }
    if (text === "fail") throw new Error("cannot greet");
    ctx.storage.visits = (ctx.storage.visits ?? 0) + 1;
  },
});

let server: StateFunServer;
let base: string;
beforeAll(async () => {
  server = await serve(sf, { port: 0, host: "127.0.0.1", maxBodyBytes: LIMIT, handleSignals: false });
  base = server.url.replace(/\/statefun$/, "");
});
afterAll(() => server.close());
beforeEach(() => (log.lines.length = 0));

const person = (arg: string, id = "Bob") =>
  request({ target: addr("example/person", id), state: { visits: null }, invocations: [{ argument: tv(STRING, arg) }] });

function expectText(answer: Answer, status: number, message: RegExp | string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
  const body = answer.body.toString("utf8");
  if (typeof message === "string") expect(body).toBe(message + "\n");
  else expect(body).toMatch(message);
}

/** The one problem logged for the last request. */
function loggedOnce(): { level: string; fields: Record<string, unknown>; message: string } {
  const problems = log.problems();
  expect(problems).toHaveLength(1);
  return problems[0];
}

describe("routes", () => {
  test("POST <path>: 200, Content-Type exactly application/octet-stream, the FromFunction bytes", async () => {
    const answer = await post(server.url, person("hi"));
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/octet-stream");
    expect(answer.body).toEqual(Buffer.from(await sf.handleRequest(person("hi"))));
    expect(log.problems()).toEqual([]);
  });

  test("a query string on the function path is ignored", async () => {
    expect((await post(`${server.url}?trace=1`, person("hi"))).status).toBe(200);
  });

  test("GET /health: 200 JSON with the bound function types; HEAD too", async () => {
    const answer = await send(`${base}/health`, { method: "GET" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.body.toString())).toEqual({ status: "ok", functions: ["example/person"] });
    const head = await send(`${base}/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  test("GET /metrics: Prometheus text with per-function batches, invocations, errors, batch size and latency", async () => {
    await post(server.url, request({ target: addr("example/person", "m"), state: { visits: null }, invocations: [1, 2, 3].map(() => ({ argument: tv(STRING, "x") })) }));
    await post(server.url, person("fail"));
    await post(server.url, request({ target: addr("example/person", "m"), invocations: [{ argument: tv(STRING, "x") }] }));
    await post(server.url, Buffer.from("garbage"));
    await send(`${base}/nowhere`, { method: "GET" });
    const answer = await send(`${base}/metrics`, { method: "GET" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = answer.body.toString();
    const value = (series: string): number => {
      const line = text.split("\n").find((l) => l.startsWith(series + " "));
      if (line === undefined) throw new Error(`no series ${series} in:\n${text}`);
      return Number(line.slice(series.length + 1));
    };
    const fn = 'function_type="example/person"';
    expect(text).toContain("# TYPE statefun_batches_total counter");
    expect(text).toContain("# TYPE statefun_batch_duration_seconds histogram");
    expect(value(`statefun_batches_total{${fn},outcome="ok"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`statefun_batches_total{${fn},outcome="incomplete"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`statefun_invocations_total{${fn}}`)).toBeGreaterThanOrEqual(3);
    expect(value(`statefun_errors_total{${fn},kind="failed"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`statefun_errors_total{function_type="",kind="malformed"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`statefun_batch_size_bucket{${fn},le="5"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`statefun_batch_duration_seconds_count{${fn}}`)).toBeGreaterThanOrEqual(3);
    expect(value(`statefun_http_rejected_total{status="404"}`)).toBeGreaterThanOrEqual(1);
    expect(value("statefun_batches_in_flight")).toBe(0);
  });

  test("an unknown path is a 404 that says where the endpoint is", async () => {
    expectText(await send(`${base}/fn`, { method: "POST", body: person("x") }), 404, /no route for POST \/fn; the function endpoint is POST \/statefun/);
    expect(loggedOnce().fields).toMatchObject({ status: 404, method: "POST", url: "/fn" });
  });

  test("a wrong method on /health or /metrics is a 405 with Allow", async () => {
    const answer = await send(`${base}/metrics`, { method: "POST", body: Buffer.alloc(0) });
    expectText(answer, 405, "POST /metrics: only GET and HEAD");
    expect(answer.headers.allow).toBe("GET, HEAD");
  });
});

describe("bad input: each answered at once with a plain-text reason, logged once", () => {
  test("405: a wrong method on the function path, with Allow: POST", async () => {
    const answer = await send(server.url, { method: "GET" });
    expectText(answer, 405, "GET /statefun: the function endpoint only takes POST (a ToFunction body)");
    expect(answer.headers.allow).toBe("POST");
    expect(loggedOnce()).toMatchObject({ level: "warn", fields: { status: 405, method: "GET", url: "/statefun" } });
  });

  test("413: a declared Content-Length over maxBodyBytes, refused before the body is read", async () => {
    const answer = await post(server.url, Buffer.alloc(LIMIT + 1));
    expectText(answer, 413, `the request body (${LIMIT + 1} bytes) is larger than the endpoint's limit of ${LIMIT} bytes; raise maxBodyBytes if batches this large are expected`);
    expect(loggedOnce()).toMatchObject({ level: "warn", fields: { status: 413, method: "POST", url: "/statefun" } });
  });

  test("413: a chunked body that grows past maxBodyBytes", async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = http.request(server.url, { method: "POST", headers: { "Transfer-Encoding": "chunked" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(LIMIT / 4));
      req.end();
    });
    expectText(answer, 413, /the request body \(more than 65536 bytes\) is larger than the endpoint's limit/);
    loggedOnce();
  });

  test.each([
    ["not a ToFunction", Buffer.from("definitely not protobuf"), /request body \(23 bytes\) is not a StateFun ToFunction message/, {}],
    ["no invocation batch", Buffer.alloc(0), /ToFunction without an invocation batch/, {}],
    ["no target", encodeToFunction({ invocation: { state: [], invocations: [{ argument: tv(STRING, "x") }] } }), /has no target function type/, {}],
    [
      "no invocations",
      encodeToFunction({ invocation: { target: addr("example/person", "Bob"), state: [], invocations: [] } }),
      /the batch for example\/person\("Bob"\) has no invocations/,
      { functionType: "example/person", id: "Bob" },
    ],
  ])("400: %s", async (_case, body, message, fields) => {
    expectText(await post(server.url, body), 400, message);
    expect(loggedOnce()).toMatchObject({ level: "warn", fields: { status: 400, ...fields } });
  });

  test("404: an unknown function type, listing the bound types", async () => {
    const answer = await post(server.url, request({ target: addr("example/ghost", "g1"), invocations: [{ argument: tv(STRING, "x") }] }));
    expectText(answer, 404, /no function is bound to "example\/ghost"; bound types: example\/person\. Bind it with/);
    expect(loggedOnce()).toMatchObject({ level: "warn", fields: { status: 404, functionType: "example/ghost", id: "g1" } });
  });

  test("500: a function that threw, with its type and address; the stack is in the log", async () => {
    const answer = await post(server.url, person("fail"));
    expectText(answer, 500, 'function example/person("Bob") failed at invocation 1 of 1: cannot greet');
    const line = loggedOnce();
    expect(line).toMatchObject({ level: "error", fields: { status: 500, functionType: "example/person", id: "Bob" } });
    expect(String(line.fields.cause)).toMatch(/^Error: cannot greet\n\s+at /);
  });

  test.each([
    ["gzip", zlib.gzipSync],
    ["x-gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["deflate (raw, as some clients send it)", zlib.deflateRawSync],
    ["br", zlib.brotliCompressSync],
  ] as const)("Content-Encoding %s is decoded", async (name, compress) => {
    const encoding = name.split(" ")[0];
    const answer = await post(server.url, compress(person("hi")), { "Content-Encoding": encoding });
    expect(answer.status).toBe(200);
    expect(result(answer.body).stateMutations).toHaveLength(1);
  });

  test("415: an unsupported Content-Encoding", async () => {
    expectText(await post(server.url, person("hi"), { "Content-Encoding": "zstd" }), 415, /Content-Encoding "zstd" is not supported; send it uncompressed or as gzip, deflate or br/);
    expect(loggedOnce().fields).toMatchObject({ status: 415 });
  });

  test("400: a body that is not valid for its Content-Encoding", async () => {
    expectText(await post(server.url, person("hi"), { "Content-Encoding": "gzip" }), 400, /the request body is not valid gzip data/);
    loggedOnce();
  });

  test("413: a compressed body that would decompress past maxBodyBytes", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(LIMIT * 50));
    expect(bomb.length).toBeLessThan(LIMIT);
    expectText(await post(server.url, bomb, { "Content-Encoding": "gzip" }), 413, /more than 65536 decompressed\) is larger than the endpoint's limit/);
    loggedOnce();
  });
});

test("concurrent requests for many addresses with interleaving async functions each get their own reply", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const replies = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      post(
        server.url,
        request({
          target: addr("example/person", `id-${i}`),
          state: { visits: tv(StateFun.intType(), i) },
          invocations: [{ argument: tv(STRING, `m${i}`) }, { argument: tv(STRING, `n${i}`) }],
        }),
        {},
        agent,
      ),
    ),
  );
  agent.destroy();
  replies.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(StateFun.intType().deserialize(result(r.body).stateMutations[0].stateValue?.value as Buffer)).toBe(i + 2);
  });
});

describe("timeouts cut slow clients", () => {
  let slowServer: StateFunServer;
  beforeAll(async () => {
    slowServer = await serve(sf, { port: 0, host: "127.0.0.1", headersTimeoutMs: 300, requestTimeoutMs: 600, handleSignals: false });
  });
  afterAll(() => slowServer.close());

  /** Opens a raw connection, writes `text`, and resolves with what the server sent before closing it, and after how long. */
  function stall(text: string): Promise<{ received: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(slowServer.port, "127.0.0.1", () => socket.write(text));
      let received = "";
      socket.on("data", (d) => (received += d.toString()));
      socket.on("close", () => resolve({ received, ms: Date.now() - started }));
      socket.on("error", reject);
      socket.setTimeout(5_000, () => reject(new Error("the server did not cut the connection")));
    });
  }

  test("headers that never finish: 408 and the connection closed", async () => {
    const { received, ms } = await stall("POST /statefun HTTP/1.1\r\nHost: x\r\n");
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(3_000);
  });

  test("a body that never finishes: 408 and the connection closed", async () => {
    const { received, ms } = await stall("POST /statefun HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(3_000);
  });
});

test("close(): no new connections, the in-flight batch finishes and is answered with Connection: close", async () => {
  const own = await serve(sf, { port: 0, host: "127.0.0.1", handleSignals: false });
  newGate();
  const inFlight = post(own.url, person("wait"));
  await gate.entered;
  const closed = own.close();
  expect(JSON.parse((await send(own.url.replace(/statefun$/, "health"), { method: "GET" }).catch(() => ({ body: Buffer.from('{"status":"refused"}') }))).body.toString()).status).not.toBe("ok");
  await expect(post(own.url, person("late"))).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
  gate.open();
  const answer = await inFlight;
  expect(answer.status).toBe(200);
  expect(answer.headers.connection).toBe("close");
  await closed;
  expect(own.server.listening).toBe(false);
});

test("close() cuts a batch that outlives shutdownTimeoutMs", async () => {
  const own = await serve(sf, { port: 0, host: "127.0.0.1", handleSignals: false, shutdownTimeoutMs: 200 });
  newGate();
  const inFlight = post(own.url, person("wait"));
  await gate.entered;
  await own.close();
  await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
  gate.open();
});

test("invalid options are refused with the option's name", async () => {
  await expect(serve(sf, { port: 0, path: "health" })).rejects.toThrow('path must start with "/"');
  await expect(serve(sf, { port: 0, maxBodyBytes: 0 })).rejects.toThrow("maxBodyBytes must be a positive whole number, got 0");
  await expect(serve(sf, { port: 0, headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).rejects.toThrow("headersTimeoutMs (5000) must not exceed requestTimeoutMs (1000)");
  await expect(serve(sf, { port: 0, tls: { key: "k", cert: "c", requestCert: true } })).rejects.toThrow("tls.requestCert needs tls.ca");
});

test("a function bound after listen() is served and counted under its own function_type label", async () => {
  const late = new StateFun({ logger: recordingLogger() });
  const server = await serve(late, { port: 0, host: "127.0.0.1", handleSignals: false });
  try {
    late.bind({ typename: "example/late", fn: () => undefined });
    const body = request({ target: addr("example/late", "x"), invocations: [{ argument: tv(STRING, "hi") }] });
    expect((await post(server.url, body)).status).toBe(200);
    const metrics = (await send(server.url.replace(/\/statefun$/, "/metrics"), { method: "GET" })).body.toString();
    expect(metrics).toContain('statefun_batches_total{function_type="example/late",outcome="ok"} 1');
    expect(metrics).toContain('statefun_batches_total{function_type="",outcome="ok"} 0');
    const health = JSON.parse((await send(server.url.replace(/\/statefun$/, "/health"), { method: "GET" })).body.toString()) as { functions: string[] };
    expect(health.functions).toEqual(["example/late"]);
  } finally {
    await server.close();
  }
});
