/**
 * `statefun dev` as `npm start` runs it (the build's CLI, the repository's module.yaml and the
 * examples), driven as the README says: curl-like requests to the playground ingress and
 * egress, here on free ports (`--ingress-port 0 --egress-port 0 --broker-port 0`) read from its
 * start line instead of the module's 8090 and 8091, so that another process on those ports does
 * not matter.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { send } from "../http/client";

const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "src", "cli", "statefun.js");
const ENTRY = path.join(ROOT, "dist", "examples", "index.js");

interface Dev {
  child: ChildProcess;
  lines: string[];
  /** Base URLs of the playground ingress and egress. */
  ingress: string;
  egress: string;
  /** Resolves with the first line (already printed or still to come) matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

function startDev(...extra: string[]): Promise<Dev> {
  const ports = ["--ingress-port", "0", "--egress-port", "0", "--broker-port", "0"];
  const child = spawn(process.execPath, [CLI, "dev", "--module", "module.yaml", ...ports, ...extra, ENTRY], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    for (const w of [...waiting]) {
      if (w.pattern.test(line)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", onLine);
  const waitFor = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ pattern, resolve }));
  };
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return waitFor(/^statefun dev: /).then((banner) => {
    const portOf = (role: string): string => {
      const m = new RegExp(`${role} :(\\d+)`).exec(banner);
      if (m === null) throw new Error(`no ${role} port in ${banner}`);
      return `http://127.0.0.1:${m[1]}`;
    };
    return { child, lines, waitFor, exited, ingress: portOf("ingress"), egress: portOf("egress") };
  });
}

const greet = (dev: Dev, name: string) =>
  send(`${dev.ingress}/example/person/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.example/GreetRequest" },
    body: Buffer.from(JSON.stringify({ name })),
  });

/** `curl localhost:8091/greetings`, once the greeting has been written. */
async function nextGreeting(dev: Dev): Promise<string> {
  await dev.waitFor(/egress .*topic greetings/);
  const answer = await send(`${dev.egress}/greetings`, { method: "GET" });
  expect(answer.status).toBe(200);
  return answer.body.toString("utf8");
}

test("npm start's statefun dev: curl the playground ingress, then curl the greeting from the egress; Ctrl-C exits 0", async () => {
  const dev = await startDev();
  try {
    expect(dev.lines[0]).toMatch(/^statefun dev: example\/person, example\/greeter, .*module\.yaml: ingress :\d+, egress :\d+, broker :\d+; Ctrl-C stops$/);
    expect((await greet(dev, "Bob")).status).toBe(200);
    expect(await nextGreeting(dev)).toBe("Hello Bob! Nice to meet you.");
    expect((await send(`${dev.egress}/greetings`, { method: "GET" })).status).toBe(404);
    expect((await send(`${dev.egress}/unknown`, { method: "GET" })).status).toBe(405);
    expect((await send(`${dev.ingress}/not-three-parts`, { method: "PUT", body: Buffer.from("x") })).status).toBe(500);
    expect(dev.lines.some((l) => /deliver ingress → example\/person\("Bob"\): example\/GreetRequest \{"name":"Bob"\}/.test(l))).toBe(true);
    expect(dev.lines.some((l) => /state example\/person\("Bob"\) visits = io\.statefun\.types\/int 1/.test(l))).toBe(true);
    dev.child.kill("SIGINT");
    expect(await dev.exited).toBe(0);
  } finally {
    dev.child.kill("SIGKILL");
  }
});

test("--state-file keeps state across restarts", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "statefun-dev-"));
  const stateFile = path.join(dir, "state.json");
  try {
    for (const expected of ["Hello Ann! Nice to meet you.", "Hello again Ann! Second time today."]) {
      const dev = await startDev("--state-file", stateFile);
      try {
        expect((await greet(dev, "Ann")).status).toBe(200);
        expect(await nextGreeting(dev)).toBe(expected);
        dev.child.kill("SIGINT");
        expect(await dev.exited).toBe(0);
      } finally {
        dev.child.kill("SIGKILL");
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
