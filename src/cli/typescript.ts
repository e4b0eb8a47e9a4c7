/**
 * TypeScript entries: `.ts` files (the entry and what it imports) transpiled in-process as they
 * are required, with the `typescript` package of the entry's own project (resolved from its
 * directory, never statefun-ts's), the options of its tsconfig.json, and inline source maps, so
 * that with source maps on, stacks name the .ts files and lines. Types are not checked: that
 * stays tsc's job.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type TypeScript from "typescript";

/** What `require` compiles as TypeScript (`.mts` is an ES module, which `require` cannot load). */
const EXTENSIONS = [".ts", ".cts", ".tsx"];

/** Whether a file is TypeScript source (a declaration file is not). */
export function isTypeScript(file: string): boolean {
  return EXTENSIONS.includes(path.extname(file)) && !file.endsWith(".d.ts");
}

/** A CommonJS module as the loader hands it to an extension: `_compile` runs the code. */
interface CompilingModule {
  _compile(code: string, filename: string): void;
}

/**
 * Makes `require` load TypeScript, with the compiler the project of `entry` has. A loader the
 * user registered already (ts-node, tsx) is left in place.
 * @throws Error saying what to install when the project has no `typescript` package
 */
export function enableTypeScript(entry: string): void {
  if (require.extensions[".ts"] !== undefined) return;
  const from = path.dirname(path.resolve(entry));
  let compilerPath: string;
  try {
    compilerPath = require.resolve("typescript", { paths: [from] });
  } catch {
    throw new Error(
      `${entry} is TypeScript, and its project has no typescript package to compile it with (looked from ${from}): ` +
        "install it there (npm install --save-dev typescript), or compile the entry with tsc and run the .js",
    );
  }
  const ts = require(compilerPath) as typeof TypeScript;
  const compilerOptions = optionsFor(ts, from);
  const compile = (module: NodeJS.Module, filename: string): void => {
    const { outputText } = ts.transpileModule(readFileSync(filename, "utf8"), { fileName: filename, compilerOptions });
    (module as unknown as CompilingModule)._compile(outputText, filename);
  };
  for (const extension of EXTENSIONS) require.extensions[extension] = compile;
}

/**
 * The project's compiler options (its tsconfig.json, found from `dir` up), made to emit what
 * `require` runs: CommonJS with inline source maps, nothing else.
 */
function optionsFor(ts: typeof TypeScript, dir: string): TypeScript.CompilerOptions {
  const configFile = ts.findConfigFile(dir, (file) => ts.sys.fileExists(file));
  let options: TypeScript.CompilerOptions = {};
  if (configFile !== undefined) {
    const { config, error } = ts.readConfigFile(configFile, (file) => ts.sys.readFile(file));
    if (error !== undefined) throw new Error(`cannot read ${configFile}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
    options = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configFile)).options;
  }
  return {
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    ...options,
    module: ts.ModuleKind.CommonJS,
    inlineSourceMap: true,
    inlineSources: true,
    sourceMap: false,
    declaration: false,
    declarationMap: false,
    noEmit: false,
    emitDeclarationOnly: false,
    verbatimModuleSyntax: false,
  };
}
