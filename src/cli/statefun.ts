#!/usr/bin/env node
/**
 * The `statefun` command line.
 *   statefun dev [<entry>] [--module module.yaml]   run the application locally (see dev.ts)
 *   statefun ui --trace <file> [<entry>]   the UI on a recorded trace, read-only (see ui.ts)
 *   statefun validate [module.yaml] [--functions <entry.js>]   check a module file (see validate.ts)
 *   statefun module <entry.js> --url <url>   print endpoint components for an entry (see module-command.ts)
 */
import { consoleOutput } from "./common";
import { dev, DEV_USAGE } from "./dev";
import { moduleCommand, MODULE_USAGE } from "./module-command";
import { uiCommand, UI_USAGE } from "./ui";
import { validateCommand, VALIDATE_USAGE } from "./validate";

const indent = (usage: string): string =>
  usage
    .split("\n")
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
const USAGE = `usage:\n${[DEV_USAGE, UI_USAGE, VALIDATE_USAGE, MODULE_USAGE].map(indent).join("\n\n")}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "dev":
      return dev(rest);
    case "ui":
      return uiCommand(rest, consoleOutput);
    case "validate":
      return validateCommand(rest, consoleOutput);
    case "module":
      return moduleCommand(rest, consoleOutput);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
