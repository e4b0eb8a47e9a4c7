/**
 * `statefun dev` as a child process (the build's CLI), for the tests that drive it as people
 * do: its lines as they come, its servers on free ports read from its start line, the README's
 * curl requests to the playground ingress and egress.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { send } from "../http/client";

export const ROOT = path.join(__dirname, "..", "..");
export const CLI = path.join(ROOT, "dist", "src", "cli", "statefun.js");
export const ENTRY = path.join(ROOT, "dist", "examples", "index.js");
export const FREE_PORTS = ["--ingress-port", "0", "--egress-port", "0", "--broker-port", "0", "--ui-port", "0"];

export interface Running {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the `n`th line (already printed or still to come) matching `pattern`, by default the first. */
  waitFor(pattern: RegExp, n?: number): Promise<string>;
  exited: Promise<number | null>;
  /** Sends SIGINT and resolves with the exit code and how long exiting took, ms. */
  interrupt(): Promise<{ code: number | null; ms: number }>;
}

export interface Dev extends Running {
  /** Base URLs of the playground ingress and egress. */
  ingress: string;
  egress: string;
  /** The UI's URL; "" with --no-ui. */
  ui: string;
}

/** `statefun dev <args>`, run from `cwd` (default the repository). */
export function spawnDev(args: readonly string[], cwd = ROOT): Running {
  const child = spawn(process.execPath, [CLI, "dev", ...args], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiting: { pattern: RegExp; n: number; resolve: (line: string) => void }[] = [];
  const nth = (pattern: RegExp, n: number): string | undefined => lines.filter((l) => pattern.test(l))[n - 1];
  const onLine = (line: string): void => {
    lines.push(line);
    for (const w of [...waiting]) {
      if (w.pattern.test(line) && nth(w.pattern, w.n) === line) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", onLine);
  const waitFor = (pattern: RegExp, n = 1): Promise<string> => {
    const seen = nth(pattern, n);
    return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ pattern, n, resolve }));
  };
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const interrupt = async (): Promise<{ code: number | null; ms: number }> => {
    const started = Date.now();
    child.kill("SIGINT");
    const code = await exited;
    return { code, ms: Date.now() - started };
  };
  return { child, lines, waitFor, exited, interrupt };
}

/** `statefun dev` on free ports, once it has printed its start line. */
export async function startDev(args: readonly string[] = ["--module", "module.yaml", ENTRY], cwd = ROOT): Promise<Dev> {
  const running = spawnDev([...FREE_PORTS, ...args], cwd);
  const banner = await running.waitFor(/^statefun dev: /);
  const portOf = (role: string): string => {
    const m = new RegExp(`${role} :(\\d+)`).exec(banner);
    if (m === null) throw new Error(`no ${role} port in ${banner}`);
    return `http://127.0.0.1:${m[1]}`;
  };
  return { ...running, ingress: portOf("ingress"), egress: portOf("egress"), ui: /; UI (\S+);/.exec(banner)?.[1] ?? "" };
}

/** Runs `body` with a started `statefun dev`, killed afterwards whatever happens. */
export async function withDev(start: Promise<Dev>, body: (dev: Dev) => Promise<void>): Promise<void> {
  const started = await start;
  try {
    await body(started);
  } finally {
    started.child.kill("SIGKILL");
  }
}

export const greet = (dev: Dev, name: string, body: Buffer = Buffer.from(JSON.stringify({ name }))) =>
  send(`${dev.ingress}/example/person/${name}`, { method: "PUT", headers: { "Content-Type": "application/vnd.example/GreetRequest" }, body });

/** `curl localhost:8091/greetings`, once the `n`th greeting has been written. */
export async function nextGreeting(dev: Dev, n = 1): Promise<string> {
  await dev.waitFor(/egress .*topic greetings/, n);
  const answer = await send(`${dev.egress}/greetings`, { method: "GET" });
  expect(answer.status).toBe(200);
  return answer.body.toString("utf8");
}
