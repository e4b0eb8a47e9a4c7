#!/usr/bin/env node
/**
 * The `statefun` command line.
 *   statefun dev [--module module.yaml] <entry.js>   run the application locally (see dev.ts)
 */
import { dev, DEV_USAGE } from "./dev";

const USAGE = `usage:\n  ${DEV_USAGE.split("\n").join("\n  ")}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "dev":
      return dev(rest);
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
