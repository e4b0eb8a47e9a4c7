/**
 * `statefun validate [module.yaml] [--functions <entry.js>]`: checks a module file the way the
 * StateFun 3.3 runtime reads it and, given the application's entry, that its endpoints and the
 * functions the entry binds fit each other.
 */
import { readFileSync } from "node:fs";
import {
  endpointFor,
  formatProblem,
  loadModule,
  matchesFunctionPattern,
  ModuleError,
  type EndpointComponent,
  type ModuleProblem,
  type SourcePosition,
  type StateFunModule,
} from "../module";
import { readYaml } from "../module/yaml";
import { count, entryFunctionTypes, parseCommand, usageError, type CommandOutput } from "./common";

/** The usage text of `statefun validate`. */
export const VALIDATE_USAGE = `statefun validate [module.yaml] [--functions <entry.js>]

  Checks a module file as the StateFun 3.3 cluster reads it: prints one summary line and
  exits 0 when it is valid, otherwise every problem as file:line:col  message  (hint), exit 1.

  --functions  also check the module against the functions <entry.js> binds: every bound
               function type must be served by an endpoint, and every endpoint must serve one`;

/** Runs `statefun validate`; returns the exit code (0 valid, 1 problems, 2 usage error). */
export function validateCommand(args: readonly string[], out: CommandOutput): number {
  const parsed = parseCommand("validate", VALIDATE_USAGE, args, { functions: { type: "string" } }, out);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 1) return usageError(out, "validate", `expected one module file, got ${positionals.join(" ")}`, VALIDATE_USAGE);
  const file = positionals[0] ?? "module.yaml";

  let module: StateFunModule;
  try {
    module = loadModule(file);
  } catch (e) {
    if (!(e instanceof ModuleError)) throw e;
    for (const problem of e.problems) out.out(formatProblem(problem));
    return 1;
  }
  const entry = values.functions;
  if (entry === undefined) {
    out.out(summary(module));
    return 0;
  }
  const functionTypes = entryFunctionTypes(entry, out, "validate");
  if (!functionTypes) return 1;
  const problems = functionProblems(module, readFileSync(file, "utf8"), functionTypes, entry);
  for (const problem of problems) out.out(formatProblem(problem));
  if (problems.length > 0) return 1;
  out.out(`${summary(module)}; serves the ${count(functionTypes.length, "function")} of ${entry} (${functionTypes.join(", ")})`);
  return 0;
}

/** `module.yaml: valid — 1 endpoint (example/*), 2 ingresses, 1 egress`. */
export function summary(module: StateFunModule): string {
  const patterns = module.endpoints.map((endpoint) => endpoint.functions);
  const endpoints = count(patterns.length, "endpoint") + (patterns.length > 0 ? ` (${patterns.join(", ")})` : "");
  return `${module.file}: valid — ${endpoints}, ${count(module.ingresses.length, "ingress", "ingresses")}, ${count(module.egresses.length, "egress", "egresses")}`;
}

/**
 * What does not fit between a valid module and the function types an entry binds: a bound type
 * no endpoint serves (the cluster could never call it), and an endpoint that serves none of them
 * (its messages would come to a service that does not have those functions).
 * @param text - the module file's text, to place problems at an endpoint's `functions:` value.
 * @param entry - the entry's name as the user gave it, for messages.
 */
export function functionProblems(module: StateFunModule, text: string, functionTypes: readonly string[], entry: string): ModuleProblem[] {
  const problems: ModuleProblem[] = [];
  const patterns = module.endpoints.map((endpoint) => endpoint.functions);
  const routedTo = new Map<EndpointComponent, string[]>();
  for (const type of functionTypes) {
    const endpoint = endpointFor(module, type);
    if (endpoint) {
      routedTo.set(endpoint, [...(routedTo.get(endpoint) ?? []), type]);
      continue;
    }
    const namespace = type.slice(0, type.lastIndexOf("/"));
    problems.push({
      position: { file: module.file, line: 1, column: 1 },
      message: `function type ${type}, bound in ${entry}, is not served by any endpoint`,
      hint:
        `the cluster cannot call it: add an endpoint with functions: ${type} (or ${namespace}/*), or widen an existing pattern` +
        (patterns.length > 0 ? `; the endpoints here serve ${patterns.join(", ")}` : ""),
    });
  }
  const functionsAt = functionsPositions(module, text);
  for (const endpoint of module.endpoints) {
    if (routedTo.has(endpoint)) continue;
    const matched = functionTypes.filter((type) => matchesFunctionPattern(endpoint.functions, type));
    const why =
      matched.length === 0
        ? `matches no function bound in ${entry}`
        : `serves no function bound in ${entry}: ${matched.join(", ")} ${matched.length === 1 ? "goes" : "go"} to endpoints that name them exactly`;
    problems.push({
      position: functionsAt.get(endpoint) ?? endpoint.position,
      message: `endpoint for ${endpoint.functions} ${why}`,
      hint: `a dead pattern: the cluster would send these types to ${endpoint.urlPathTemplate}; keep it only if another service serves them there, otherwise remove the endpoint or bind the functions`,
    });
  }
  return problems;
}

/** Where each endpoint's `functions:` value is written, found by the document it starts. */
function functionsPositions(module: StateFunModule, text: string): Map<EndpointComponent, SourcePosition> {
  const documents = readYaml(text, module.file).documents;
  const positions = new Map<EndpointComponent, SourcePosition>();
  for (const endpoint of module.endpoints) {
    const { line, column } = endpoint.position;
    const doc = documents.find((d) => d.position.line === line && d.position.column === column);
    if (doc) positions.set(endpoint, doc.positionOf(["spec", "functions"]));
  }
  return positions;
}
