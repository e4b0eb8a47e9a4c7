/**
 * Dead letters: invocations the runtime gave up on instead of failing the job (`statefun dev`,
 * or a LocalRuntime with `deadLetters`). A cluster has no such thing: there a message that
 * keeps failing fails the job, which restores from its last checkpoint and replays the message,
 * failing again after every restore until the function is fixed. Set aside, it can be sent
 * again (after a fix) or discarded, and its address goes on with its next message meanwhile.
 */
import path from "node:path";
import type { AddressRef } from "../base/address";
import { InvalidArgumentError } from "../base/errors";
import { listOf } from "../base/text";
import type { WireTypedValue } from "../wire/codec";

/** An invocation set aside after it kept failing. */
export interface DeadLetter {
  /** Its number, what `retryDeadLetter` and `discardDeadLetter` take; never reused by the runtime. */
  readonly id: number;
  /** When it was set aside (runtime clock, ms). */
  readonly at: number;
  readonly to: AddressRef;
  /** The sender; null for an ingress message. */
  readonly from: AddressRef | null;
  readonly value: WireTypedValue;
  /** How many times it failed before it was set aside (alone, when it came in a batch with others). */
  readonly attempts: number;
  /** The last failure, as the cluster would report it. */
  readonly error: string;
  /**
   * The stack of the function's own error (in-process functions), source-mapped when source
   * maps are on, without the SDK's and Node's own frames.
   */
  readonly stack?: string;
}

/** Dead-lettering in a LocalRuntime (off by default: a failing invocation fails the job, as in the cluster). */
export interface DeadLetterOptions {
  /** How many times an invocation may fail before it is set aside; default 3. */
  maxAttempts?: number;
}

/** The default of {@link DeadLetterOptions.maxAttempts}. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export class DeadLetters {
  readonly #letters = new Map<number, DeadLetter>();
  #nextId = 1;

  /** Sets an invocation aside; returns it with its id. */
  add(letter: Omit<DeadLetter, "id">): DeadLetter {
    const added: DeadLetter = { id: this.#nextId++, ...letter };
    this.#letters.set(added.id, added);
    return added;
  }

  /**
   * The dead letter with this id.
   * @throws {@link InvalidArgumentError} for an id that is not on the list
   */
  get(id: number): DeadLetter {
    const letter = this.#letters.get(id);
    if (letter === undefined) {
      throw new InvalidArgumentError(`there is no dead letter #${id}; dead letters: ${listOf([...this.#letters.keys()].map((n) => `#${n}`))}`);
    }
    return letter;
  }

  /** Takes a dead letter off the list. */
  delete(id: number): void {
    this.#letters.delete(id);
  }

  /** The dead letters, oldest first. */
  get list(): readonly DeadLetter[] {
    return [...this.#letters.values()];
  }

  /** Replaces the list (saved state); new ids continue after the highest. */
  restore(letters: readonly DeadLetter[]): void {
    this.#letters.clear();
    for (const letter of letters) this.#letters.set(letter.id, letter);
    for (const letter of letters) this.#nextId = Math.max(this.#nextId, letter.id + 1);
  }
}

/**
 * Where the SDK's own code is: its compiled files and, since source-mapped frames name the
 * TypeScript they came from, its sources. Frames there say nothing a function's author can act on.
 */
const SDK_DIRS: readonly string[] = (() => {
  const src = path.resolve(__dirname, "..");
  const dist = path.dirname(src);
  return path.basename(dist) === "dist" ? [src + path.sep, path.join(path.dirname(dist), "src") + path.sep] : [src + path.sep];
})();

const FRAME = /^\s+at /;

/**
 * The stack of a function's error, its author's frames only: without the SDK's and Node's own
 * (the whole stack when that leaves none); undefined when the error has none.
 */
export function functionStack(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== "string") return undefined;
  const lines = error.stack.split("\n");
  const ours = (line: string): boolean =>
    line.includes("(node:") || line.includes(" node:") || line.includes("(<anonymous>)") || SDK_DIRS.some((dir) => line.includes(dir));
  const kept = lines.filter((line) => !FRAME.test(line) || !ours(line));
  return kept.some((line) => FRAME.test(line)) ? kept.join("\n") : error.stack;
}
