/**
 * `statefun dev [--module module.yaml] <entry>`: the application on one machine. A real-time
 * LocalRuntime runs the entry's functions in-process (other function types go to the module's
 * endpoint URLs), the module's playground/Kafka/Kinesis ingresses and egresses listen on their
 * ports, and every delivery, state change and egress record is printed as one line.
 *
 * A failure that would fail the job in a cluster is printed, and the runtime goes back to the
 * last moment it was idle without the ingress messages since (so one bad message does not end
 * the session). With `--state-file`, state survives restarts.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadModule, ModuleError } from "../module";
import { JobFailedError } from "../base/errors";
import { formatEvent, eventToJson, type RuntimeEvent } from "../local/events";
import { startModuleIo } from "../local/io";
import { LocalRuntime, type SavedRuntimeState } from "../local/runtime";
import { loadEntry } from "./load-entry";

export const DEV_USAGE = `statefun dev [--module module.yaml] [--state-file file] [--json] [--trace file] [--ingress-port N] [--egress-port N] [--broker-port N] <entry.js>

  Runs the StateFun functions exported by <entry.js> with the ingresses and egresses of the
  module file, in real time, printing one line per delivery, state change and egress record.

  --module       module.yaml to read (default ./module.yaml)
  --state-file   keep state (and pending messages) in this JSON file across restarts
  --json         print events as JSON lines
  --trace        record every request/reply exchange as JSON lines (for replay)
  --ingress-port port of the playground ingress (default: the module's; 0 picks a free one)
  --egress-port  port of the playground egress (default: the module's; 0 picks a free one)
  --broker-port  port of the Kafka/Kinesis ingress stand-in (default 8092; 0 picks a free one)`;

/** Runs `statefun dev`; resolves with the exit code once stopped (Ctrl-C: 0). */
export async function dev(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      module: { type: "string", default: "module.yaml" },
      "state-file": { type: "string" },
      json: { type: "boolean", default: false },
      trace: { type: "string" },
      "ingress-port": { type: "string" },
      "egress-port": { type: "string" },
      "broker-port": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.error(DEV_USAGE);
    return values.help ? 0 : 2;
  }
  const modulePath = values.module ?? "module.yaml";
  let module;
  try {
    module = loadModule(modulePath);
  } catch (e) {
    if (e instanceof ModuleError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const functions = loadEntry(positionals[0]);
  const print = values.json
    ? (e: RuntimeEvent) => console.log(JSON.stringify(eventToJson(e)))
    : (e: RuntimeEvent) => console.log(formatEvent(e, { wallClock: true }));

  let settling: Promise<void> = Promise.resolve();
  let wanted = false;
  const rt = new LocalRuntime({
    functions,
    module,
    clock: "real",
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
        console.error(`a cluster would fail the job here; dropping the ingress messages since the last idle moment: ${e.message}`);
        rt.crash({ replayIngress: false });
        await rt.runUntilIdle();
      }
      rt.checkpoint();
      save();
    });
  }

  const port = (flag: "ingress-port" | "egress-port" | "broker-port"): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port number (0 for a free one), not ${JSON.stringify(text)}`);
    return n;
  };
  const ingressPort = port("ingress-port");
  const egressPort = port("egress-port");
  const brokerPort = port("broker-port");
  const io = await startModuleIo(rt, module, {
    ...(ingressPort !== undefined ? { ingressPort } : {}),
    ...(egressPort !== undefined ? { egressPort } : {}),
    ...(brokerPort !== undefined ? { brokerPort } : {}),
  });
  const names = functions.flatMap((sf) => sf.functionTypes);
  const ports = Object.entries(io.ports).map(([role, port]) => `${role} :${port}`);
  console.log(`statefun dev: ${names.join(", ")} from ${positionals[0]}; ${module.file}: ${ports.join(", ") || "no ingress or egress servers"}; Ctrl-C stops`);
  settle();

  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      void io.close().then(async () => {
        await settling.catch(() => undefined);
        save();
        rt.close();
        resolve(0);
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
