/**
 * The source tree's import graph, read from the TypeScript sources (so type-only imports count
 * too), and the two rules ARCHITECTURE.md sets: no cycles, and every import between layers
 * (top-level folders of src/) in the allowed direction.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Each layer and the layers it may import. A layer is a top-level folder of src/, or a folder
 * below one named with its path (`local/ui/web`), which then is a layer of its own; a file
 * belongs to the deepest layer it is in, and a file directly in src/ to the layer "".
 */
export type LayerRules = Readonly<Record<string, readonly string[]>>;

/** The project's layers, inner to outer (ARCHITECTURE.md). */
export const LAYERS: LayerRules = {
  base: [],
  wire: ["base"],
  serde: ["wire", "base"],
  invoke: ["serde", "wire", "base"],
  http: ["invoke", "base"],
  api: ["http", "invoke", "serde", "wire", "base"],
  module: ["base"],
  local: ["local/ui/web", "api", "invoke", "module", "serde", "wire", "base"],
  // The inspector's browser code runs in the page: nothing of the Node side.
  "local/ui/web": [],
  cli: ["local", "local/ui/web", "module", "api", "http", "invoke", "serde", "wire", "base"],
  "": ["api", "http", "serde", "base"],
};

const SPECIFIERS = [
  /\b(?:import|export)\s+(?:type\s+)?[^;'"]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [file] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  // An ES module import names the .js file a .ts one becomes (the browser code's do).
  const source = base.endsWith(".js") ? `${base.slice(0, -3)}.ts` : undefined;
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts"), ...(source !== undefined ? [source] : [])]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Comments are dropped first, so a commented-out or documented import does not count. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Every file under `root` and the files it imports (relative imports only). */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const text = withoutComments(readFileSync(file, "utf8"));
    const targets = new Set<string>();
    for (const pattern of SPECIFIERS) {
      for (const m of text.matchAll(pattern)) {
        if (!m[1].startsWith(".")) continue;
        const target = resolveImport(file, m[1]);
        if (target !== undefined && target.endsWith(".ts")) targets.add(target);
      }
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The import cycles: each a list of files that import each other, in a readable order. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The deepest layer of `rules` a file is in; its top-level folder when no deeper one is a layer. */
function layerOf(root: string, file: string, rules: LayerRules): string {
  const parts = path.relative(root, file).split(path.sep).slice(0, -1);
  for (let n = parts.length; n > 1; n--) {
    const folder = parts.slice(0, n).join("/");
    if (folder in rules) return folder;
  }
  return parts[0] ?? "";
}

/** Every import against the layer direction, as `from → to (layer → layer)`. */
export function layerViolations(root: string, graph: ReadonlyMap<string, readonly string[]>, rules: LayerRules): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(root, file, rules);
    const allowed = rules[from];
    for (const target of targets) {
      const to = layerOf(root, target, rules);
      if (to === from) continue;
      if (allowed === undefined || !allowed.includes(to)) {
        out.push(`${path.relative(root, file)} → ${path.relative(root, target)} (${from || "src"} may not import ${to || "src"})`);
      }
    }
  }
  return out.sort();
}
