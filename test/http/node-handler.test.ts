/** sf.handler() / sf.handle(req, res) over a real loopback socket. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StateFun, type Logger } from "../../src";
import { addr, request, result, tv } from "../requests";

const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const logger: Logger = {
  error: (fields, message) => logged.push({ level: "error", fields, message }),
  warn: (fields, message) => logged.push({ level: "warn", fields, message }),
  info: (fields, message) => logged.push({ level: "info", fields, message }),
};

const sf = new StateFun({ logger })
  .bind({
    typename: "example/person",
    specs: [{ name: "visits", type: StateFun.intType() }],
    async fn(ctx, msg) {
      await new Promise((r) => setImmediate(r));
      if (msg.asString() === "fail") throw new Error("cannot greet");
      ctx.storage.visits = (ctx.storage.visits ?? 0) + 1;
    },
  });

let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer(sf.handler());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => (logged.length = 0));

async function post(body: Uint8Array): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } });
  return { status: res.status, type: res.headers.get("content-type"), body: Buffer.from(await res.arrayBuffer()) };
}

const person = (arg: string) =>
  request({ target: addr("example/person", "Bob"), state: { visits: null }, invocations: [{ argument: tv(StateFun.stringType(), arg) }] });

test("200 with Content-Type exactly application/octet-stream and the FromFunction bytes", async () => {
  const res = await post(person("hi"));
  expect(res.status).toBe(200);
  expect(res.type).toBe("application/octet-stream");
  expect(res.body).toEqual(Buffer.from(await sf.handleRequest(person("hi"))));
  expect(result(res.body).stateMutations[0].stateName).toBe("visits");
  expect(logged).toEqual([]);
});

test("a function failure is a 500 with a text/plain reason naming the function and id, logged once with the stack", async () => {
  const res = await post(person("fail"));
  expect(res.status).toBe(500);
  expect(res.type).toBe("text/plain; charset=utf-8");
  expect(res.body.toString()).toBe('function example/person("Bob") failed at invocation 1 of 1: cannot greet\n');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: "error", fields: { status: 500, functionType: "example/person", id: "Bob" } });
  expect(String(logged[0].fields.cause)).toMatch(/Error: cannot greet\n\s+at /);
});

test("garbage is a 400 and an unknown function a 404, each with a reason", async () => {
  const bad = await post(Buffer.from("not protobuf at all"));
  expect(bad.status).toBe(400);
  expect(bad.body.toString()).toMatch(/is not a StateFun ToFunction message/);
  const unknown = await post(request({ target: addr("example/ghost", "1"), invocations: [{ argument: tv(StateFun.stringType(), "x") }] }));
  expect(unknown.status).toBe(404);
  expect(unknown.body.toString()).toMatch(/no function is bound to "example\/ghost"; bound types: example\/person/);
  expect(logged.map((l) => l.level)).toEqual(["warn", "warn"]);
});

test("concurrent requests for many addresses with interleaving async functions each get their own reply", async () => {
  const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
  const replies = await Promise.all(
    ids.map((id) =>
      post(
        request({
          target: addr("example/person", id),
          state: { visits: tv(StateFun.intType(), Number(id.slice(3))) },
          invocations: [{ argument: tv(StateFun.stringType(), id) }],
        }),
      ),
    ),
  );
  replies.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(StateFun.intType().deserialize(result(r.body).stateMutations[0].stateValue!.value!)).toBe(i + 1);
  });
});

test("a body split over many TCP chunks is reassembled", async () => {
  const big = request({
    target: addr("example/person", "Bob"),
    state: { visits: null },
    invocations: Array.from({ length: 2000 }, () => ({ argument: tv(StateFun.stringType(), "x".repeat(100)) })),
  });
  expect(big.length).toBeGreaterThan(200_000);
  const res = await post(big);
  expect(res.status).toBe(200);
  expect(StateFun.intType().deserialize(result(res.body).stateMutations[0].stateValue!.value!)).toBe(2000);
});

test.each(["GET", "PUT", "DELETE"])("a %s is answered 405 with Allow: POST, as serve() answers, and logged once", async (method) => {
  const res = await fetch(url, { method });
  expect(res.status).toBe(405);
  expect(res.headers.get("allow")).toBe("POST");
  expect(await res.text()).toBe(`${method} /statefun: the function endpoint only takes POST (a ToFunction body)\n`);
  expect(logged).toEqual([{ level: "warn", fields: { status: 405, method, url: "/statefun" }, message: `${method} /statefun: the function endpoint only takes POST (a ToFunction body)` }]);
  // The connection is still good for the next request.
  expect((await post(person("hi"))).status).toBe(200);
});

describe("error texts stay bounded whatever the request holds", () => {
  const huge = "x".repeat(1024 * 1024);

  test("a 1 MB id: the 500 body and the log line quote its start and its length, not the megabyte", async () => {
    const body = request({ target: addr("example/person", huge), state: { visits: null }, invocations: [{ argument: tv(StateFun.stringType(), "fail") }] });
    const res = await post(body);
    expect(res.status).toBe(500);
    const text = res.body.toString();
    expect(text.length).toBeLessThan(400);
    expect(text).toMatch(/^function example\/person\("x{120}"…\(1048576 characters\)\) failed at invocation 1 of 1: cannot greet\n$/);
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0]).length).toBeLessThan(4_000);
  });

  test("a 1 MB function type: the 404 body is short", async () => {
    const body = request({ target: { namespace: huge, type: "t", id: huge }, state: {}, invocations: [{ argument: tv(StateFun.stringType(), "hi") }] });
    const res = await post(body);
    expect(res.status).toBe(404);
    expect(res.body.length).toBeLessThan(1_000);
    expect(JSON.stringify(logged).length).toBeLessThan(2_000);
  });

  test("a function's own 1 MB error message is cut in the answer", async () => {
    const noisy = new StateFun({ logger }).bind({ typename: "example/noisy", fn: () => { throw new Error(huge); } });
    const reply = noisy.handleRequest(request({ target: addr("example/noisy", "n"), invocations: [{ argument: tv(StateFun.stringType(), "hi") }] }));
    await expect(reply).rejects.toThrow(/…\(1048576 characters\)$/);
    const message = await reply.catch((e: Error) => e.message);
    expect(message.length).toBeLessThan(2_200);
  });
});
