/**
 * The inspector's server over a LocalRuntime, through HTTP as the page uses it: its JSON API
 * (functions and the traffic graph, addresses, one address, a batch's states before and after,
 * egress records, dead letters, one event whole), the event stream (server-sent events,
 * resumable, bounded), the send form's encoding, Retry and Discard; and what keeps other sites
 * out: the Host check, the token, the Origin, JSON only, no framing.
 */
import http from "node:http";
import { StateFun, egressMessageBuilder, messageBuilder, silentLogger } from "../../src";
import { LocalRuntime } from "../../src/local";
import { TOKEN_HEADER, type AddressView, type BatchView, type EgressView, type EventView, type FunctionsView } from "../../src/local/ui/web/protocol";
import { send, type Answer } from "../http/client";

const INT = StateFun.intType();
const Greet = StateFun.jsonType<{ name: string }>("example/Greet", {
  schema: { type: "object", properties: { name: { type: "string", minLength: 1 } }, required: ["name"], additionalProperties: false },
});
const EgressRecord = StateFun.jsonType<{ topic: string; payload: string }>("io.statefun.playground/EgressRecord");

/** The greeter in small: person counts visits and asks greeter, which writes to the playground egress; `broken.now` makes person throw. */
function greeter(broken = { now: false }): StateFun {
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/person",
      state: { visits: INT },
      handlers: [
        {
          type: Greet,
          fn: (ctx, greet) => {
            if (broken.now) throw new Error(`cannot greet ${greet.name}`);
            const visits = (ctx.storage.visits ?? 0) + 1;
            ctx.storage.visits = visits;
            ctx.send(messageBuilder({ typename: "example/greeter", id: greet.name, value: visits }));
          },
        },
      ],
    })
    .bind({
      typename: "example/greeter",
      fn: (ctx, msg) =>
        ctx.send(egressMessageBuilder({ typename: "io.statefun.playground/egress", value: { topic: "greetings", payload: `Hello ${ctx.self.id} #${msg.asInt()}` }, valueType: EgressRecord })),
    });
}

function runtime(options: { broken?: { now: boolean }; events?: number } = {}): LocalRuntime {
  return new LocalRuntime({
    functions: greeter(options.broken),
    egresses: [{ id: "io.statefun.playground/egress", kind: "playground", topics: ["greetings"] }],
    deadLetters: { maxAttempts: 2 },
  });
}

interface Ui {
  url: string;
  token: string;
  get<T>(path: string, headers?: http.OutgoingHttpHeaders): Promise<{ status: number; body: T; headers: http.IncomingHttpHeaders }>;
  post(path: string, body: unknown, headers?: http.OutgoingHttpHeaders): Promise<Answer>;
}

async function open(rt: LocalRuntime, events?: number): Promise<Ui> {
  const url = await rt.inspect(events === undefined ? {} : { events });
  const page = (await send(url, { method: "GET" })).body.toString("utf8");
  const token = /<meta name="statefun-token" content="([^"]+)">/.exec(page)?.[1] ?? "";
  const host = new URL(url).host;
  return {
    url,
    token,
    async get<T>(path: string, headers: http.OutgoingHttpHeaders = {}) {
      const answer = await send(new URL(path, url).href, { method: "GET", headers });
      return { status: answer.status, headers: answer.headers, body: JSON.parse(answer.body.toString("utf8")) as T };
    },
    post: (path, body, headers = {}) =>
      send(new URL(path, url).href, {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: `http://${host}`, [TOKEN_HEADER]: token, ...headers },
        body: Buffer.from(JSON.stringify(body)),
      }),
  };
}

/** Reads the event stream until `done` says it has what it needs (or the server ends it). */
function readStream(url: string, done: (events: EventView[]) => boolean, headers: http.OutgoingHttpHeaders = {}): Promise<{ events: EventView[]; ids: string[] }> {
  return new Promise((resolve, reject) => {
    const events: EventView[] = [];
    const ids: string[] = [];
    const req = http.get(url, { headers }, (res) => {
      let text = "";
      const finish = (): void => {
        req.destroy();
        resolve({ events, ids });
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        let end: number;
        while ((end = text.indexOf("\n\n")) >= 0) {
          const message = text.slice(0, end);
          text = text.slice(end + 2);
          const id = /^id: (.*)$/m.exec(message)?.[1];
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (id !== undefined) ids.push(id);
          if (data !== undefined && /^event: events$/m.test(message)) events.push(...(JSON.parse(data) as EventView[]));
        }
        if (done(events)) finish();
      });
      res.on("end", finish);
    });
    req.on("error", reject);
  });
}

describe("the JSON API", () => {
  let rt: LocalRuntime;
  let ui: Ui;
  beforeAll(async () => {
    rt = runtime();
    ui = await open(rt);
    for (const name of ["Bob", "Ann", "Bob"]) rt.send("example/person", name, { name }, Greet);
    await rt.runUntilIdle();
  });
  afterAll(() => rt.close());

  test("info: live, what runs, the clock, the capacity", async () => {
    const { body } = await ui.get<Record<string, unknown>>("/api/info");
    expect(body).toMatchObject({ mode: "live", readOnly: false, title: "LocalRuntime", clock: "virtual", now: 0, capacity: 20_000 });
  });

  test("functions: each with its target and states; the graph of the traffic with counts; what the send form offers", async () => {
    const { body } = await ui.get<FunctionsView>("/api/functions");
    const person = body.functions.find((f) => f.typename === "example/person");
    expect(person).toMatchObject({ target: "in-process", states: [{ name: "visits", typename: "io.statefun.types/int", registered: true }], takesAnyMessage: false, addresses: 2 });
    expect(person?.sendTypes).toEqual([{ typename: "example/Greet", kind: "json", source: "handler" }]);
    const greeterTypes = body.functions.find((f) => f.typename === "example/greeter")?.sendTypes ?? [];
    expect(greeterTypes.slice(0, 3)).toEqual([
      { typename: "io.statefun.types/int", kind: "builtin", source: "seen" },
      { typename: "example/Greet", kind: "json", source: "declared" },
      { typename: "io.statefun.types/string", kind: "builtin", source: "builtin" },
    ]);
    expect(body.graph.edges).toEqual(
      expect.arrayContaining([
        { from: "ingress", to: "example/person", kind: "ingress", count: 3 },
        { from: "example/person", to: "example/greeter", kind: "message", count: 3 },
        { from: "example/greeter", to: "egress:io.statefun.playground/egress", kind: "egress", count: 3, topics: ["greetings"] },
      ]),
    );
    expect(body.graph.nodes.map((n) => n.id)).toEqual(["example/person", "example/greeter", "egress:io.statefun.playground/egress", "ingress"]);
  });

  test("addresses, and one address: its state decoded, its history counted", async () => {
    const { body: list } = await ui.get<{ address: { id: string; typename: string }; states: number; events: number }[]>("/api/addresses");
    expect(list.map((a) => `${a.address.typename} ${a.address.id} ${a.states}`)).toEqual(["example/person Bob 1", "example/person Ann 1", "example/greeter Bob 0", "example/greeter Ann 0"]);
    expect(list[0].events).toBe(10);
    const { body } = await ui.get<AddressView>("/api/address?type=example/person&id=Bob");
    expect(body.states).toEqual([{ name: "visits", typename: "io.statefun.types/int", value: { typename: "io.statefun.types/int", kind: "builtin", size: 5, text: "2", json: 2 } }]);
    expect([body.queued, body.inFlight, body.delayed, body.deadLetters]).toEqual([[], [], [], []]);
    expect((await ui.get("/api/address?type=example/person")).status).toBe(400);
  });

  test("a batch: the address's states before it and after its reply", async () => {
    const deliveries = rt.log.filter((e) => e.kind === "deliver" && e.to.typename === "example/person" && e.to.id === "Bob") as { batch: number }[];
    const { body: first } = await ui.get<BatchView>(`/api/batch?id=${deliveries[0].batch}`);
    expect(first).toMatchObject({ address: { typename: "example/person", id: "Bob" }, before: [], after: [{ name: "visits", value: { json: 1 } }] });
    const { body: second } = await ui.get<BatchView>(`/api/batch?id=${deliveries[1].batch}`);
    expect(second).toMatchObject({ before: [{ name: "visits", value: { json: 1 } }], after: [{ name: "visits", value: { json: 2 } }] });
    expect((await ui.get("/api/batch?id=9999")).status).toBe(404);
  });

  test("egress: records per egress and topic, newest first, decoded", async () => {
    const { body } = await ui.get<EgressView[]>("/api/egress");
    expect(body).toEqual([
      {
        id: "io.statefun.playground/egress",
        kind: "playground",
        total: 3,
        groups: [
          {
            topic: "greetings",
            total: 3,
            records: [3, 2, 1].map((n) => ({
              n,
              record: { kind: "playground", topic: "greetings", value: expect.objectContaining({ kind: "text", json: ["Hello Bob #1", "Hello Ann #1", "Hello Bob #2"][n - 1] }) },
            })),
          },
        ],
      },
    ]);
  });

  test("one event whole; a value too long for the stream is carried whole there", async () => {
    const { body } = await ui.get<EventView>("/api/event?seq=1");
    expect(body).toMatchObject({ seq: 1, kind: "ingress", address: { typename: "example/person", id: "Bob" }, from: null, value: { kind: "json", json: { name: "Bob" } } });
    expect((await ui.get("/api/event?seq=100000")).status).toBe(404);
    const name = "n".repeat(5_000);
    rt.send("example/person", "long", { name }, Greet);
    const seq = rt.log.length - 1;
    const { events } = await readStream(`${ui.url}api/events?after=${seq - 1}`, (got) => got.length > 0);
    expect(events[0]).toMatchObject({ seq, kind: "ingress", value: { truncated: true, size: 5_011 } });
    expect(events[0].value?.json).toBeUndefined();
    expect(events[0].value?.text).toMatch(/^\{"name":"n+…\(5011 characters\)$/);
    expect((await ui.get<EventView>(`/api/event?seq=${seq}`)).body.value).toMatchObject({ json: { name } });
    await rt.runUntilIdle();
  });

  test("the page: the token, no framing, a content security policy; unknown paths are 404", async () => {
    const page = await send(ui.url, { method: "GET" });
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body.toString()).toContain(`content="${ui.token}"`);
    expect(ui.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await send(new URL("/static/../server.js", ui.url).href, { method: "GET" })).status).toBe(404);
    expect((await send(new URL("/static/style.css", ui.url).href, { method: "GET" })).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await send(ui.url, { method: "PUT" })).status).toBe(405);
  });
});

describe("the event stream", () => {
  test("every event kept, then new ones as they happen; resumed after the last one seen", async () => {
    const rt = runtime();
    try {
      const ui = await open(rt);
      rt.send("example/person", "Bob", { name: "Bob" }, Greet);
      await rt.runUntilIdle();
      const first = await readStream(`${ui.url}api/events`, (events) => events.length >= rt.log.length);
      expect(first.events.map((e) => e.kind)).toEqual(["ingress", "deliver", "register", "message", "deliver", "state", "egress"]);
      expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const last = Number(first.ids.at(-1));
      const more = readStream(`${ui.url}api/events`, (events) => events.some((e) => e.kind === "egress" && e.seq > last + 2), { "Last-Event-ID": String(last) });
      rt.send("example/person", "Ann", { name: "Ann" }, Greet);
      await rt.runUntilIdle();
      const { events } = await more;
      expect(events[0].seq).toBe(last + 1);
      expect(events.every((e, i) => e.seq === last + 1 + i)).toBe(true);
    } finally {
      rt.close();
    }
  });

  test("bounded: only the newest `events` are kept, and sent", async () => {
    const rt = runtime();
    try {
      const ui = await open(rt, 50);
      for (let i = 0; i < 40; i++) rt.send("example/person", `p${i}`, { name: `p${i}` }, Greet);
      await rt.runUntilIdle();
      const total = rt.log.length;
      expect(total).toBeGreaterThan(200);
      const { events } = await readStream(`${ui.url}api/events?after=0`, (got) => got.length >= 50);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => total - 49 + i));
      expect((await ui.get("/api/event?seq=1")).status).toBe(404);
    } finally {
      rt.close();
    }
  });

  test("events before inspect() are there too (their batches' states before are not recorded)", async () => {
    const rt = runtime();
    try {
      rt.send("example/person", "Bob", { name: "Bob" }, Greet);
      await rt.runUntilIdle();
      const ui = await open(rt);
      const { events } = await readStream(`${ui.url}api/events`, (got) => got.length >= rt.log.length);
      expect(events).toHaveLength(rt.log.length);
      const { body } = await ui.get<BatchView>(`/api/batch?id=${events[1].batch}`);
      expect(body.before).toBeUndefined();
      expect(body.after).toMatchObject([{ name: "visits", value: { json: 1 } }]);
    } finally {
      rt.close();
    }
  });
});

describe("changes from the page", () => {
  let rt: LocalRuntime;
  let ui: Ui;
  const broken = { now: false };
  beforeAll(async () => {
    rt = runtime({ broken });
    ui = await open(rt);
  });
  afterAll(() => rt.close());

  test("send: JSON checked against the type's schema, delivered; answers the number of its ingress event", async () => {
    const sent = await ui.post("/api/send", { typename: "example/person", id: "Cy", valueType: "example/Greet", value: '{"name":"Cy"}' });
    expect(sent.status).toBe(200);
    const { seq } = JSON.parse(sent.body.toString()) as { seq: number };
    await rt.runUntilIdle();
    expect(rt.log[seq - 1]).toMatchObject({ kind: "ingress", to: { typename: "example/person", id: "Cy" } });
    expect(rt.state("example/person", "Cy", "visits")).toBe(1);
    const refused = await ui.post("/api/send", { typename: "example/person", id: "Cy", valueType: "example/Greet", value: '{"name":""}' });
    expect([refused.status, JSON.parse(refused.body.toString()).error]).toEqual([400, expect.stringContaining("must NOT have fewer than 1 characters")]);
  });

  test("send: built-in values as written; an unknown function type or a value that is not its type refused", async () => {
    expect((await ui.post("/api/send", { typename: "example/greeter", id: "Dee", valueType: "io.statefun.types/int", value: " 7 " })).status).toBe(200);
    await rt.runUntilIdle();
    expect(rt.egress("io.statefun.playground/egress").at(-1)).toEqual({ kind: "playground", topic: "greetings", payload: "Hello Dee #7" });
    const answers = await Promise.all([
      ui.post("/api/send", { typename: "example/greeter", id: "x", valueType: "io.statefun.types/int", value: "seven" }),
      ui.post("/api/send", { typename: "example/greeter", id: "x", valueType: "io.statefun.types/int", value: "99999999999" }),
      ui.post("/api/send", { typename: "example/nobody", id: "x", valueType: "io.statefun.types/string", value: "hi" }),
      ui.post("/api/send", { typename: "example/greeter", id: "x", valueType: "notatypename", value: "1" }),
      ui.post("/api/send", { typename: "example/greeter", id: "x" }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 409, 400, 400]);
    expect(JSON.parse(answers[2].body.toString()).error).toContain("no function type example/nobody is served");
  });

  test("a dead letter retried and another discarded; an unknown one is 404", async () => {
    broken.now = true;
    rt.send("example/person", "Zed", { name: "Zed" }, Greet);
    rt.send("example/person", "Zoe", { name: "Zoe" }, Greet);
    await rt.runUntilIdle();
    const letters = (await ui.get<{ id: number; to: { id: string }; error: string; stack?: string }[]>("/api/dead-letters")).body;
    expect(letters.map((d) => [d.id, d.to.id])).toEqual([
      [1, "Zed"],
      [2, "Zoe"],
    ]);
    expect(letters[0].error).toContain("cannot greet Zed");
    expect(letters[0].stack).toContain("cannot greet Zed");
    broken.now = false;
    const retried = await ui.post("/api/dead-letters/1/retry", {});
    expect(retried.status).toBe(200);
    expect(JSON.parse(retried.body.toString()).map((d: { id: number }) => d.id)).toEqual([2]);
    await rt.runUntilIdle();
    expect(rt.state("example/person", "Zed", "visits")).toBe(1);
    expect((await ui.post("/api/dead-letters/2/discard", {})).status).toBe(200);
    expect(rt.deadLetters).toEqual([]);
    expect((await ui.post("/api/dead-letters/2/retry", {})).status).toBe(404);
  });

  test("refused unless from the UI's own page: token, origin, JSON; and any request with another Host", async () => {
    const body = { typename: "example/person", id: "Eve", valueType: "example/Greet", value: '{"name":"Eve"}' };
    const answers = await Promise.all([
      ui.post("/api/send", body, { [TOKEN_HEADER]: "" }),
      ui.post("/api/send", body, { [TOKEN_HEADER]: "x".repeat(32) }),
      ui.post("/api/send", body, { Origin: "http://evil.example" }),
      ui.post("/api/send", body, { "Sec-Fetch-Site": "cross-site" }),
      ui.post("/api/send", body, { "Content-Type": "text/plain" }),
      ui.post("/api/send", body, { Host: "evil.example" }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(answers.map((a) => JSON.parse(a.body.toString()).error)).toEqual([
      expect.stringContaining(`the ${TOKEN_HEADER} header is missing or wrong`),
      expect.stringContaining(`the ${TOKEN_HEADER} header is missing or wrong`),
      "a request from http://evil.example is refused: the UI takes changes from its own page only",
      expect.stringContaining("a cross-site request is refused"),
      expect.stringContaining("Content-Type: application/json"),
      expect.stringContaining('Host "evil.example" is refused'),
    ]);
    expect(rt.addresses().some((a) => a.id === "Eve")).toBe(false);
    const port = new URL(ui.url).port;
    for (const host of [`evil.example:${port}`, `rebound.attacker.test:${port}`, "127.0.0.1:1"]) {
      expect((await ui.get("/api/info", { Host: host })).status).toBe(403);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`]) {
      expect((await ui.get("/api/info", { Host: host })).status).toBe(200);
    }
    expect((await ui.post("/api/send", { ...body, value: "x".repeat(2 << 20) })).status).toBe(413);
    expect((await ui.post("/api/send", body)).status).toBe(200);
  });
});
