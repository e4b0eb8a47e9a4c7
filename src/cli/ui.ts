/**
 * `statefun ui --trace <file> [<entry>]`: the UI `statefun dev` serves, read-only, on a trace
 * it recorded (`statefun dev --trace`, or a LocalRuntime's `traceFile`), for a post-mortem.
 * Its own command rather than a flag of `statefun dev`: it runs no application, reads no
 * module and opens no ingress, so none of `dev`'s other flags would mean anything with it.
 * Also the UI flags `statefun dev` shares.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { StateFun } from "../api/statefun";
import type { InspectOptions } from "../local/inspection";
import { ListenError } from "../local/servers";
import { parseTrace } from "../local/trace";
import { DEFAULT_UI_EVENTS, startInspector } from "../local/ui/server";
import { traceSource } from "../local/ui/trace-source";
import { parseCommand, Refusal, usageError, wholeNumber, type CommandOutput } from "./common";
import { Entry } from "./load-entry";

/** Where the UI listens unless told otherwise. */
const UI_PORT = 8089;

/** The UI's flags, for `parseArgs`. */
export const UI_FLAGS = {
  "ui-port": { type: "string" },
  "ui-host": { type: "string", default: "127.0.0.1" },
  "ui-events": { type: "string" },
} as const;

/** The UI's flags in a usage line. */
export const UI_FLAGS_USAGE = "[--ui-port N] [--ui-host host] [--ui-events N]";

/** What the UI's flags do, as usage lines. */
export const UI_FLAGS_HELP = `  --ui-port       port of the UI, the runtime in a browser (default ${UI_PORT}; 0 picks a free one)
  --ui-host       interface the UI listens on (default 127.0.0.1: it can send messages, keep it local)
  --ui-events     how many events the UI keeps, oldest dropped first (default ${DEFAULT_UI_EVENTS})`;

/**
 * Where and how the UI is served, from its flags.
 * @throws {@link Refusal} for a port or count that is not a whole number in range
 */
export function uiOptions(values: { "ui-port"?: string; "ui-host": string; "ui-events"?: string }, title: string): InspectOptions {
  const port = values["ui-port"];
  const events = values["ui-events"];
  return {
    title,
    host: values["ui-host"],
    port: port === undefined ? UI_PORT : wholeNumber("--ui-port (0 picks a free port)", port, 0, 65_535),
    ...(events !== undefined ? { events: wholeNumber("--ui-events", events, 1) } : {}),
  };
}

export const UI_USAGE = `statefun ui --trace <file> [<entry>] ${UI_FLAGS_USAGE}

  Opens the UI of statefun dev, read-only, on a trace that statefun dev --trace (or a
  LocalRuntime's traceFile) recorded: the functions and their traffic, every address's state as
  the trace left it, and the events rebuilt from the exchanges. With <entry>, values are decoded
  with the types its functions declare (protobuf as JSON).

  --trace         the trace file (JSON lines, one exchange each)
${UI_FLAGS_HELP}`;

/** Runs `statefun ui`; resolves with the exit code once stopped (Ctrl-C: 0). */
export async function uiCommand(args: string[], out: CommandOutput): Promise<number> {
  const parsed = parseCommand("ui", UI_USAGE, args, { trace: { type: "string" }, ...UI_FLAGS }, out);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  let options: InspectOptions;
  let file: string;
  try {
    if (values.trace === undefined) throw new Refusal("give the trace to open: --trace <file>");
    if (positionals.length > 1) throw new Refusal(`expected at most one entry, got ${positionals.join(" ")}`);
    file = values.trace;
    options = uiOptions(values, `trace ${path.basename(file)}`);
  } catch (e) {
    if (e instanceof Refusal) return usageError(out, "ui", e.message, UI_USAGE);
    throw e;
  }
  try {
    const exchanges = parseTrace(readFileSync(file, "utf8"));
    const functions: StateFun[] = positionals.length === 1 ? new Entry(positionals[0]).load() : [];
    const inspector = await startInspector(traceSource(options.title ?? file, exchanges, functions), options);
    out.out(`statefun ui: ${file}: ${exchanges.length} exchange(s); UI ${inspector.url} (read-only); Ctrl-C stops`);
    return await new Promise<number>((resolve) => {
      const stop = (): void => {
        process.removeListener("SIGINT", stop);
        process.removeListener("SIGTERM", stop);
        void inspector.close().then(() => resolve(0));
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  } catch (e) {
    const reason = e instanceof ListenError ? `${e.message}; stop the other process, or move it with --ui-port <port> (0 picks a free one)` : (e as Error).message;
    out.err(`statefun ui: ${reason}`);
    return 1;
  }
}
