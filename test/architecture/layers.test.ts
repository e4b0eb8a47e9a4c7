/**
 * The rule that keeps the layers one-way (ARCHITECTURE.md): no import cycles, type-only
 * imports included, and no import against the layer direction. The second half shows the
 * check catches both on a tree made to break them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cycles, importGraph, LAYERS, layerViolations } from "./imports";

const SRC = path.join(__dirname, "..", "..", "src");

test("src/ has no import cycle", () => {
  const graph = importGraph(SRC);
  expect(graph.size).toBeGreaterThan(50);
  expect(cycles(graph).map((c) => c.map((f) => path.relative(SRC, f)).join(" ↔ "))).toEqual([]);
});

test("src/ imports only in the layer direction", () => {
  expect(layerViolations(SRC, importGraph(SRC), LAYERS)).toEqual([]);
});

test("every folder of src/ is a layer with rules", () => {
  const graph = importGraph(SRC);
  const layers = new Set([...graph.keys()].map((f) => path.relative(SRC, f).split(path.sep)).map((parts) => (parts.length === 1 ? "" : parts[0])));
  expect([...layers].filter((l) => !(l in LAYERS))).toEqual([]);
});

describe("the check fails where it should", () => {
  let root: string;
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "layers-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test("a back-import from an inner layer to an outer one, type-only included", () => {
    write("api/statefun.ts", 'import { Address } from "../base/address";\nexport class StateFun {}\n');
    write("base/address.ts", 'import type { StateFun } from "../api/statefun";\nexport class Address {}\n');
    expect(layerViolations(root, importGraph(root), LAYERS)).toEqual([
      `base${path.sep}address.ts → api${path.sep}statefun.ts (base may not import api)`,
    ]);
  });

  test("a layer below a top-level one: the browser code imports nothing of the Node side, written as ES modules (.js)", () => {
    write("local/ui/server.ts", 'import type { View } from "./web/protocol";\nexport const s = 1;\n');
    write("local/ui/web/protocol.ts", "export interface View {}\n");
    write("local/ui/web/main.ts", 'import type { View } from "./protocol.js";\nimport { s } from "../server.js";\n');
    expect(layerViolations(root, importGraph(root), LAYERS)).toEqual([
      `local${path.sep}ui${path.sep}web${path.sep}main.ts → local${path.sep}ui${path.sep}server.ts (local/ui/web may not import local)`,
    ]);
  });

  test("a cycle within a layer, through a re-export and a require()", () => {
    write("invoke/a.ts", 'export { b } from "./b";\n');
    write("invoke/b.ts", 'export const b = 1;\nexport const a = () => require("./a");\n');
    write("invoke/c.ts", '// import { a } from "./a" is only a comment\nexport const c = 3;\n');
    expect(cycles(importGraph(root)).map((c) => c.map((f) => path.relative(root, f)))).toEqual([[`invoke${path.sep}a.ts`, `invoke${path.sep}b.ts`]]);
  });
});
