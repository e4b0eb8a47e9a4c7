/**
 * "Did you mean": the one edit-distance helper behind every suggestion the SDK, the local
 * runtime, module validation and the CLI make for a misspelled name (a state, a function type,
 * an egress id, a module property).
 */
import { quote } from "./text";

/**
 * Names longer than this get no suggestion: a misspelling is short, and the distance costs the
 * product of the two lengths (a name may come from a request and be of any size).
 */
const LONGEST_NAME = 200;

/**
 * The closest of `candidates` to `name` when it is plausibly a misspelling of it (case aside,
 * at most a quarter of its characters wrong, and at least one); `undefined` otherwise.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > LONGEST_NAME) return undefined;
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 4)) + 1;
  for (const candidate of candidates) {
    if (candidate === name || Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/**
 * The end of an error sentence that suggests the closest candidate: `; did you mean "visits"?`
 * (the name as `render` writes it; quoted by default), or "" when none is close.
 */
export function didYouMean(name: string, candidates: Iterable<string>, render: (name: string) => string = quote): string {
  const suggestion = closest(name, candidates);
  return suggestion === undefined ? "" : `; did you mean ${render(suggestion)}?`;
}

/** The Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
