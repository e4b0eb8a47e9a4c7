/**
 * Reading module.yaml: the YAML documents, each component checked against its kind's schema
 * and what a schema cannot say, then the typed model.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildModule, type StateFunModule } from "./model";
import { ModuleError, orderProblems, type ModuleProblem, type SourcePosition } from "./problems";
import { semanticProblems } from "./semantic";
import { checkDocument, type ComponentDocument, type ValidSpec } from "./validate";
import { readYaml } from "./yaml";

/**
 * Checks module.yaml text. Never throws on bad input: every problem is in `problems`, in file
 * order, and `module` is the typed model when there are none (`null` otherwise).
 * @param file - the name positions are reported under.
 */
export function validateModuleText(text: string, file: string): { module: StateFunModule | null; problems: ModuleProblem[] } {
  const reading = readYaml(text, file);
  const problems: ModuleProblem[] = [...reading.problems];
  const components: ComponentDocument[] = reading.documents.map((doc) => checkDocument(doc, problems));
  problems.push(...semanticProblems(components));
  if (components.length === 0 && problems.length === 0) {
    problems.push({
      position: { file, line: 1, column: 1 },
      message: "the module has no components",
      hint: "add documents of kind: and spec:, e.g. kind: io.statefun.endpoints.v2/http",
    });
  }
  if (problems.length > 0) return { module: null, problems: orderProblems(problems) };
  const valid = components.flatMap((c): { valid: ValidSpec; position: SourcePosition }[] => (c.valid ? [{ valid: c.valid, position: c.doc.position }] : []));
  return { module: buildModule(file, valid), problems: [] };
}

/**
 * Parses module.yaml text into its typed model.
 * @param file - the name positions are reported under.
 * @throws {@link ModuleError} listing every problem, when there is any.
 */
export function parseModuleText(text: string, file: string): StateFunModule {
  const { module, problems } = validateModuleText(text, file);
  if (!module) throw new ModuleError(problems);
  return module;
}

/**
 * Reads a module file (synchronously) and parses it; positions are reported under `file` as given.
 * @throws {@link ModuleError} listing every problem, a missing or unreadable file included.
 */
export function loadModule(file: string): StateFunModule {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModuleError([
      {
        position: { file, line: 1, column: 1 },
        message: code === "ENOENT" ? "the module file does not exist" : `the module file cannot be read (${code ?? String(e)})`,
        hint: code === "ENOENT" ? `looked for ${resolve(file)}; pass the path of your module.yaml` : "check that it is a readable file, not a directory",
      },
    ]);
  }
  return parseModuleText(text, file);
}
