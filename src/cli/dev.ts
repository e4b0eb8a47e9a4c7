/**
 * `statefun dev [<entry>] [--module module.yaml]`: the application on one machine. A real-time
 * LocalRuntime runs the entry's functions in-process (JavaScript, or TypeScript compiled with
 * the project's own compiler); every other function type goes to its endpoint's URL (the
 * module's, or one given with `--endpoint`). The module's playground/Kafka/Kinesis ingresses
 * and egresses listen on their ports, every delivery, state change and egress record is
 * printed as one line, and the UI (`LocalRuntime.inspect`, on 127.0.0.1:8089 unless moved or
 * turned off) shows the runtime in a browser.
 *
 * An invocation that keeps failing is retried as the cluster does, then set aside as a dead
 * letter (printed once, with its error, stack and address) instead of failing the job: its
 * address goes on with its next message, nothing else is undone, and stdin commands list,
 * retry and discard dead letters. What would still fail the job (messages looping between
 * functions) is printed, and the runtime goes back to its last idle moment without the ingress
 * messages since. With `--state-file`, state survives restarts; with `--watch`, a saved source
 * file reloads the functions and keeps everything else.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { formatAddress } from "../base/address";
import { JobFailedError } from "../base/errors";
import { clip } from "../base/text";
import type { StateFun } from "../api/statefun";
import { eventToJson, formatEvent, type RuntimeEvent } from "../local/events";
import { startModuleIo, type ModuleIo, type ModuleIoOptions } from "../local/io";
import { ListenError, type ModuleIoRole } from "../local/servers";
import { LocalRuntime, routingOf, type EndpointOptions, type SavedRuntimeState } from "../local/runtime";
import type { InspectOptions } from "../local/inspection";
import { describeValue } from "../local/values";
import { loadModule, ModuleError, type StateFunModule } from "../module";
import { functionPatternFault } from "../module/routing";
import { consoleOutput, httpUrlFault, parseCommand, Refusal, usageError, wholeNumber, type CommandOutput } from "./common";
import { Entry } from "./load-entry";
import { UI_FLAGS, UI_FLAGS_HELP, UI_FLAGS_USAGE, uiOptions } from "./ui";
import { SourceWatcher } from "./watch";

export const DEV_USAGE = `statefun dev [<entry>] [--module module.yaml] [--endpoint '<pattern>=<url>']... [--watch] [--max-attempts N]
              [--state-file file] [--json] [--trace file] [--ingress-port N] [--egress-port N] [--broker-port N]
              ${UI_FLAGS_USAGE} [--no-ui]

  Runs the StateFun functions exported by <entry> (JavaScript, or TypeScript compiled with your
  project's typescript package) with the ingresses and egresses of the module file, in real
  time, printing one line per delivery, state change and egress record. Function types the entry
  does not bind (all of them without an entry) go to their endpoint's URL.

  --module        module.yaml to read (default ./module.yaml)
  --endpoint      '<pattern>=<url>': send the function types <pattern> matches (namespace/name or
                  namespace/*) to <url> instead of the module's URL; repeatable
  --watch         reload the functions when a source file of the entry changes (state, queues and
                  delayed messages stay)
  --max-attempts  how many times an invocation may fail before it is set aside as a dead letter (default 3)
  --state-file    keep state, pending messages and dead letters in this JSON file across restarts
  --json          print events as JSON lines
  --trace         record every request/reply exchange as JSON lines (for replay)
  --ingress-port  port of the playground ingress (default: the module's; 0 picks a free one)
  --egress-port   port of the playground egress (default: the module's; 0 picks a free one)
  --broker-port   port of the Kafka/Kinesis stand-in (default 8092; 0 picks a free one)
${UI_FLAGS_HELP}
  --no-ui         no UI

  While it runs, type on stdin: dead (list the dead letters), retry <id|all>, discard <id|all>.`;

/** The flag that moves each server, for a port that is taken. */
const PORT_FLAGS: Record<ModuleIoRole | "ui", string> = { ingress: "--ingress-port", egress: "--egress-port", broker: "--broker-port", ui: "--ui-port" };

/** What stdin takes. */
const COMMANDS = "dead (list the dead letters), retry <id|all> (send again), discard <id|all> (drop)";

/** Runs `statefun dev`; resolves with the exit code once stopped (Ctrl-C: 0). */
export async function dev(args: string[], out: CommandOutput = consoleOutput): Promise<number> {
  const parsed = parseCommand(
    "dev",
    DEV_USAGE,
    args,
    {
      module: { type: "string", default: "module.yaml" },
      endpoint: { type: "string", multiple: true, default: [] },
      watch: { type: "boolean", default: false },
      "max-attempts": { type: "string", default: "3" },
      "state-file": { type: "string" },
      json: { type: "boolean", default: false },
      trace: { type: "string" },
      "ingress-port": { type: "string" },
      "egress-port": { type: "string" },
      "broker-port": { type: "string" },
      ...UI_FLAGS,
      "no-ui": { type: "boolean", default: false },
    },
    out,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  let options: { endpoints: EndpointOptions[]; maxAttempts: number; ports: ModuleIoOptions; ui: InspectOptions | undefined };
  try {
    if (positionals.length > 1) throw new Refusal(`expected at most one entry, got ${positionals.join(" ")}`);
    if (values.watch && positionals.length === 0) throw new Refusal("--watch reloads an entry's functions; give the entry");
    options = {
      endpoints: values.endpoint.map(endpointOption),
      maxAttempts: wholeNumber("--max-attempts", values["max-attempts"], 1),
      ports: {
        ...portOption("ingress", values["ingress-port"]),
        ...portOption("egress", values["egress-port"]),
        ...portOption("broker", values["broker-port"]),
      },
      ui: values["no-ui"] ? undefined : uiOptions(values, "statefun dev"),
    };
  } catch (e) {
    if (e instanceof Refusal) return usageError(out, "dev", e.message, DEV_USAGE);
    throw e;
  }
  // Stacks of a function's errors then name the TypeScript file and line (compiled entries carry source maps).
  process.setSourceMapsEnabled(true);

  let module: StateFunModule;
  try {
    module = loadModule(values.module);
  } catch (e) {
    if (!(e instanceof ModuleError)) throw e;
    out.err(e.message);
    return 1;
  }
  const entry = positionals.length === 1 ? new Entry(positionals[0]) : undefined;
  let functions: StateFun[] = [];
  try {
    functions = entry?.load() ?? [];
  } catch (e) {
    out.err(`statefun dev: ${(e as Error).message}`);
    return 1;
  }

  const say = values.json ? out.err : out.out;
  const print = values.json
    ? (e: RuntimeEvent) => out.out(JSON.stringify(eventToJson(e)))
    : (e: RuntimeEvent) => (e.kind === "dead-letter" ? printDeadLetter(e, out) : out.out(formatEvent(e, { wallClock: true })));
  let settling: Promise<void> = Promise.resolve();
  let wanted = false;
  const rt = new LocalRuntime({
    functions,
    module,
    endpoints: options.endpoints,
    clock: "real",
    deadLetters: { maxAttempts: options.maxAttempts },
    ...(values.trace ? { traceFile: values.trace } : {}),
    onEvent: (e) => {
      print(e);
      if (e.kind === "ingress" || e.kind === "deliver") settle();
    },
  });

  const stateFile = values["state-file"];
  if (stateFile !== undefined && existsSync(stateFile)) {
    rt.loadState(JSON.parse(readFileSync(stateFile, "utf8")) as SavedRuntimeState);
  }
  const save = (): void => {
    if (stateFile === undefined) return;
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(rt.saveState()));
    renameSync(`${stateFile}.tmp`, stateFile);
  };

  /** Waits until the runtime is idle, then checkpoints (and saves); one at a time. */
  function settle(): void {
    if (wanted) return;
    wanted = true;
    settling = settling.then(async () => {
      wanted = false;
      try {
        await rt.runUntilIdle();
      } catch (e) {
        if (!(e instanceof JobFailedError)) throw e;
        out.err(`statefun dev: a cluster would fail the job here; going back to the last idle moment without the ingress messages since: ${e.message}`);
        rt.crash({ replayIngress: false });
        await rt.runUntilIdle();
      }
      rt.checkpoint();
      save();
    }).catch((e: unknown) => {
      out.err(`statefun dev: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    });
  }

  let io: ModuleIo | undefined;
  let ui: string | undefined;
  try {
    io = await startModuleIo(rt, module, options.ports);
    if (options.ui !== undefined) ui = await rt.inspect(options.ui);
  } catch (e) {
    rt.close();
    await io?.close();
    if (!(e instanceof ListenError)) throw e;
    out.err(`statefun dev: ${e.message}; stop the other process, or move it with ${PORT_FLAGS[e.role]} <port> (0 picks a free one)`);
    return 1;
  }
  const running = io;
  const servers = Object.entries(io.ports).map(([role, port]) => `${role} :${port}`);
  const served = entry === undefined ? "no entry" : `${functions.flatMap((sf) => sf.functionTypes).join(", ")} from ${entry.entry}`;
  out.out(`statefun dev: ${served}; ${module.file}: ${servers.join(", ") || "no ingress or egress servers"}${ui !== undefined ? `; UI ${ui}` : ""}; Ctrl-C stops`);
  for (const line of routingLines(rt, entry, options.endpoints)) out.out(line);
  out.out(`dead letters: an invocation that fails ${options.maxAttempts} time(s) is set aside; on stdin: ${COMMANDS}`);

  const watcher = values.watch && entry !== undefined ? watchEntry(rt, entry, say) : undefined;
  const commands = readline.createInterface({ input: process.stdin, terminal: false });
  commands.on("line", (line) => command(rt, line, say));
  settle();

  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      commands.close();
      watcher?.close();
      // Saved before anything waits: requests in flight are saved as queued, to be sent again.
      try {
        save();
      } catch (e) {
        out.err(`statefun dev: could not save ${stateFile}: ${(e as Error).message}`);
      }
      rt.close();
      void running.close().then(() => resolve(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `--endpoint 'example/*=http://localhost:8000/statefun'`. */
function endpointOption(text: string): EndpointOptions {
  const split = text.indexOf("=");
  const functions = text.slice(0, Math.max(0, split));
  const url = text.slice(split + 1);
  if (split <= 0 || url === "") throw new Refusal(`--endpoint takes '<pattern>=<url>', e.g. 'example/*=http://localhost:8000/statefun', not ${JSON.stringify(text)}`);
  const patternFault = functionPatternFault(functions);
  if (patternFault) throw new Refusal(`--endpoint ${JSON.stringify(text)}: ${JSON.stringify(functions)} is not a function pattern: ${patternFault}; write <namespace>/<name> or <namespace>/*`);
  const urlFault = httpUrlFault(url);
  if (urlFault) throw new Refusal(`--endpoint ${JSON.stringify(text)}: the URL ${urlFault}`);
  return { functions, url };
}

function portOption(role: ModuleIoRole, text: string | undefined): Partial<Record<`${ModuleIoRole}Port`, number>> {
  return text === undefined ? {} : { [`${role}Port`]: wholeNumber(`${PORT_FLAGS[role]} (0 picks a free port)`, text, 0, 65_535) };
}

/** The routing table, first match first, and the --endpoint flags an in-process function shadows. */
function routingLines(rt: LocalRuntime, entry: Entry | undefined, endpoints: readonly EndpointOptions[]): string[] {
  const routing = routingOf(rt);
  const rows = routing.table();
  const width = Math.max(0, ...rows.map((row) => row.functions.length));
  const source = (from: string): string => (from === "functions" ? (entry?.entry ?? "") : from === "endpoints" ? "--endpoint" : from);
  const lines = ["routing (a function type goes to the first row that matches it):"];
  for (const row of rows) lines.push(`  ${row.functions.padEnd(width)}  → ${row.target} (${source(row.from)})`);
  const inProcess = new Set(routing.inProcessTypes);
  for (const e of endpoints) {
    if (inProcess.has(e.functions)) lines.push(`  note: --endpoint ${e.functions}=${e.url} has no effect: ${entry?.entry} binds ${e.functions}, which runs in-process`);
  }
  return lines;
}

/** A dead letter: what failed where, the function's stack, what a cluster would do, and what to type. */
function printDeadLetter(e: Extract<RuntimeEvent, { kind: "dead-letter" }>, out: CommandOutput): void {
  out.out(formatEvent(e, { wallClock: true }));
  if (e.stack !== undefined) for (const line of e.stack.split("\n")) out.out(`    ${line}`);
  out.out(
    "  A cluster would fail the job on this message instead: it restores its last checkpoint and replays the message, which " +
      `fails again after every restore until the function is fixed. Here it is set aside: nothing else is undone, and ${formatAddress(e.to)} ` +
      "goes on with its next message.",
  );
  out.out(`  Type \`retry ${e.id}\` to send it again (once fixed; --watch reloads the functions on save), \`discard ${e.id}\` to drop it, \`dead\` to list dead letters.`);
}

/** Runs one stdin command. */
function command(rt: LocalRuntime, line: string, say: (line: string) => void): void {
  const [verb, arg, ...rest] = line.trim().split(/\s+/);
  if (verb === "") return;
  const targets = (): number[] | undefined => {
    if (arg === "all" && rest.length === 0) return rt.deadLetters.map((d) => d.id);
    const id = Number(arg?.replace(/^#/, ""));
    return Number.isSafeInteger(id) && rest.length === 0 ? [id] : undefined;
  };
  if (verb === "dead" || verb === "list") {
    if (rt.deadLetters.length === 0) say("no dead letters");
    for (const d of rt.deadLetters) {
      say(`#${d.id} ${d.from ? formatAddress(d.from) : "ingress"} → ${formatAddress(d.to)}: ${clip(describeValue(d.value), 200)}; ${clip(d.error, 300)}`);
    }
    return;
  }
  if (verb === "retry" || verb === "discard") {
    const ids = targets();
    if (ids === undefined) {
      say(`${verb} takes the number of a dead letter, or all: ${verb} 1`);
      return;
    }
    if (ids.length === 0) say("no dead letters");
    for (const id of ids) {
      try {
        if (verb === "retry") rt.retryDeadLetter(id);
        else rt.discardDeadLetter(id);
      } catch (e) {
        say(`${verb} ${id}: ${(e as Error).message}`);
      }
    }
    return;
  }
  say(`unknown command ${JSON.stringify(clip(line.trim(), 60))}; commands: ${COMMANDS}`);
}

/** Reloads the entry's functions whenever one of its source files changes. */
function watchEntry(rt: LocalRuntime, entry: Entry, say: (line: string) => void): SourceWatcher {
  const watcher = new SourceWatcher((changed) => {
    const routing = routingOf(rt);
    const before = new Set(routing.inProcessTypes);
    const what = changed.map((file) => path.relative(process.cwd(), file)).join(", ");
    let functions: StateFun[];
    try {
      functions = entry.load();
    } catch (e) {
      say(`statefun dev: ${what} changed, and reloading failed, so the functions loaded before keep running: ${(e as Error).message}`);
      watcher.watch(entry.files);
      return;
    }
    routing.replaceInProcess(functions);
    watcher.watch(entry.files);
    const after = routing.inProcessTypes;
    const added = after.filter((t) => !before.has(t));
    const removed = [...before].filter((t) => !after.includes(t));
    say(
      `statefun dev: reloaded ${entry.entry} (${what} changed): ${after.join(", ")}` +
        (added.length > 0 ? `; new: ${added.join(", ")}` : "") +
        (removed.length > 0 ? `; gone (their messages become dead letters): ${removed.join(", ")}` : "") +
        "; state, queues and delayed messages kept",
    );
  });
  watcher.watch(entry.files);
  say(`statefun dev: watching ${entry.files.length} source file(s) of ${entry.entry}`);
  return watcher;
}
