/**
 * Loading an application entry: a JavaScript or TypeScript module that exports StateFun
 * instances (as its default export or named exports), and loading it again after its sources
 * changed (`statefun dev --watch`).
 */
import path from "node:path";
import { StateFun } from "../api/statefun";
import { enableTypeScript, isTypeScript } from "./typescript";

/** The SDK's own compiled files: an entry loads some of them first, and they are not the application's. */
const SDK_DIR = path.resolve(__dirname, "..") + path.sep;

/** The StateFun instances an entry exports, in export order, each once. */
export function loadEntry(entry: string): StateFun[] {
  return new Entry(entry).load();
}

/** An entry and the modules of the application it loads, which a reload loads afresh. */
export class Entry {
  readonly #file: string;
  #files: string[] = [];

  /** @param entry - the entry's path as the user gave it (for messages) */
  constructor(readonly entry: string) {
    this.#file = path.resolve(entry);
  }

  /**
   * The application's own source files the last load brought in (those `require` had not loaded
   * before, outside node_modules and statefun-ts), the entry first: what a reload reads afresh.
   */
  get files(): readonly string[] {
    return this.#files;
  }

  /**
   * Loads the entry, again if it was loaded before (with every module of the application read
   * afresh), and returns the StateFun instances it exports.
   * @throws Error saying why when it cannot be loaded or exports no StateFun
   */
  load(): StateFun[] {
    for (const file of this.#files) delete require.cache[file];
    const before = new Set(Object.keys(require.cache));
    let exported: unknown;
    try {
      if (isTypeScript(this.#file)) enableTypeScript(this.entry);
      exported = require(this.#file) as unknown;
    } catch (e) {
      throw new Error(`cannot load ${this.entry}: ${(e as Error).message}`);
    } finally {
      // Noted even when loading failed: the modules that did load are part of the next attempt.
      const added = Object.keys(require.cache).filter(
        (file) => !before.has(file) && !file.startsWith(SDK_DIR) && !file.split(path.sep).includes("node_modules"),
      );
      this.#files = [this.#file, ...added.filter((file) => file !== this.#file)];
    }
    const found: StateFun[] = [];
    const consider = (value: unknown): void => {
      if (value instanceof StateFun && !found.includes(value)) found.push(value);
    };
    consider(exported);
    if (exported !== null && typeof exported === "object") for (const value of Object.values(exported)) consider(value);
    if (found.length === 0) {
      throw new Error(
        `${this.entry} exports no StateFun instance; export one, e.g. \`export const sf = new StateFun().bind(...)\` ` +
          "(a StateFun from another copy of statefun-ts is not recognised)",
      );
    }
    return found;
  }
}
