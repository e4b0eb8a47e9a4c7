/**
 * Loading an application entry: a JavaScript module that exports StateFun instances (as its
 * default export or named exports).
 */
import path from "node:path";
import { StateFun } from "../api/statefun";

/** The StateFun instances an entry exports, in export order, each once. */
export function loadEntry(entry: string): StateFun[] {
  const file = path.resolve(entry);
  let exported: unknown;
  try {
    exported = require(file) as unknown;
  } catch (e) {
    throw new Error(`cannot load ${entry}: ${(e as Error).message}`);
  }
  const found: StateFun[] = [];
  const consider = (value: unknown): void => {
    if (value instanceof StateFun && !found.includes(value)) found.push(value);
  };
  consider(exported);
  if (exported !== null && typeof exported === "object") for (const value of Object.values(exported)) consider(value);
  if (found.length === 0) {
    throw new Error(
      `${entry} exports no StateFun instance; export one, e.g. \`export const sf = new StateFun().bind(...)\` ` +
        "(a StateFun from another copy of statefun-ts is not recognised)",
    );
  }
  return found;
}
