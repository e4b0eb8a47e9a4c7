/**
 * `npm run test:cluster`: runs test/cluster (JUnit, Maven) against the real StateFun 3.3.0
 * runtime in a Flink MiniCluster, with the functions served by Node endpoints that this
 * script starts and ends.
 *
 *   npm run test:cluster [-- --test <Class[#method]>] [--verbose] [--timeout-minutes N] [-D<key>=<value>...]
 *
 * (-D options go to Maven, e.g. -Dcluster.log.level=INFO for the runtime's log.)
 *
 * 1. starts every endpoint in ENDPOINTS as its own process (endpoint.ts) on a free port;
 * 2. starts a control server on a free port, through which a test kills an endpoint and starts
 *    it again on the same port (POST /endpoints/<name>/kill | start | restart | stop; GET
 *    /endpoints lists them);
 * 3. runs `mvn test` on test/cluster/pom.xml with the URLs as system properties
 *    (statefun.endpoint.<name>, statefun.recording.<name>, statefun.control, statefun.work;
 *    statefun.notes, where tests write what they measured; statefun.node and statefun.dist, for
 *    tests that run a Node step, as FidelityTest runs fidelity.js);
 * 4. ends every process it started, by pid (also on failure, SIGINT and SIGTERM);
 * 5. prints one line per test from surefire's XML reports, what the tests measured, and last
 *    `N passed, M failed`.
 *
 * Exit code 0 only when every test passed and Maven succeeded. Logs: test/cluster/target/run/
 * (one per endpoint) and target/surefire-reports/ (the runtime's log per test class).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";

interface EndpointSpec {
  /** The name tests use (Endpoints.url(name) in Java). */
  readonly name: string;
  /** Which app of apps.ts it serves. */
  readonly app: string;
  /** Record every exchange (endpoint.ts) into target/run/<name>.jsonl. */
  readonly record?: boolean;
}

/** The endpoints every run starts (apps.ts); recording ones write target/run/<name>.jsonl. */
const ENDPOINTS: readonly EndpointSpec[] = [
  { name: "greeter", app: "greeter", record: true },
  { name: "cart", app: "cart", record: true },
  { name: "showcase", app: "showcase", record: true },
  { name: "ttl", app: "ttl", record: true },
  { name: "status", app: "status", record: true },
  // The smoke endpoints serve as in production: no proxy in between.
  { name: "smoke", app: "smoke" },
  { name: "smoke-official", app: "smoke-official" },
  { name: "fidelity", app: "fidelity", record: true },
];

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CLUSTER_DIR = path.join(ROOT, "test", "cluster");
const POM = path.join(CLUSTER_DIR, "pom.xml");
const TARGET = path.join(CLUSTER_DIR, "target");
const RUN_DIR = path.join(TARGET, "run");
const REPORTS = path.join(TARGET, "surefire-reports");
/** What the tests measured (Notes.java): one file per topic, printed after the results. */
const NOTES = path.join(RUN_DIR, "notes");
const ENDPOINT_JS = path.join(__dirname, "endpoint.js");
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 30_000;

function log(message: string): void {
  process.stdout.write(`[test:cluster] ${message}\n`);
}

interface Options {
  test?: string;
  verbose: boolean;
  timeoutMinutes: number;
  mavenProperties: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { verbose: false, timeoutMinutes: 30, mavenProperties: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--test") options.test = value();
    else if (arg !== undefined && /^-D[^=]+=/.test(arg)) options.mavenProperties.push(arg);
    else if (arg === "--verbose") options.verbose = true;
    else if (arg === "--timeout-minutes") {
      options.timeoutMinutes = Number(value());
      if (!(options.timeoutMinutes > 0)) throw new Error("--timeout-minutes must be a positive number");
    } else throw new Error(`unknown argument ${arg} (known: --test <Class[#method]>, --verbose, --timeout-minutes N, -D<key>=<value>)`);
  }
  return options;
}

/** Resolves when `child` has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every process this run started and has not seen exit: ended by pid on the way out. */
const started = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

/** One endpoint process; it keeps its port across kill/start. */
class Endpoint {
  readonly logFile: string;
  readonly recording: string | undefined;
  private child: ChildProcess | undefined;
  private port = 0;
  private url = "";
  /** Control operations on one endpoint run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly spec: EndpointSpec) {
    this.logFile = path.join(RUN_DIR, `${spec.name}.log`);
    this.recording = spec.record ? path.join(RUN_DIR, `${spec.name}.jsonl`) : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  describe(): object {
    return { name: this.spec.name, app: this.spec.app, url: this.url, port: this.port, pid: this.running ? this.child?.pid : null, recording: this.recording ?? null };
  }

  functionUrl(): string {
    return this.url;
  }

  serialized<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`endpoint ${this.spec.name} is already running (pid ${this.child?.pid})`);
    const logFd = openSync(this.logFile, "a");
    const args = [ENDPOINT_JS, this.spec.app, String(this.port), ...(this.recording ? [this.recording] : [])];
    const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", logFd] }));
    closeSync(logFd);
    this.child = child;
    const listening = new Promise<{ port: number; url: string }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        try {
          const msg = JSON.parse(line) as { listening?: { port: number; url: string } };
          if (msg.listening) resolve(msg.listening);
        } catch {
          // Not our announcement: the app printed something.
        }
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`endpoint ${this.spec.name} exited (${signal ?? `code ${code}`}) before listening; see ${this.logFile}:\n${tail(this.logFile)}`)),
      );
    });
    let bound: { port: number; url: string };
    try {
      bound = await withTimeout(listening, START_TIMEOUT_MS, `endpoint ${this.spec.name} (pid ${child.pid}) starting`);
    } catch (e) {
      if (this.running) child.kill("SIGKILL");
      throw e;
    }
    if (this.port !== 0 && bound.port !== this.port) throw new Error(`endpoint ${this.spec.name} came back on port ${bound.port}, not ${this.port}`);
    this.port = bound.port;
    this.url = bound.url;
    log(`endpoint ${this.spec.name} (${this.spec.app}) pid ${child.pid} at ${this.url}`);
  }

  /** SIGKILL, as a crash: no graceful shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) throw new Error(`endpoint ${this.spec.name} is not running`);
    child.kill("SIGKILL");
    await withTimeout(exited(child), STOP_TIMEOUT_MS, `endpoint ${this.spec.name} (pid ${child.pid}) exiting after SIGKILL`);
    log(`endpoint ${this.spec.name} pid ${child.pid} killed`);
  }

  /** SIGTERM (serve()'s graceful shutdown), then SIGKILL if it has not exited in time. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    try {
      await withTimeout(exited(child), STOP_TIMEOUT_MS, `endpoint ${this.spec.name} (pid ${child.pid}) stopping`);
    } catch {
      log(`endpoint ${this.spec.name} pid ${child.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM: killing it`);
      child.kill("SIGKILL");
      await exited(child);
    }
  }
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** The control server: lets a test kill and restart endpoints mid-run. */
function startControl(endpoints: Map<string, Endpoint>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    req.resume();
    const url = req.url ?? "/";
    if (req.method === "GET" && url === "/endpoints") {
      answer(200, [...endpoints.values()].map((e) => e.describe()));
      return;
    }
    const match = /^\/endpoints\/([^/]+)\/(kill|start|restart|stop)$/.exec(url);
    if (!match || req.method !== "POST") {
      answer(404, { error: `no route ${req.method} ${url}; routes: GET /endpoints, POST /endpoints/<name>/kill|start|restart|stop` });
      return;
    }
    const [, name, action] = match;
    const endpoint = endpoints.get(decodeURIComponent(name!));
    if (!endpoint) {
      answer(404, { error: `no endpoint ${name}; known: ${[...endpoints.keys()].join(", ")}` });
      return;
    }
    endpoint
      .serialized(async () => {
        if (action === "kill") await endpoint.kill();
        else if (action === "start") await endpoint.start();
        else if (action === "stop") await endpoint.stop();
        else {
          await endpoint.kill();
          await endpoint.start();
        }
      })
      .then(
        () => answer(200, endpoint.describe()),
        (e: unknown) => answer(409, { error: e instanceof Error ? e.message : String(e) }),
      );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

interface TestResult {
  name: string;
  seconds: number;
  outcome: "passed" | "failed" | "skipped";
  message?: string;
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|quot|amp|lt|gt|apos);/g, (_, e: string) => {
    if (e === "quot") return '"';
    if (e === "amp") return "&";
    if (e === "lt") return "<";
    if (e === "gt") return ">";
    if (e === "apos") return "'";
    return String.fromCodePoint(e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([\w.:-]+)="([^"]*)"/g)) out[m[1]!] = unescapeXml(m[2]!);
  return out;
}

/** The test cases of surefire's XML reports. */
function readReports(): TestResult[] {
  if (!existsSync(REPORTS)) return [];
  const results: TestResult[] = [];
  for (const file of readdirSync(REPORTS).filter((f) => /^TEST-.*\.xml$/.test(f)).sort()) {
    const xml = readFileSync(path.join(REPORTS, file), "utf8");
    for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const attrs = attributes(m[1]!);
      const body = m[2] ?? "";
      const problem = /<(failure|error)\b([^>]*)>/.exec(body);
      const className = (attrs.classname ?? "").replace(/^.*\./, "");
      results.push({
        name: `${className}.${attrs.name ?? "?"}`,
        seconds: Number(attrs.time ?? 0),
        outcome: problem ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed",
        ...(problem ? { message: attributes(problem[2]!).message ?? attributes(problem[2]!).type ?? problem[1] } : {}),
      });
    }
  }
  return results;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  rmSync(REPORTS, { recursive: true, force: true });
  rmSync(RUN_DIR, { recursive: true, force: true });
  rmSync(path.join(TARGET, "work"), { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });

  let maven: ChildProcess | undefined;
  let interrupted: string | undefined;
  const endpoints = new Map(ENDPOINTS.map((spec) => [spec.name, new Endpoint(spec)]));
  let control: http.Server | undefined;

  // SIGTERM to Maven's process group, SIGKILL if it is still there 15 s later.
  const stopMaven = (): void => {
    const pid = maven?.pid;
    if (pid === undefined || maven?.exitCode !== null) return;
    killGroup(pid, "SIGTERM");
    setTimeout(() => killGroup(pid, "SIGKILL"), 15_000).unref();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = signal;
    log(`${signal}: stopping Maven and the endpoints`);
    stopMaven();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const began = Date.now();
  let mavenCode: number | null = null;
  let setupError: string | undefined;
  try {
    await Promise.all([...endpoints.values()].map((e) => e.start()));
    control = await startControl(endpoints);
    const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    log(`control server at ${controlUrl}`);

    const props = [
      `-Dstatefun.control=${controlUrl}`,
      `-Dstatefun.work=${path.join(TARGET, "work")}`,
      `-Dstatefun.notes=${NOTES}`,
      // For tests that run a Node step (FidelityTest: fidelity.js).
      `-Dstatefun.node=${process.execPath}`,
      `-Dstatefun.dist=${__dirname}`,
      ...[...endpoints.values()].flatMap((e) => [
        `-Dstatefun.endpoint.${e.spec.name}=${e.functionUrl()}`,
        ...(e.recording ? [`-Dstatefun.recording.${e.spec.name}=${e.recording}`] : []),
      ]),
    ];
    const args = [
      "-B",
      "-ntp",
      "-Dstyle.color=never",
      ...(options.verbose ? [] : ["-q"]),
      "-f",
      POM,
      "test",
      ...props,
      ...(options.test ? [`-Dtest=${options.test}`] : []),
      ...options.mavenProperties,
    ];
    if (interrupted) throw new Error(`interrupted by ${interrupted} before Maven started`);
    log(`mvn ${args.join(" ")}`);
    // Its own process group, so that Maven and surefire's forked JVM end together.
    maven = track(spawn("mvn", args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true }));
    // Maven 3.8 prints ANSI resets even in batch mode: pass its output on without them.
    forwardLines(maven.stdout!, process.stdout);
    forwardLines(maven.stderr!, process.stderr);
    const mavenPid = maven.pid!;
    const mavenDone = new Promise<number>((resolve) => maven!.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    const limit = options.timeoutMinutes * 60_000;
    const timer = setTimeout(() => {
      log(`Maven still running after ${options.timeoutMinutes} min: stopping it`);
      interrupted = "timeout";
      stopMaven();
    }, limit);
    mavenCode = await mavenDone;
    clearTimeout(timer);
    // Surefire's forked JVM may outlive Maven after a kill: end the whole group.
    killGroup(mavenPid, "SIGKILL");
  } catch (e) {
    setupError = e instanceof Error ? e.message : String(e);
    log(`error: ${setupError}`);
  } finally {
    await Promise.allSettled([...endpoints.values()].map((e) => e.serialized(() => e.stop())));
    if (control) await new Promise<void>((resolve) => control!.close(() => resolve()));
  }

  const results = readReports();
  for (const r of results) {
    const mark = r.outcome === "passed" ? "PASS" : r.outcome === "skipped" ? "SKIP" : "FAIL";
    log(`${mark} ${r.name} (${r.seconds.toFixed(1)} s)`);
    if (r.message) {
      const lines = r.message.split("\n");
      for (const line of lines.slice(0, 12)) process.stdout.write(`    ${line}\n`);
      if (lines.length > 12) process.stdout.write(`    ... (${lines.length - 12} more lines in ${path.relative(ROOT, REPORTS)}/)\n`);
    }
  }
  if (existsSync(NOTES)) {
    for (const file of readdirSync(NOTES).sort()) {
      log(`measured: ${file.replace(/\.txt$/, "")}`);
      for (const line of readFileSync(path.join(NOTES, file), "utf8").trimEnd().split("\n")) process.stdout.write(`    ${line}\n`);
    }
  }
  const passed = results.filter((r) => r.outcome === "passed").length;
  // A skipped test counts as failed: this suite has none on purpose.
  let failed = results.length - passed;
  if (setupError !== undefined || interrupted !== undefined) {
    log(interrupted !== undefined ? `interrupted (${interrupted}): counted as one failure` : "the run could not start: counted as one failure");
    failed += 1;
  }
  else if (mavenCode !== 0 && failed === 0) {
    log(`Maven exited with code ${mavenCode} without a failed test in its reports (a build error?)`);
    failed += 1;
  } else if (results.length === 0) {
    log("no test ran");
    failed += 1;
  }
  log(`took ${((Date.now() - began) / 1000).toFixed(1)} s; endpoint logs and recordings in ${path.relative(ROOT, RUN_DIR)}/, the runtime's logs in ${path.relative(ROOT, REPORTS)}/`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 && mavenCode === 0 ? 0 : interrupted === "SIGINT" ? 130 : 1;
}

function forwardLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on("line", (line) => {
    const plain = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    if (plain !== "" || line === "") to.write(plain + "\n");
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

// Last resort (an uncaught error, process.exit elsewhere): nothing this run started outlives it.
process.on("exit", () => {
  for (const child of started) {
    if (child.pid === undefined) continue;
    if (child.spawnargs[0] === "mvn") killGroup(child.pid, "SIGKILL");
    else {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  }
});

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[test:cluster] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.stdout.write("0 passed, 1 failed\n");
    process.exit(1);
  },
);
