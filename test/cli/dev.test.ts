/**
 * `statefun dev` as `npm start` runs it (the build's CLI, the repository's module.yaml and the
 * examples), driven as the README says: curl-like requests to the playground ingress and
 * egress, here on free ports (`--ingress-port 0 --egress-port 0 --broker-port 0 --ui-port 0`)
 * read from its start line instead of the module's 8090 and 8091 (and the UI's 8089), so that
 * another process on those ports does not matter. Then the dev loop around it: poison messages,
 * Ctrl-C, a cluster's module.yaml with --endpoint, TypeScript entries and --watch, the UI.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { silentLogger, StateFun, type StateFunServer } from "../../src";
import { dev } from "../../src/cli/dev";
import type { SavedRuntimeState } from "../../src/local";
import { greeterApp } from "../../examples/greeter/functions";
import { send } from "../http/client";
import { ENTRY, FREE_PORTS, greet, nextGreeting, ROOT, spawnDev, startDev, withDev, type Running } from "./dev-process";

jest.setTimeout(20_000);

const FIXTURES = path.join(__dirname, "fixtures");
const DEV_ENTRY = path.join(ROOT, "dist", "test", "cli", "fixtures", "dev-entry.js");

/** The lines of a dead letter's block, once its last line has been printed. */
async function deadLetterBlock(running: Running, id: number): Promise<string[]> {
  const first = await running.waitFor(new RegExp(`DEAD LETTER #${id} `));
  const last = await running.waitFor(new RegExp(`^  Type \\\`retry ${id}\\\``));
  return running.lines.slice(running.lines.indexOf(first), running.lines.indexOf(last) + 1);
}

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "statefun-dev-"));
}

/** The playground I/O as a cluster's module writes it; startDev's free-port flags override these ports. */
const PLAYGROUND = `---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics: [greetings]
`;

test("npm start's statefun dev: curl the playground ingress, then curl the greeting from the egress; Ctrl-C exits 0", async () => {
  await withDev(startDev(), async (dev) => {
    expect(dev.lines[0]).toMatch(/^statefun dev: example\/person, example\/greeter, .*module\.yaml: ingress :\d+, egress :\d+, broker :\d+; UI http:\/\/127\.0\.0\.1:\d+\/; Ctrl-C stops$/);
    expect((await greet(dev, "Bob")).status).toBe(200);
    expect(await nextGreeting(dev)).toBe("Hello Bob! Nice to meet you.");
    expect((await send(`${dev.egress}/greetings`, { method: "GET" })).status).toBe(404);
    expect((await send(`${dev.egress}/unknown`, { method: "GET" })).status).toBe(405);
    expect((await send(`${dev.ingress}/not-three-parts`, { method: "PUT", body: Buffer.from("x") })).status).toBe(500);
    expect(dev.lines.some((l) => /deliver ingress → example\/person\("Bob"\): example\/GreetRequest \{"name":"Bob"\}/.test(l))).toBe(true);
    expect(dev.lines.some((l) => /state example\/person\("Bob"\) visits = io\.statefun\.types\/int 1/.test(l))).toBe(true);
    expect(await dev.interrupt()).toMatchObject({ code: 0 });
  });
});

test("--state-file keeps state across restarts", async () => {
  const dir = tempDir();
  const stateFile = path.join(dir, "state.json");
  try {
    for (const expected of ["Hello Ann! Nice to meet you.", "Hello again Ann! Second time today."]) {
      await withDev(startDev(["--module", "module.yaml", "--state-file", stateFile, ENTRY]), async (dev) => {
        expect((await greet(dev, "Ann")).status).toBe(200);
        expect(await nextGreeting(dev)).toBe(expected);
        expect((await dev.interrupt()).code).toBe(0);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a body that can never be decoded, sent to Zed, is a dead letter: others are greeted at once, Zed's next message is, nothing repeats, Ctrl-C exits within a second", async () => {
  await withDev(startDev(), async (dev) => {
    expect((await greet(dev, "Alice")).status).toBe(200);
    expect(await nextGreeting(dev, 1)).toBe("Hello Alice! Nice to meet you.");
    expect((await greet(dev, "Zed", Buffer.from("{not json"))).status).toBe(200);
    const sent = Date.now();
    expect((await greet(dev, "Bob")).status).toBe(200);
    expect(await nextGreeting(dev, 2)).toBe("Hello Bob! Nice to meet you.");
    expect(Date.now() - sent).toBeLessThan(2_000);

    const [letter, error, frame, ...rest] = await deadLetterBlock(dev, 1);
    expect(letter).toMatch(/DEAD LETTER #1 ingress → example\/person\("Zed"\) set aside after 3 failed attempts: example\/GreetRequest .*SerializationError/);
    // The function's error and frame, source-mapped to the TypeScript of the example; what a cluster would do; how to go on.
    expect(error).toMatch(/^ {4}SerializationError: a message to example\/person\("Zed"\): example\/GreetRequest: the 9 bytes are not JSON/);
    expect(frame).toMatch(new RegExp(`^ +at .*${path.join("examples", "greeter", "functions.ts").replace(/[\\/.]/g, "\\$&")}:\\d+:\\d+\\)?$`));
    expect(rest.find((l) => l.includes("A cluster would fail the job on this message instead"))).toContain('example/person("Zed") goes on with its next message');
    expect(rest.at(-1)).toContain("`retry 1` to send it again");

    expect((await greet(dev, "Zed")).status).toBe(200);
    expect(await nextGreeting(dev, 3)).toBe("Hello Zed! Nice to meet you.");
    expect((await send(`${dev.egress}/greetings`, { method: "GET" })).status).toBe(404);
    expect(dev.lines.filter((l) => /egress .*topic greetings/.test(l))).toHaveLength(3);
    expect(dev.lines.filter((l) => /DEAD LETTER|JOB FAILED|restore from/.test(l))).toEqual([letter]);
    expect(dev.lines.filter((l) => /^\[.*\] deliver ingress → example\/person\("Alice"\)/.test(l))).toHaveLength(1);

    const { code, ms } = await dev.interrupt();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1_000);
  });
});

test("Ctrl-C exits within a second with retries, a slow function and a delayed message pending, and saves --state-file first", async () => {
  const dir = tempDir();
  const stateFile = path.join(dir, "state.json");
  try {
    const args = ["--module", path.join(FIXTURES, "dev.module.yaml"), "--max-attempts", "1000000", "--state-file", stateFile, DEV_ENTRY];
    await withDev(startDev(args), async (dev) => {
      const post = (type: string, id: string, text: string) => send(`${dev.ingress}/dev/${type}/${id}`, { method: "PUT", body: Buffer.from(text) });
      await post("timer", "t", "arm");
      await dev.waitFor(/delayed dev\/timer\("t"\)/);
      await post("slow", "s", "take your time");
      await dev.waitFor(/deliver ingress → dev\/slow\("s"\)/);
      await post("failing", "f", "again and again");
      await dev.waitFor(/retry dev\/failing\("f"\)/, 3);
      const { code, ms } = await dev.interrupt();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(1_000);
    });
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as SavedRuntimeState;
    expect(saved.queued.map((q) => `${q.to.typename}(${q.to.id})`).sort()).toEqual(["dev/failing(f)", "dev/slow(s)"]);
    expect(saved.delayed.map((d) => d.to)).toEqual([{ typename: "dev/timer", id: "t" }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dead letters from stdin: dead lists them, retry sends one again, discard drops it", async () => {
  await withDev(startDev(["--module", path.join(FIXTURES, "dev.module.yaml"), "--max-attempts", "2", DEV_ENTRY]), async (dev) => {
    expect(await dev.waitFor(/^dead letters: /)).toBe(
      "dead letters: an invocation that fails 2 time(s) is set aside; on stdin: dead (list the dead letters), retry <id|all> (send again), discard <id|all> (drop)",
    );
    await send(`${dev.ingress}/dev/failing/f`, { method: "PUT", body: Buffer.from("x") });
    await dev.waitFor(/DEAD LETTER #1 ingress → dev\/failing\("f"\) set aside after 2 failed attempts/);
    const type = (line: string): boolean => dev.child.stdin!.write(`${line}\n`);
    type("dead");
    expect(await dev.waitFor(/^#1 /)).toMatch(/^#1 ingress → dev\/failing\("f"\): io\.statefun\.types\/string .*; HTTP 500: .*dev\/failing always fails$/);
    type("retry 1");
    await dev.waitFor(/dead letter #1 → dev\/failing\("f"\) sent again/);
    await dev.waitFor(/DEAD LETTER #2 /);
    type("discard all");
    await dev.waitFor(/dead letter #2 → dev\/failing\("f"\) discarded/);
    type("dead");
    await dev.waitFor(/^no dead letters$/);
    type("retry 9");
    expect(await dev.waitFor(/^retry 9: /)).toBe("retry 9: there is no dead letter #9; dead letters: none");
    type("frobnicate");
    expect(await dev.waitFor(/^unknown command/)).toMatch(/^unknown command "frobnicate"; commands: dead/);
  });
});

describe("a module.yaml written for a cluster, unchanged", () => {
  let dir: string;
  let functions: StateFunServer;
  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(path.join(dir, "module.yaml"), `kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: http://functions:8000/statefun\n${PLAYGROUND}`);
    functions = await greeterApp(new StateFun({ logger: silentLogger })).listen({ port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
  });
  afterAll(async () => {
    await functions.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("runs with --endpoint and no entry: the routing table says where each function type goes", async () => {
    await withDev(startDev(["--endpoint", `example/*=${functions.url}`], dir), async (dev) => {
      expect(dev.lines[0]).toMatch(/^statefun dev: no entry; module\.yaml: ingress :\d+, egress :\d+; UI http:\/\/127\.0\.0\.1:\d+\/; Ctrl-C stops$/);
      await dev.waitFor(/^dead letters: /);
      expect(dev.lines.slice(1, 4)).toEqual([
        "routing (a function type goes to the first row that matches it):",
        `  example/*  → ${functions.url} (--endpoint)`,
        "  example/*  → http://functions:8000/statefun (module.yaml)",
      ]);
      expect((await greet(dev, "Bob")).status).toBe(200);
      expect(await nextGreeting(dev)).toBe("Hello Bob! Nice to meet you.");
    });
  });

  test("without --endpoint, a message to the cluster's host is a dead letter that names the endpoint and suggests --endpoint", async () => {
    await withDev(startDev([], dir), async (dev) => {
      expect((await greet(dev, "Bob")).status).toBe(200);
      const letter = await dev.waitFor(/DEAD LETTER #1 /);
      expect(letter).toMatch(
        /getaddrinfo (ENOTFOUND|EAI_AGAIN) functions: cannot reach http:\/\/functions:8000\/statefun, the endpoint for example\/\* \(module\.yaml:1\); if its functions run elsewhere, point the endpoint there: statefun dev --endpoint 'example\/\*=http:\/\/localhost:8000\/statefun'/,
      );
    });
  });
});

describe("TypeScript entries and --watch", () => {
  let dir: string;
  const app = `import { StateFun } from "statefun-ts";
import { greeting } from "./greeting";

interface Greet {
  name: string;
}
const GreetType = StateFun.jsonType<Greet>("example/GreetRequest");
const RecordType = StateFun.jsonType<{ topic: string; payload: string }>("io.statefun.playground/EgressRecord");

export const sf = new StateFun().bind({
  typename: "example/person",
  state: { visits: StateFun.intType() },
  handlers: [
    {
      type: GreetType,
      fn(ctx, greet: Greet) {
        const visits = (ctx.storage.visits ?? 0) + 1;
        ctx.storage.visits = visits;
        if (greet.name === "boom") throw new Error("boom, in TypeScript");
        if (greet.name === "later") ctx.sendAfter(3_600_000, { typename: "example/person", id: ctx.self.id, value: greet, valueType: GreetType });
        ctx.egress("io.statefun.playground/egress", { topic: "greetings", payload: greeting(greet.name, visits) }, RecordType);
      },
    },
  ],
});
`;
  beforeEach(() => {
    dir = tempDir();
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(ROOT, path.join(dir, "node_modules", "statefun-ts"), "dir");
    writeFileSync(path.join(dir, "module.yaml"), `kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n  urlPathTemplate: http://functions:8000/statefun\n${PLAYGROUND}`);
    writeFileSync(path.join(dir, "app.ts"), app);
    writeFileSync(path.join(dir, "greeting.ts"), "export const greeting = (name: string, visits: number): string => `Hello ${name} #${visits}`;\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const withTypeScript = (): void => symlinkSync(path.join(ROOT, "node_modules", "typescript"), path.join(dir, "node_modules", "typescript"), "dir");

  test("a .ts entry runs, compiled with its project's typescript; a function's stack names the .ts line", async () => {
    withTypeScript();
    await withDev(startDev(["--endpoint", "example/person=http://localhost:9999/statefun", "app.ts"], dir), async (dev) => {
      expect(dev.lines[0]).toMatch(/^statefun dev: example\/person from app\.ts; /);
      expect(await dev.waitFor(/^  note: /)).toBe(
        "  note: --endpoint example/person=http://localhost:9999/statefun has no effect: app.ts binds example/person, which runs in-process",
      );
      expect((await greet(dev, "Ann")).status).toBe(200);
      expect(await nextGreeting(dev)).toBe("Hello Ann #1");
      await greet(dev, "boom");
      const [, error, frame] = await deadLetterBlock(dev, 1);
      expect(error).toBe("    Error: boom, in TypeScript");
      const line = app.split("\n").findIndex((l) => l.includes("throw new Error")) + 1;
      expect(frame).toMatch(new RegExp(`^ +at .*${path.join(dir, "app.ts").replace(/[\\/.]/g, "\\$&")}:${line}:\\d+\\)?$`));
    });
  });

  test("a .ts entry whose project has no typescript package: a message that says what to do", async () => {
    const running = spawnDev([...FREE_PORTS, "app.ts"], dir);
    expect(await running.exited).toBe(1);
    expect(running.lines.join("\n")).toMatch(
      /^statefun dev: cannot load app\.ts: app\.ts is TypeScript, and its project has no typescript package to compile it with \(looked from .*\): install it there \(npm install --save-dev typescript\), or compile the entry with tsc and run the \.js$/,
    );
  });

  test("--watch reloads the functions when a source file changes; state and delayed messages stay", async () => {
    withTypeScript();
    const stateFile = path.join(dir, "state.json");
    await withDev(startDev(["--watch", "--state-file", stateFile, "app.ts"], dir), async (dev) => {
      await dev.waitFor(/^statefun dev: watching 2 source file\(s\) of app\.ts$/);
      await greet(dev, "later");
      expect(await nextGreeting(dev)).toBe("Hello later #1");
      writeFileSync(path.join(dir, "greeting.ts"), "export const greeting = (name: string, visits: number): string => `Hi again ${name}, visit ${visits}`;\n");
      expect(await dev.waitFor(/reloaded/)).toBe(
        "statefun dev: reloaded app.ts (greeting.ts changed): example/person; state, queues and delayed messages kept",
      );
      await greet(dev, "later");
      expect(await nextGreeting(dev, 2)).toBe("Hi again later, visit 2");
      expect((await dev.interrupt()).code).toBe(0);
    });
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as SavedRuntimeState;
    expect(saved.delayed.map((d) => d.to.id)).toEqual(["later", "later"]);
  });
});

test("the UI: served where the start line says, on the runtime's events; --no-ui: none", async () => {
  await withDev(startDev(), async (dev) => {
    const ui = dev.ui;
    expect(ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await greet(dev, "Bob")).status).toBe(200);
    await nextGreeting(dev);
    const page = await send(ui, { method: "GET" });
    expect([page.status, page.body.toString()]).toEqual([200, expect.stringContaining("<title>statefun dev · statefun</title>")]);
    const bob = JSON.parse((await send(`${ui}api/address?type=example/person&id=Bob`, { method: "GET" })).body.toString()) as { states: { name: string; value: { json: unknown } }[] };
    expect(bob.states).toEqual([expect.objectContaining({ name: "visits", value: expect.objectContaining({ json: 1 }) })]);
  });
  await withDev(startDev(["--no-ui", "--module", "module.yaml", ENTRY]), async (dev) => {
    expect([dev.ui, dev.lines[0]]).toEqual(["", expect.not.stringContaining("UI")]);
  });
});

test.each([
  ["ingress", "the playground ingress", "--ingress-port"],
  ["broker", "the Kafka/Kinesis broker stand-in", "--broker-port"],
  ["ui", "the UI", "--ui-port"],
])("a taken %s port: the message names the server and its flag", async (role, server, flag) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const ports = FREE_PORTS.map((a, i) => (FREE_PORTS[i - 1] === `--${role}-port` ? String(port) : a));
    const running = spawnDev([...ports, "--module", "module.yaml", ENTRY]);
    expect(await running.exited).toBe(1);
    expect(running.lines).toContain(
      `statefun dev: ${server} cannot listen on port ${port}: another process is using it (EADDRINUSE); stop the other process, or move it with ${flag} <port> (0 picks a free one)`,
    );
  } finally {
    taken.close();
  }
});

describe("arguments statefun dev refuses (exit 2, with the usage)", () => {
  test.each([
    [["--endpoint", "example/*"], "--endpoint takes '<pattern>=<url>', e.g. 'example/*=http://localhost:8000/statefun', not \"example/*\""],
    [["--endpoint", "example/greet*=http://localhost:8000/statefun"], '"example/greet*" is not a function pattern: * must be the whole name'],
    [["--endpoint", "example/*=localhost:8000"], "the URL must start with http:// or https://, not localhost:"],
    [["--max-attempts", "0", "app.js"], '--max-attempts must be a whole number from 1 to 9007199254740991, not "0"'],
    [["--ingress-port", "70000", "app.js"], '--ingress-port (0 picks a free port) must be a whole number from 0 to 65535, not "70000"'],
    [["--ui-port", "x", "app.js"], '--ui-port (0 picks a free port) must be a whole number from 0 to 65535, not "x"'],
    [["--ui-events", "0", "app.js"], '--ui-events must be a whole number from 1 to 9007199254740991, not "0"'],
    [["--watch"], "--watch reloads an entry's functions; give the entry"],
    [["a.js", "b.js"], "expected at most one entry, got a.js b.js"],
  ])("%j", async (args, reason) => {
    const err: string[] = [];
    const code = await dev(args, { out: () => undefined, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err.join("\n")).toContain(reason);
    expect(err.join("\n")).toContain("statefun dev [<entry>]");
  });
});
