/**
 * Checks a JSON Schema cannot express: typenames, function patterns, URLs, durations, timeouts
 * against the call timeout, and what components say about each other. They read the raw specs
 * (guarding every access), so a document with schema problems still has its other faults found.
 */
import { DURATION_UNITS_SHORT, formatDuration, readDuration } from "./duration";
import type { ModuleProblem, SourcePosition } from "./problems";
import { pathText, valueText } from "./render";
import { functionPatternFault, matchesFunctionPattern, typenameFault } from "./routing";
import {
  ENDPOINT_V1,
  ENDPOINT_V2,
  KAFKA_EGRESS,
  KAFKA_INGRESS,
  KINESIS_EGRESS,
  KINESIS_INGRESS,
  PLAYGROUND_EGRESS,
  PLAYGROUND_INGRESS,
  type Kind,
} from "./schemas";
import { timeoutMs, transportOf, type TimeoutSetting } from "./transport";
import { isRecord, type ComponentDocument } from "./validate";
import type { Path } from "./yaml";

/** Fields holding a typename, per kind; `*` stands for every item of a list. */
const TYPENAME_FIELDS: Partial<Record<Kind, string[]>> = {
  [KAFKA_INGRESS]: ["id", "topics.*.valueType", "topics.*.targets.*"],
  [KINESIS_INGRESS]: ["id", "streams.*.valueType", "streams.*.targets.*"],
  [KAFKA_EGRESS]: ["id"],
  [KINESIS_EGRESS]: ["id"],
};

/** Fields holding a duration, per kind, and whether zero is allowed. */
const DURATION_FIELDS: Partial<Record<Kind, [string, "positive" | "any"][]>> = {
  [ENDPOINT_V1]: [
    ["timeouts.call", "positive"],
    ["timeouts.connect", "positive"],
    ["timeouts.read", "positive"],
    ["timeouts.write", "positive"],
  ],
  [ENDPOINT_V2]: [
    ["transport.call", "positive"],
    ["transport.connect", "positive"],
    ["transport.pool_ttl", "any"],
    ["transport.timeouts.call", "positive"],
    ["transport.timeouts.connect", "positive"],
    ["transport.timeouts.read", "positive"],
    ["transport.timeouts.write", "positive"],
  ],
  [KAFKA_EGRESS]: [["deliverySemantic.transactionTimeout", "positive"]],
};

/** Ids the cluster gives components that have no `id:`. */
const FIXED_IDS: Partial<Record<Kind, string>> = {
  [PLAYGROUND_INGRESS]: "io.statefun.playground/ingress",
  [PLAYGROUND_EGRESS]: "io.statefun.playground/egress",
};

const INGRESS_KINDS: readonly Kind[] = [KAFKA_INGRESS, KINESIS_INGRESS, PLAYGROUND_INGRESS];
const EGRESS_KINDS: readonly Kind[] = [KAFKA_EGRESS, KINESIS_EGRESS, PLAYGROUND_EGRESS];
const ENDPOINT_KINDS: readonly Kind[] = [ENDPOINT_V1, ENDPOINT_V2];

/** A value found in a component's spec, with where it is. */
interface Found {
  component: ComponentDocument;
  path: Path;
  value: unknown;
}

/** Every problem the schemas cannot see, across all components of a module. */
export function semanticProblems(components: readonly ComponentDocument[]): ModuleProblem[] {
  const problems: ModuleProblem[] = [];
  const report = (found: Found, message: string, hint: string, part: "key" | "value" = "value"): void => {
    problems.push({ position: found.component.doc.positionOf(found.path, part), message, hint });
  };
  for (const component of components) {
    if (!component.kind || !component.spec) continue;
    for (const found of strings(component, TYPENAME_FIELDS[component.kind] ?? [])) {
      const fault = typenameFault(found.value);
      if (fault) report(found, `${pathText(found.path)} ${valueText(found.value)} is not a typename: ${fault}`, "write <namespace>/<name> with exactly one /, e.g. example/greeter");
    }
    for (const [field, zero] of DURATION_FIELDS[component.kind] ?? []) {
      for (const found of matches(component, field)) checkDuration(found, zero, report);
    }
    if (ENDPOINT_KINDS.includes(component.kind)) checkEndpoint(component, report);
  }
  checkUnique(components, ENDPOINT_KINDS, "endpoint for", "merge them: the cluster binds each pattern to one endpoint", patternOf, report);
  checkUnique(components, INGRESS_KINDS, "ingress id", "give each ingress its own id", idOf, report);
  checkUnique(components, EGRESS_KINDS, "egress id", "give each egress its own id; functions address egresses by id", idOf, report);
  checkTargetsServed(components, report);
  checkPlaygroundPorts(components, report);
  return problems;
}

type Report = (found: Found, message: string, hint: string, part?: "key" | "value") => void;

function checkDuration(found: Found, zero: "positive" | "any", report: Report): void {
  const value = found.value;
  // A number that is not a whole number ≥ 0 is the schema's to report.
  const readable = typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
  if (!readable) return;
  const ms = readDuration(value);
  const where = pathText(found.path);
  if (typeof ms !== "number") {
    report(found, `${where} ${valueText(value)} is not a duration: ${ms.fault}`, `write a whole number and a unit, e.g. 30s, 2 min or 500 ms; the units are ${DURATION_UNITS_SHORT}`);
  } else if (ms === 0 && zero === "positive") {
    report(found, `${where} must be longer than 0`, "the cluster refuses zero here; use a positive duration, or leave a timeout out to get its default");
  }
}

function checkEndpoint(component: ComponentDocument, report: Report): void {
  const spec = component.spec ?? {};
  const kind = component.kind ?? ENDPOINT_V2;
  const functions = spec["functions"];
  if (typeof functions === "string" && functions !== "") {
    const fault = functionPatternFault(functions);
    if (fault) {
      report(
        { component, path: ["spec", "functions"], value: functions },
        `spec.functions ${valueText(functions)} is not a function pattern: ${fault}`,
        "write <namespace>/<name> for one function type or <namespace>/* for a whole namespace, e.g. example/*; names cannot be matched by prefix",
      );
    }
  }
  const template = spec["urlPathTemplate"];
  if (typeof template === "string" && template !== "") {
    const fault = urlFault(template);
    if (fault) report({ component, path: ["spec", "urlPathTemplate"], value: template }, `spec.urlPathTemplate ${valueText(template)} ${fault.message}`, fault.hint);
  }
  const transport = transportOf(kind, spec);
  for (const { winner, loser } of transport.shadowed) {
    report(
      { component, path: loser, value: undefined },
      `${pathText(loser)} is ignored: ${pathText(winner)} takes precedence`,
      "while transport.timeouts is present, the async transport reads call and connect only from it, with defaults of 1 min and 10s; keep one form",
      "key",
    );
  }
  checkTimeoutOrder(component, transport.timeouts, transport.strict, report);
}

/** Whether a URL template is one the cluster can use; `undefined` when it is. */
function urlFault(template: string): { message: string; hint: string } | undefined {
  const placeholder = /\{(?!function\.name\})[^}]*\}?/.exec(template);
  if (placeholder) {
    return { message: `has the unknown placeholder ${placeholder[0]}`, hint: "the only placeholder is {function.name}, the function type's name" };
  }
  const url = template.replaceAll("{function.name}", "name");
  // java.net.URI rejects these characters where the WHATWG URL parser would quietly encode them.
  const illegal = /[\s"<>\\^`{|}]/.exec(url);
  if (illegal) return { message: `contains ${JSON.stringify(illegal[0])}, which a URL cannot`, hint: "percent-encode it, e.g. a space as %20" };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { message: "is not a URL", hint: "write a full URL with scheme, host and path, e.g. http://functions:8000/statefun" };
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!["http", "https", "http+unix", "https+unix"].includes(scheme)) {
    return { message: `must start with http:// or https://, not ${scheme}:`, hint: "the cluster speaks http and https (http+unix:// and https+unix:// for a UNIX socket)" };
  }
  if ((scheme === "http" || scheme === "https") && parsed.hostname === "") {
    return { message: "has no host", hint: "e.g. http://functions:8000/statefun" };
  }
  return undefined;
}

function checkTimeoutOrder(component: ComponentDocument, timeouts: readonly TimeoutSetting[], strict: boolean, report: Report): void {
  const call = timeouts.find((t) => t.name === "call");
  const callMs = call && timeoutMs(call);
  if (!call || callMs === undefined) return;
  const callText = call.written === undefined ? `the default call timeout (${formatDuration(callMs)})` : `${pathText(call.path)} (${String(call.written)})`;
  const consequence = strict ? "the cluster refuses an okhttp endpoint whose timeouts exceed its call timeout" : "the call timeout cuts the attempt short";
  const defaultsOver: string[] = [];
  for (const timeout of timeouts) {
    const ms = timeout === call ? undefined : timeoutMs(timeout);
    if (ms === undefined || ms <= callMs) continue;
    if (timeout.written !== undefined) {
      report(
        { component, path: timeout.path, value: timeout.written },
        `${pathText(timeout.path)} (${String(timeout.written)}) is longer than ${callText}`,
        `${consequence}; lower ${timeout.name} or raise call`,
      );
    } else if (strict) {
      defaultsOver.push(timeout.name);
    }
  }
  if (defaultsOver.length > 0) {
    const names = defaultsOver.length === 1 ? defaultsOver[0] : `${defaultsOver.slice(0, -1).join(", ")} and ${defaultsOver[defaultsOver.length - 1]}`;
    const defaultMs = timeouts.find((t) => t.name === defaultsOver[0])?.defaultMs ?? 0;
    report(
      { component, path: call.path, value: call.written },
      `${callText} is shorter than the default ${names} timeout${defaultsOver.length > 1 ? "s" : ""} (${formatDuration(defaultMs)})`,
      `${consequence}; set ${names} no longer than call, or raise call`,
    );
  }
}

function checkUnique(
  components: readonly ComponentDocument[],
  kinds: readonly Kind[],
  what: string,
  hint: string,
  keyOf: (component: ComponentDocument) => Found | undefined,
  report: Report,
): void {
  const first = new Map<string, SourcePosition>();
  for (const component of components) {
    if (!component.kind || !kinds.includes(component.kind)) continue;
    const found = keyOf(component);
    if (!found || typeof found.value !== "string") continue;
    const earlier = first.get(found.value);
    if (earlier) {
      report(found, `duplicate ${what} ${found.value}: already declared at ${earlier.line}:${earlier.column}`, hint);
    } else {
      first.set(found.value, component.doc.positionOf(found.path));
    }
  }
}

function patternOf(component: ComponentDocument): Found | undefined {
  const functions = component.spec?.["functions"];
  if (typeof functions !== "string" || functionPatternFault(functions)) return undefined;
  return { component, path: ["spec", "functions"], value: functions };
}

function idOf(component: ComponentDocument): Found | undefined {
  if (!component.spec) return undefined;
  const fixed = component.kind && FIXED_IDS[component.kind];
  if (fixed) return { component, path: ["kind"], value: fixed };
  const id = component.spec?.["id"];
  return typeof id === "string" && !typenameFault(id) ? { component, path: ["spec", "id"], value: id } : undefined;
}

function checkTargetsServed(components: readonly ComponentDocument[], report: Report): void {
  const patterns = components.flatMap((c) => (c.kind && ENDPOINT_KINDS.includes(c.kind) ? [patternOf(c)] : [])).flatMap((f) => (f ? [String(f.value)] : []));
  for (const component of components) {
    const field = component.kind === KAFKA_INGRESS ? "topics.*.targets.*" : component.kind === KINESIS_INGRESS ? "streams.*.targets.*" : undefined;
    if (!field) continue;
    for (const found of strings(component, [field])) {
      if (typenameFault(found.value) || patterns.some((pattern) => matchesFunctionPattern(pattern, found.value))) continue;
      const namespace = found.value.slice(0, found.value.indexOf("/"));
      report(
        found,
        `${pathText(found.path)} ${found.value} is not served by any endpoint`,
        `add an ${ENDPOINT_V2} component with functions: ${found.value} or ${namespace}/*` +
          (patterns.length > 0 ? `; the endpoints here serve ${patterns.join(", ")}` : ""),
      );
    }
  }
}

function checkPlaygroundPorts(components: readonly ComponentDocument[], report: Report): void {
  let ingress: Found | undefined;
  let egress: Found | undefined;
  for (const component of components) {
    if (component.kind !== PLAYGROUND_INGRESS && component.kind !== PLAYGROUND_EGRESS) continue;
    const port = component.spec?.["port"];
    if (typeof port !== "number") continue;
    const found: Found = { component, path: ["spec", "port"], value: port };
    const other = component.kind === PLAYGROUND_INGRESS ? egress : ingress;
    if (component.kind === PLAYGROUND_INGRESS) ingress ??= found;
    else egress ??= found;
    if (other && other.value === port) {
      const at = other.component.doc.positionOf(other.path);
      report(
        found,
        `spec.port ${port} is also the port of the playground ${component.kind === PLAYGROUND_INGRESS ? "egress" : "ingress"} at ${at.line}:${at.column}`,
        "the playground ingress and egress each run their own HTTP server: give them different ports",
      );
    }
  }
}

/** The string values at some field patterns of a component's spec. */
function strings(component: ComponentDocument, fields: readonly string[]): (Found & { value: string })[] {
  return fields.flatMap((field) => matches(component, field)).flatMap((f) => (typeof f.value === "string" ? [{ ...f, value: f.value }] : []));
}

/** The values at a dotted field pattern of a component's spec (`*` = every list item), present ones only. */
function matches(component: ComponentDocument, field: string): Found[] {
  let found: { path: Path; value: unknown }[] = [{ path: ["spec"], value: component.spec }];
  for (const segment of field.split(".")) {
    found = found.flatMap(({ path, value }) => {
      if (segment === "*") return Array.isArray(value) ? value.map((item, i) => ({ path: [...path, i], value: item })) : [];
      return isRecord(value) && value[segment] !== undefined ? [{ path: [...path, segment], value: value[segment] }] : [];
    });
  }
  return found.map((f) => ({ component, ...f }));
}
