/**
 * `statefun dev --watch`: noticing that source files changed. It watches the files' directories
 * rather than the files (an editor that saves by writing a new file and renaming it over the
 * old one replaces the file a watch would hold), and reports the changed files once they have
 * been quiet for a moment, since one save can be several writes.
 */
import { watch, type FSWatcher } from "node:fs";
import path from "node:path";

/** How long changes must have stopped before they are reported. */
const QUIET_MS = 100;

export class SourceWatcher {
  readonly #onChange: (files: string[]) => void;
  readonly #watchers = new Map<string, FSWatcher>();
  #files = new Set<string>();
  readonly #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  /** @param onChange - called with the files that changed, after they have been quiet for a moment */
  constructor(onChange: (files: string[]) => void) {
    this.#onChange = onChange;
  }

  /** Watches these files (instead of those watched before). */
  watch(files: readonly string[]): void {
    this.#files = new Set(files);
    const dirs = new Set(files.map((file) => path.dirname(file)));
    for (const [dir, watcher] of this.#watchers) {
      if (dirs.has(dir)) continue;
      watcher.close();
      this.#watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (this.#watchers.has(dir)) continue;
      this.#watchers.set(
        dir,
        watch(dir, (_event, name) => {
          const file = name === null ? undefined : path.join(dir, name.toString());
          if (file !== undefined && this.#files.has(file)) this.#noted(file);
        }),
      );
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #noted(file: string): void {
    this.#changed.add(file);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const changed = [...this.#changed];
      this.#changed.clear();
      this.#onChange(changed);
    }, QUIET_MS);
  }
}
