import { StateFunError } from "../base/errors";

/** A place in a module file; `line` and `column` count from 1. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One thing wrong with a module file: where, what, and how to fix it. */
export interface ModuleProblem {
  position: SourcePosition;
  message: string;
  hint?: string;
}

/** Renders a problem as one line: `file:line:col  message  (hint)`. */
export function formatProblem(problem: ModuleProblem): string {
  const { file, line, column } = problem.position;
  return `${file}:${line}:${column}  ${problem.message}` + (problem.hint ? `  (${problem.hint})` : "");
}

/**
 * A module file that the cluster would reject or misread. `problems` lists every problem found,
 * in file order; the message has one line per problem.
 */
export class ModuleError extends StateFunError {
  constructor(
    /** Every problem found, in file order. */
    readonly problems: readonly ModuleProblem[],
  ) {
    super(problems.map(formatProblem).join("\n"));
  }
}

/** Sorts problems into file order and drops exact repeats. */
export function orderProblems(problems: readonly ModuleProblem[]): ModuleProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.position.file}:${p.position.line}:${p.position.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Array.prototype.sort is stable: problems at one place keep the order they were found in.
  return unique.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
}
