import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type ErrorCode, type Node, type YAMLError } from "yaml";
import type { ModuleProblem, SourcePosition } from "./problems";

/** A path into a document's data: mapping keys and list indexes. */
export type Path = readonly (string | number)[];

/** One `---`-separated document of a module file. */
export interface YamlDocument {
  /** The document as plain data; `undefined` when it could not be read (see the syntax problems). */
  data: unknown;
  /** Where the document's content starts. */
  position: SourcePosition;
  /**
   * Where the value at `path` is written; for `"key"`, where its key is written (the value's own
   * position when it has no key, e.g. a list item). A path that goes past what is written stops
   * at the last node that exists.
   */
  positionOf(path: Path, part?: "key" | "value"): SourcePosition;
}

/** What {@link readYaml} found: the non-empty documents, and every YAML syntax problem. */
export interface YamlReading {
  documents: YamlDocument[];
  problems: ModuleProblem[];
}

/** Reads multi-document YAML, keeping where every node is written. */
export function readYaml(text: string, file: string): YamlReading {
  const lines = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const documents: YamlDocument[] = [];
  const problems: ModuleProblem[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
    const syntax = [...doc.errors, ...doc.warnings];
    const seenOffsets = new Set<number>();
    for (const error of syntax) {
      // One mistake often trips several rules at the same character; the first says it best.
      if (seenOffsets.has(error.pos[0])) continue;
      seenOffsets.add(error.pos[0]);
      problems.push(syntaxProblem(error, at(error.pos[0])));
    }
    if (doc.contents === null) continue;
    const rootOffset = doc.contents.range?.[0] ?? 0;
    let data: unknown;
    if (doc.errors.length === 0) {
      try {
        data = doc.toJS();
      } catch (e) {
        problems.push({
          position: at(rootOffset),
          message: `this document cannot be read: ${e instanceof Error ? e.message : String(e)}`,
          hint: "simplify its anchors and aliases (*name), or write the values out",
        });
      }
    }
    // A document of only comments reads as null: there is nothing in it to check.
    if (data === null && doc.errors.length === 0) continue;
    documents.push({
      data,
      position: at(rootOffset),
      positionOf: (path, part = "value") => at(offsetOf(doc, path, part) ?? rootOffset),
    });
  }
  return { documents, problems };
}

function offsetOf(doc: Document, path: Path, part: "key" | "value"): number | undefined {
  let node: unknown = doc.contents;
  let keyOffset: number | undefined;
  let found = nodeOffset(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    keyOffset = undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return found;
      keyOffset = nodeOffset(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
    } else {
      return found;
    }
    // A key with nothing after it (`spec:`) has no value node: the key is the best place.
    found = nodeOffset(node) ?? keyOffset ?? found;
  }
  return part === "key" ? (keyOffset ?? found) : found;
}

function nodeOffset(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

const SYNTAX_HINTS: Partial<Record<ErrorCode, string>> = {
  DUPLICATE_KEY: "a key may appear once per mapping: remove or merge the repeated one",
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs",
  BAD_INDENT: "line this up with the other entries of the same mapping or list",
  MISSING_CHAR: "close the bracket or quote opened before this point",
  BLOCK_AS_IMPLICIT_KEY: "put each key: value on its own line, indented under its parent",
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line and be followed by a colon",
  UNEXPECTED_TOKEN: "remove the stray character, or quote the value that contains it",
  BAD_DQ_ESCAPE: "in double quotes write \\\\ for a backslash, or use single quotes",
  TAG_RESOLVE_FAILED: "remove the !tag: module files use plain YAML values",
};

function syntaxProblem(error: YAMLError, position: SourcePosition): ModuleProblem {
  // The parser appends "at line L, column C" (and, with pretty errors, a code frame); the position says that already.
  const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  return {
    position,
    message: `YAML syntax: ${message}`,
    hint: SYNTAX_HINTS[error.code] ?? "fix the YAML here; each document of a module is a mapping with kind: and spec:",
  };
}
