import type { ErrorObject } from "ajv";
import type { ModuleProblem } from "./problems";
import { closest } from "../base/suggest";
import { pathText, valueText } from "./render";
import { ENDPOINT_V2, isKind, KINDS, validators, type Kind, type SpecOfKind } from "./schemas";
import type { Path, YamlDocument } from "./yaml";

/** A spec that matched its kind's schema, typed by kind. */
export type ValidSpec = { [K in Kind]: { kind: K; spec: SpecOfKind[K] } }[Kind];

/** One document of a module, as far as it could be read. */
export interface ComponentDocument {
  doc: YamlDocument;
  /** Set when the document names a known kind. */
  kind?: Kind;
  /** The raw `spec`, when it is a mapping (valid or not: semantic checks read what they can). */
  spec?: Record<string, unknown>;
  /** Set when `spec` matches the kind's schema. */
  valid?: ValidSpec;
}

/** Reads one document's `kind:` and `spec:` and validates the spec against its kind's schema. */
export function checkDocument(doc: YamlDocument, problems: ModuleProblem[]): ComponentDocument {
  const data = doc.data;
  const result: ComponentDocument = { doc };
  if (data === undefined) return result;
  const report = (path: Path, message: string, hint: string, part: "key" | "value" = "value"): void => {
    problems.push({ position: doc.positionOf(path, part), message, hint });
  };
  if (!isRecord(data)) {
    report([], `a component must be a mapping with kind: and spec:, not ${valueText(data)}`, "write kind: <component kind> and spec: with its settings");
    return result;
  }
  if (!("kind" in data) && ("version" in data || "module" in data)) {
    report([], "this is the StateFun 2.x module format (version: and module:)", "StateFun 3 reads one component per document: kind: ..., spec: ..., documents separated by ---");
    return result;
  }
  // A misspelled kind: or spec: is reported once, as the misspelling.
  const misspelled = new Set<string>();
  for (const key of Object.keys(data)) {
    if (key === "kind" || key === "spec") continue;
    const suggestion = closest(key, ["kind", "spec"]);
    if (suggestion) misspelled.add(suggestion);
    report([key], `unknown property ${key}`, suggestion ? `did you mean ${suggestion}?` : "a component has only kind: and spec:", "key");
  }
  const kind = data["kind"];
  if (kind === undefined || kind === null) {
    if (!misspelled.has("kind")) report(["kind"], "the component has no kind", `add kind:, one of ${KINDS.join(", ")}`, "key");
  } else if (typeof kind !== "string") {
    report(["kind"], `kind must be a component kind such as ${ENDPOINT_V2}, not ${valueText(kind)}`, `one of ${KINDS.join(", ")}`);
  } else if (!isKind(kind)) {
    const suggestion = closest(kind, KINDS);
    report(["kind"], `unknown kind ${JSON.stringify(kind)}`, (suggestion ? `did you mean ${suggestion}? ` : "") + `known kinds: ${KINDS.join(", ")}`);
  } else {
    result.kind = kind;
  }
  const spec = data["spec"];
  if (spec === undefined || spec === null) {
    if (!misspelled.has("spec")) report(["spec"], "the component has no spec", "add spec: with the component's settings, indented under it", "key");
    return result;
  }
  if (!isRecord(spec)) {
    report(["spec"], `spec must be a mapping (key: value lines), not ${valueText(spec)}`, "indent the component's settings under spec:");
    return result;
  }
  result.spec = spec;
  if (result.kind) {
    const valid = validateSpec(result.kind, spec);
    if (valid) result.valid = valid;
    else problems.push(...schemaProblems(validators()[result.kind].errors ?? [], spec, doc));
  }
  return result;
}

function validateSpec<K extends Kind>(kind: K, spec: unknown): ValidSpec | undefined {
  const validate = validators()[kind];
  // TypeScript cannot correlate K across the union of kinds; the validator of K checked SpecOfKind[K].
  return validate(spec) ? ({ kind, spec } as ValidSpec) : undefined;
}

/**
 * Keywords that judge a value itself. When several fail on one value only the highest-ranked is
 * kept: an unused property needs removing whatever its value, and a value of the wrong type
 * makes the other checks moot.
 */
const VALUE_KEYWORD_RANK: Readonly<Record<string, number>> = {
  not: 2,
  type: 1,
  enum: 0,
  const: 0,
  pattern: 0,
  minLength: 0,
  minimum: 0,
  maximum: 0,
  minItems: 0,
  minProperties: 0,
  maxProperties: 0,
};

function schemaProblems(errors: readonly ErrorObject[], spec: unknown, doc: YamlDocument): ModuleProblem[] {
  // "if" only says which branch failed, "propertyNames" repeats its pattern error: the detailed error is reported.
  const kept = errors.filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames");
  const rankOf = (e: ErrorObject): number | undefined => (e.propertyName === undefined ? VALUE_KEYWORD_RANK[e.keyword] : undefined);
  const best = new Map<string, number>();
  for (const e of kept) {
    const rank = rankOf(e);
    if (rank !== undefined) best.set(e.instancePath, Math.max(rank, best.get(e.instancePath) ?? 0));
  }
  return kept
    .filter((e) => (rankOf(e) ?? Infinity) >= (best.get(e.instancePath) ?? 0))
    .map((e) => schemaProblem(e, ["spec", ...dataPath(e.instancePath, spec)], doc));
}

function schemaProblem(e: ErrorObject, path: Path, doc: YamlDocument): ModuleProblem {
  const schema: Record<string, unknown> = isRecord(e.parentSchema) ? e.parentSchema : {};
  const hint = stringAt(schema, "hint");
  const mismatch = stringAt(schema, "mismatch");
  const where = pathText(path);
  const at = (p: Path, part: "key" | "value" = "value") => doc.positionOf(p, part);
  const params: Record<string, unknown> = e.params;
  switch (e.keyword) {
    case "required": {
      const name = String(params["missingProperty"]);
      const properties = isRecord(schema["properties"]) ? schema["properties"] : {};
      const propertyHint = isRecord(properties[name]) ? stringAt(properties[name], "hint") : undefined;
      return {
        position: at(path, "key"),
        message: `${where} is missing ${name}`,
        hint: propertyHint ? `add ${name}, ${propertyHint}` : (hint ?? `add ${name}`),
      };
    }
    case "additionalProperties": {
      const name = String(params["additionalProperty"]);
      const known = Object.keys(isRecord(schema["properties"]) ? schema["properties"] : {});
      const moved = isRecord(schema["unknownHints"]) ? stringAt(schema["unknownHints"], name) : undefined;
      const suggestion = closest(name, known);
      return {
        position: at([...path, name], "key"),
        message: `unknown property ${pathText([...path, name])}`,
        hint:
          moved ??
          (suggestion
            ? `did you mean ${suggestion}? The cluster ignores unknown properties, so this setting would be lost`
            : `${where} takes ${known.join(", ")}; the cluster ignores anything else`),
      };
    }
    case "pattern":
      if (e.propertyName !== undefined) {
        return {
          position: at([...path, e.propertyName], "key"),
          message: `${where} has the key ${JSON.stringify(e.propertyName)}, which must be ${mismatch ?? `like ${String(params["pattern"])}`}`,
          hint: hint ?? "rename the key",
        };
      }
      return valueProblem(at(path), `${where} must be ${mismatch ?? `like ${String(params["pattern"])}`}, not ${valueText(e.data)}`, hint);
    case "enum": {
      const allowed = Array.isArray(params["allowedValues"]) ? params["allowedValues"].map(String) : [];
      return valueProblem(at(path), `${where} must be one of ${allowed.join(", ")}, not ${valueText(e.data)}`, hint);
    }
    case "not":
      return valueProblem(at(path, "key"), `${where} is not used ${mismatch ?? "here"}`, hint ?? "remove it");
    case "minimum":
    case "maximum":
      return valueProblem(at(path), `${where} must be at ${e.keyword === "minimum" ? "least" : "most"} ${String(params["limit"])}, not ${valueText(e.data)}`, hint);
    case "minItems":
    case "minLength":
      return valueProblem(at(path), `${where} must not be empty`, hint);
    case "type":
      return valueProblem(at(path), `${where} must be ${mismatch ?? typeWords(params["type"])}, not ${valueText(e.data)}`, hint);
    default:
      return valueProblem(at(path), `${where} must be ${mismatch ?? e.message ?? "valid"}`, hint);
  }
}

function valueProblem(position: ModuleProblem["position"], message: string, hint: string | undefined): ModuleProblem {
  return { position, message, hint: hint ?? "see the StateFun module documentation for this setting" };
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping (key: value lines)",
  array: "a list",
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(",");
  return types.map((t) => TYPE_WORDS[t] ?? t).join(" or ");
}

/** Decodes an ajv instance path against the data, so list indexes become numbers and keys stay strings. */
function dataPath(pointer: string, data: unknown): Path {
  if (pointer === "") return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const index = Number(segment);
      path.push(index);
      node = node[index];
    } else {
      path.push(segment);
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return path;
}

/** Whether a value is a plain mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringAt(record: unknown, key: string): string | undefined {
  const value = isRecord(record) ? record[key] : undefined;
  return typeof value === "string" ? value : undefined;
}
