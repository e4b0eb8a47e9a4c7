/**
 * `serve()` in a child process (the build's `dist/test/http/fixtures/server-child.js`, which
 * `npm test` builds first): SIGTERM finishes in-flight batches and exits 0; an oversized upload
 * is refused without the server buffering it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { StateFun } from "../../src";
import { addr, request, result, tv } from "../requests";
import { post, type Answer } from "./client";

const CHILD = path.join(__dirname, "..", "..", "dist", "test", "http", "fixtures", "server-child.js");

interface Child {
  process: ChildProcess;
  url: string;
  /** The server's live Buffer memory once it listened. */
  listeningLive: number;
  /** Resolves with the next event of this name. */
  next(event: string): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function start(env: Record<string, string> = {}): Promise<Child> {
  const flags = env.SAMPLE_LIVE === "1" ? ["--expose-gc"] : [];
  const child = spawn(process.execPath, [...flags, CHILD], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const waiting = new Map<string, ((e: Record<string, unknown>) => void)[]>();
  const seen: Record<string, unknown>[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    const queue = waiting.get(String(event.event));
    const resolve = queue?.shift();
    if (resolve) resolve(event);
    else seen.push(event);
  });
  const next = (name: string): Promise<Record<string, unknown>> => {
    const i = seen.findIndex((e) => e.event === name);
    if (i !== -1) return Promise.resolve(seen.splice(i, 1)[0]);
    return new Promise((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve]));
  };
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return next("listening").then((e) => ({ process: child, url: String(e.url), listeningLive: Number(e.liveBytes), next, exited }));
}

const slow = (id: string) =>
  request({ target: addr("example/slow", id), state: { count: null }, invocations: [{ argument: tv(StateFun.stringType(), "go") }] });

test("SIGTERM: the in-flight batch is answered, new connections are refused, the process exits 0", async () => {
  const child = await start({ SLOW_MS: "400" });
  try {
    const answer = post(child.url, slow("a"));
    await child.next("batch");
    child.process.kill("SIGTERM");
    const reply: Answer = await answer;
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe("close");
    expect(result(reply.body).stateMutations).toHaveLength(1);
    await expect(post(child.url, slow("b"))).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    expect(await child.exited).toBe(0);
  } finally {
    child.process.kill("SIGKILL");
  }
});

/**
 * Uploads `total` bytes in 64 KiB chunks (one buffer, reused), all of them whatever the server
 * answers meanwhile, as a client that ignores an early answer would: a server that buffered
 * the rest of a refused body would hold all of it. A write error after the answer (the server
 * cutting the connection on the rest of the upload) does not count.
 */
function upload(url: string, total: number, declareLength: boolean): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let answer: { status: number; body: string } | null = null;
    let finished = false;
    const settle = (): void => {
      if (answer !== null && finished) resolve({ ...answer, sent });
    };
    const req = http.request(url, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", ...(declareLength ? { "Content-Length": total } : {}) },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      const done = (): void => {
        answer = { status: res.statusCode ?? 0, body };
        settle();
      };
      res.on("end", done);
      res.on("error", done);
    });
    req.on("error", (e) => {
      finished = true;
      if (answer === null && sent < total) reject(e);
      else settle();
    });
    req.on("close", () => {
      finished = true;
      settle();
    });
    const write = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

const MiB = 1024 * 1024;

/** Peak live Buffer memory of a child above its size when listening, over two 20 MiB uploads. */
async function peakGrowth(env: Record<string, string>, check: (answers: { status: number; body: string }[]) => void): Promise<number> {
  const child = await start({ SAMPLE_LIVE: "1", ...env });
  try {
    const answers = [await upload(child.url, 20 * MiB, false), await upload(child.url, 20 * MiB, true)];
    check(answers);
    child.process.kill("SIGTERM");
    await child.exited;
    const exit = await child.next("exit");
    return Number(exit.peakLiveBytes) - child.listeningLive;
  } finally {
    child.process.kill("SIGKILL");
  }
}

test("a 20 MiB upload over a 1 MiB limit is answered 413, and the server never holds more than the limit of it", async () => {
  // What this guards: the refused rest of a body is dropped as it arrives, never kept. The
  // figure is live memory after a full GC (garbage a busy machine has yet to collect does not
  // count), so it does not depend on load; a server that keeps the body holds all 20 MiB.
  const ours = await peakGrowth({ MAX_BODY_BYTES: String(MiB) }, ([chunked, declared]) => {
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatch(/larger than the endpoint's limit of 1048576 bytes/);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatch(/request body \(20971520 bytes\) is larger than the endpoint's limit/);
  });
  console.log(`server live memory: peak ${Math.round(ours / 1024)} KiB above its size when listening`);
  expect(ours).toBeLessThan(6 * MiB);
}, 30_000);

test("the measurement sees buffering: a server that reads the whole body before refusing it holds 20 MiB", async () => {
  const buffering = await peakGrowth({ MODE: "buffering" }, (answers) => {
    for (const a of answers) expect(a.body).toBe("read all 20971520 bytes before refusing them\n");
  });
  expect(buffering).toBeGreaterThan(19 * MiB);
}, 30_000);

test("the server still serves after refusing uploads", async () => {
  const child = await start({ MAX_BODY_BYTES: String(MiB) });
  try {
    expect((await upload(child.url, 4 * MiB, false)).status).toBe(413);
    expect((await post(child.url, slow("after"))).status).toBe(200);
  } finally {
    child.process.kill("SIGKILL");
  }
});
