/**
 * `statefun module <entry.js> --url <urlPathTemplate>`: the module.yaml endpoint components that
 * make a StateFun cluster call the functions an entry binds, ready to paste into module.yaml.
 */
import { stringify } from "yaml";
import { parseTypeName } from "../base/address";
import { INT32_MAX } from "../base/int32";
import { validateModuleText } from "../module";
import { ASYNC_TRANSPORT, ENDPOINT_V2, OKHTTP_TRANSPORT } from "../module/schemas";
import { entryFunctionTypes, httpUrlFault, parseCommand, usageError, type CommandOutput } from "./common";

/** The usage text of `statefun module`. */
export const MODULE_USAGE = `statefun module <entry.js> --url <urlPathTemplate> [--exact] [--max-batch N] [--transport async|okhttp]

  Prints the module.yaml endpoint components (${ENDPOINT_V2}) that route the
  functions <entry.js> binds to your service: one per namespace (functions: <namespace>/*),
  or with --exact one per function type.

  --url        where the cluster posts, http:// or https://, e.g. http://functions:8000/statefun;
               {function.name} in it stands for the function type's name
  --exact      one endpoint per function type instead of one per namespace
  --max-batch  maxNumBatchRequests: messages buffered per address before backpressure (default 1000)
  --transport  the cluster's HTTP client: async (default) or okhttp`;

/** What the generated endpoints say besides their `functions`. */
export interface EndpointOptions {
  /** The `urlPathTemplate` of every endpoint. */
  url: string;
  /** One endpoint per function type instead of one per namespace. */
  exact?: boolean;
  /** `maxNumBatchRequests`, when given. */
  maxBatch?: number;
  /** The transport; async by default. */
  transport?: "async" | "okhttp";
}

/**
 * The endpoint components for `functionTypes`, as multi-document module.yaml text. The transport
 * states its timeouts with their default values, so they are in sight when they need tuning.
 */
export function endpointsYaml(functionTypes: readonly string[], options: EndpointOptions): string {
  const patterns = options.exact
    ? [...new Set(functionTypes)]
    : [...new Set(functionTypes.map((type) => `${parseTypeName(type).namespace}/*`))];
  const transport =
    options.transport === "okhttp"
      ? { type: OKHTTP_TRANSPORT, timeouts: { call: "1 min", connect: "10s", read: "10s", write: "10s" } }
      : { type: ASYNC_TRANSPORT, call: "2 min", connect: "20s" };
  return patterns
    .map((functions) =>
      stringify(
        {
          kind: ENDPOINT_V2,
          spec: {
            functions,
            urlPathTemplate: options.url,
            ...(options.maxBatch !== undefined ? { maxNumBatchRequests: options.maxBatch } : {}),
            transport,
          },
        },
        { lineWidth: 0 },
      ),
    )
    .join("---\n");
}

/** Runs `statefun module`; returns the exit code (0 printed, 1 entry not loadable, 2 usage error). */
export function moduleCommand(args: readonly string[], out: CommandOutput): number {
  const parsed = parseCommand(
    "module",
    MODULE_USAGE,
    args,
    {
      url: { type: "string" },
      exact: { type: "boolean", default: false },
      "max-batch": { type: "string" },
      transport: { type: "string", default: "async" },
    },
    out,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const refuse = (reason: string): number => usageError(out, "module", reason, MODULE_USAGE);
  const [entry, ...extra] = positionals;
  if (entry === undefined) return refuse("give the entry, the JavaScript module that exports your StateFun");
  if (extra.length > 0) return refuse(`expected one entry, got ${positionals.join(" ")}`);
  if (values.url === undefined) return refuse("--url is required: where the cluster reaches the functions, e.g. --url http://functions:8000/statefun");
  const urlFault = httpUrlFault(values.url);
  if (urlFault) return refuse(`--url ${JSON.stringify(values.url)} ${urlFault}`);
  const transport = values.transport;
  if (transport !== "async" && transport !== "okhttp") return refuse(`--transport must be async or okhttp, not ${JSON.stringify(transport)}`);
  let maxBatch: number | undefined;
  if (values["max-batch"] !== undefined) {
    maxBatch = /^[0-9]+$/.test(values["max-batch"]) ? Number(values["max-batch"]) : NaN;
    if (!(maxBatch >= 1 && maxBatch <= INT32_MAX)) return refuse(`--max-batch must be a whole number from 1 to ${INT32_MAX}, not ${JSON.stringify(values["max-batch"])}`);
  }

  const options: EndpointOptions = { url: values.url, exact: values.exact, transport, ...(maxBatch !== undefined ? { maxBatch } : {}) };
  // The cluster's URL rules are stricter than WHATWG's (no spaces, no unknown placeholders): what
  // the module validator refuses in an endpoint made with these options is the --url's fault.
  const { problems } = validateModuleText(endpointsYaml(["probe/probe"], options), "--url");
  if (problems.length > 0) {
    return refuse(`--url ${JSON.stringify(values.url)} would make an invalid module: ${problems.map((p) => p.message + (p.hint ? ` (${p.hint})` : "")).join("; ")}`);
  }

  const functionTypes = entryFunctionTypes(entry, out, "module");
  if (!functionTypes) return 1;
  if (functionTypes.length === 0) {
    out.err(`statefun module: ${entry} binds no function; bind one with sf.bind({ typename, fn }) first`);
    return 1;
  }
  const text = endpointsYaml(functionTypes, options);
  out.out(`# module.yaml endpoints for the functions of ${entry} (${functionTypes.join(", ")})`);
  out.out(text.trimEnd());
  return 0;
}
