/**
 * What the `statefun` commands share: where they write, how they refuse bad arguments, how
 * they read an entry's function types, and what makes a URL one the cluster can post to.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadEntry } from "./load-entry";

/** Where a command writes: `out` for its result, `err` for what went wrong running it. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The process's stdout and stderr. */
export const consoleOutput: CommandOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Exit code of a command whose arguments are wrong (as for a shell builtin). */
export const USAGE_EXIT = 2;

/** Arguments that cannot be used; the message says why (see {@link usageError}). */
export class Refusal extends Error {}

/** A flag's whole number. @throws {@link Refusal} for text that is not one from `min` to `max` */
export function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new Refusal(`${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

/** Prints why the arguments are wrong and the usage; returns {@link USAGE_EXIT}. */
export function usageError(out: CommandOutput, command: string, reason: string, usage: string): number {
  out.err(`statefun ${command}: ${reason}\n\n${usage}`);
  return USAGE_EXIT;
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What `parseArgs` makes of a command's arguments with these options (positionals allowed). */
export type ParsedCommand<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>>;

/**
 * Reads a command's arguments with node's `parseArgs`. Returns the exit code instead when the
 * command is done: 0 after printing the usage for `--help`/`-h`, {@link USAGE_EXIT} after saying
 * why the arguments are refused (unknown option, missing value).
 */
export function parseCommand<O extends OptionsConfig>(
  command: string,
  usage: string,
  args: readonly string[],
  options: O,
  out: CommandOutput,
): ParsedCommand<O> | number {
  if (args.includes("--help") || args.includes("-h")) {
    out.out(usage);
    return 0;
  }
  try {
    return parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (e) {
    // parseArgs throws a TypeError with an ERR_PARSE_ARGS_* code (not instanceof this realm's
    // TypeError under a test runner's VM, hence the duck typing); anything else is a bug.
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS") && typeof message === "string") {
      return usageError(out, command, message, usage);
    }
    throw e;
  }
}

/**
 * The function types bound by the StateFun instances `entry` exports, in binding order; `undefined`
 * after printing why when the entry cannot be loaded or exports no StateFun.
 */
export function entryFunctionTypes(entry: string, out: CommandOutput, command: string): string[] | undefined {
  try {
    return loadEntry(entry).flatMap((sf) => sf.functionTypes);
  } catch (e) {
    out.err(`statefun ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** `1 endpoint`, `2 endpoints`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** Why `url` is not an http(s) URL the cluster can post to; `undefined` when it is one. */
export function httpUrlFault(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.replaceAll("{function.name}", "name"));
  } catch {
    return "is not a URL; write a full URL such as http://functions:8000/statefun";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `must start with http:// or https://, not ${parsed.protocol}//`;
  if (parsed.hostname === "") return "has no host; e.g. http://functions:8000/statefun";
  return undefined;
}
