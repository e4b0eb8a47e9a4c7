/**
 * Fuzzing the served endpoint with request bodies: random bytes, truncated and mutated valid
 * requests, and garbage declared as gzip. The server must never crash, must answer each body
 * exactly as the request path says (`handleRequest` on the same bytes is the oracle: a mutated
 * body that still is a valid request may get a 200, garbage never), and must still serve a
 * valid request afterwards.
 */
import http from "node:http";
import fc from "fast-check";
import { StateFun, messageBuilder, serve, silentLogger, type StateFunServer } from "../../src";
import { addr, request, tv } from "../requests";
import { post } from "./client";

const RUNS_PER_KIND = 525; // 4 kinds: 2,100 bodies per run

const sf = new StateFun({ logger: silentLogger }).bind({
  typename: "fuzz/fn",
  specs: [
    { name: "count", type: StateFun.intType() },
    { name: "doc", type: StateFun.jsonType<{ seen: string[] }>("fuzz/Doc") },
  ],
  fn(ctx, msg) {
    const text = msg.isString() ? (msg.asString() ?? "") : msg.valueTypeName;
    ctx.storage.count = ((ctx.storage.count ?? 0) + 1) | 0;
    const doc = ctx.storage.doc ?? { seen: [] };
    doc.seen.push(text.slice(0, 8));
    ctx.storage.doc = doc;
    ctx.send(messageBuilder({ typename: "fuzz/peer", id: ctx.self.id || "x", value: text }));
  },
});

const validRequest: fc.Arbitrary<Buffer> = fc
  .record({
    id: fc.string({ maxLength: 6 }),
    count: fc.option(fc.integer(), { nil: null }),
    texts: fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ id, count, texts }) =>
    request({
      target: addr("fuzz/fn", id),
      state: { count: count === null ? null : tv(StateFun.intType(), count), doc: null },
      invocations: texts.map((t) => ({ caller: addr("fuzz/caller", t), argument: tv(StateFun.stringType(), t) })),
    }),
  );

const truncated = fc.tuple(validRequest, fc.nat()).map(([body, cut]) => body.subarray(0, cut % body.length));

const mutated = fc
  .tuple(validRequest, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")), { minLength: 1, maxLength: 4 }))
  .map(([body, edits]) => {
    const bytes = [...body];
    for (const [at, value, how] of edits) {
      const i = at % (bytes.length + 1);
      if (how === "set" && i < bytes.length) bytes[i] = value;
      else if (how === "insert") bytes.splice(i, 0, value);
      else if (how === "delete" && i < bytes.length) bytes.splice(i, 1);
    }
    return Buffer.from(bytes);
  });

const randomBytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

let server: StateFunServer;
let agent: http.Agent;
beforeAll(async () => {
  server = await serve(sf, { port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});
afterAll(async () => {
  agent.destroy();
  await server.close();
});

/** What the request path makes of `body`: a 200 with these bytes, or the error's status. */
async function oracle(body: Buffer): Promise<{ status: number; body?: Buffer }> {
  return sf.handleRequest(body).then(
    (bytes) => ({ status: 200, body: Buffer.from(bytes) }),
    (e: { httpStatus?: number }) => ({ status: e.httpStatus ?? -1 }),
  );
}

const seen = { bodies: 0, ok: 0, statuses: new Map<number, number>() };

async function check(body: Buffer): Promise<void> {
  const answer = await post(server.url, body, {}, agent);
  const expected = await oracle(body);
  seen.bodies++;
  seen.statuses.set(answer.status, (seen.statuses.get(answer.status) ?? 0) + 1);
  expect(answer.status).toBe(expected.status);
  if (answer.status === 200) {
    seen.ok++;
    expect(answer.headers["content-type"]).toBe("application/octet-stream");
    expect(answer.body.equals(expected.body as Buffer)).toBe(true);
  } else {
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answer.body.length).toBeGreaterThan(1);
  }
}

test(`${RUNS_PER_KIND * 4} fuzzed bodies: answered as the request path says, never a 200 to random bytes, no crash`, async () => {
  await fc.assert(fc.asyncProperty(truncated, check), { numRuns: RUNS_PER_KIND, seed: 1 });
  await fc.assert(fc.asyncProperty(mutated, check), { numRuns: RUNS_PER_KIND, seed: 2 });
  await fc.assert(
    fc.asyncProperty(randomBytes, async (body) => {
      const okBefore = seen.ok;
      await check(body);
      expect(seen.ok).toBe(okBefore); // random bytes are never a valid request for fuzz/fn
    }),
    { numRuns: RUNS_PER_KIND, seed: 3 },
  );
  const okBeforeGzip = seen.ok;
  await fc.assert(
    fc.asyncProperty(randomBytes, async (body) => {
      const answer = await post(server.url, body, { "Content-Encoding": "gzip" }, agent);
      seen.bodies++;
      expect([400, 413]).toContain(answer.status);
    }),
    { numRuns: RUNS_PER_KIND, seed: 4 },
  );
  expect(seen.ok).toBe(okBeforeGzip);
  expect(seen.bodies).toBeGreaterThanOrEqual(2_000);
  // Every kind of answer was reached.
  expect([...seen.statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 404]));

  const after = await post(server.url, request({ target: addr("fuzz/fn", "ok"), state: { count: null, doc: null }, invocations: [{ argument: tv(StateFun.stringType(), "hi") }] }), {}, agent);
  expect(after.status).toBe(200);
}, 120_000);
