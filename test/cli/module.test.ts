/**
 * `statefun module`: the endpoint components it prints validate as a module and route every
 * function the entry binds; bad options are refused with exit code 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { endpointFor, validateModuleText, type StateFunModule } from "../../src/module";
import type { CommandOutput } from "../../src/cli/common";
import { moduleCommand } from "../../src/cli/module-command";
import { validateCommand } from "../../src/cli/validate";

const FIXTURES = path.relative(process.cwd(), path.join(__dirname, "fixtures"));
const SHOP_ENTRY = path.join(FIXTURES, "shop-entry.ts");
const SHOP_TYPES = ["shop/cart", "shop/stock", "audit/log"];
const URL = "http://functions:8000/statefun";

function run(command: (args: string[], out: CommandOutput) => number, ...args: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = command(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Runs `statefun module` and parses what it printed as a module; fails the test if it is not one. */
function generate(...args: string[]): { text: string; module: StateFunModule } {
  const result = run(moduleCommand, ...args);
  expect(result).toMatchObject({ code: 0, err: "" });
  const { module, problems } = validateModuleText(result.out, "generated.yaml");
  expect(problems).toEqual([]);
  return { text: result.out, module: module! };
}

describe("statefun module", () => {
  it("prints one async endpoint per namespace by default, which validates and routes every bound type", () => {
    const { text, module } = generate(SHOP_ENTRY, "--url", URL);
    expect(module.endpoints.map((e) => [e.kind, e.functions, e.urlPathTemplate, e.transport])).toEqual([
      ["io.statefun.endpoints.v2/http", "shop/*", URL, "io.statefun.transports.v1/async"],
      ["io.statefun.endpoints.v2/http", "audit/*", URL, "io.statefun.transports.v1/async"],
    ]);
    for (const type of SHOP_TYPES) expect(endpointFor(module, type)).toBeDefined();
    // Multi-document YAML: components separated by ---, nothing else in the documents.
    expect(text.split("\n").filter((line) => line === "---")).toHaveLength(1);
    expect(parseAllDocuments(text).map((doc) => Object.keys(doc.toJS() as object))).toEqual([["kind", "spec"], ["kind", "spec"]]);
    expect(text).toMatch(/^# module\.yaml endpoints for the functions of .*shop-entry\.ts \(shop\/cart, shop\/stock, audit\/log\)\n/);
  });

  it("with --exact prints one endpoint per function type", () => {
    const { module } = generate(SHOP_ENTRY, "--url", "https://functions.example.com/{function.name}", "--exact");
    expect(module.endpoints.map((e) => e.functions)).toEqual(SHOP_TYPES);
    expect(module.endpoints.every((e) => e.urlPathTemplate === "https://functions.example.com/{function.name}")).toBe(true);
  });

  it("takes --max-batch and --transport okhttp", () => {
    const { text, module } = generate(SHOP_ENTRY, "--url", URL, "--max-batch", "250", "--transport", "okhttp");
    expect(module.endpoints.map((e) => [e.maxNumBatchRequests, e.transport, e.callTimeoutMs])).toEqual([
      [250, "io.statefun.transports.v1/okhttp", 60_000],
      [250, "io.statefun.transports.v1/okhttp", 60_000],
    ]);
    expect(text).toContain("maxNumBatchRequests: 250");
  });

  it("prints endpoints that statefun validate --functions accepts with the same entry", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statefun-module-"));
    try {
      const file = path.join(dir, "module.yaml");
      writeFileSync(file, `${generate(SHOP_ENTRY, "--url", URL).text}\n`);
      const result = run(validateCommand, file, "--functions", SHOP_ENTRY);
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
      expect(result.out).toContain(": valid — 2 endpoints (shop/*, audit/*), 0 ingresses, 0 egresses; serves the 3 functions");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [["--url", "ftp://functions/statefun"], /--url "ftp:\/\/functions\/statefun" must start with http:\/\/ or https:\/\/, not ftp:/],
    [["--url", "functions:8000/statefun"], /must start with http:\/\/ or https:\/\//],
    [["--url", "not a url"], /--url "not a url" is not a URL/],
    [["--url", "http://functions:8000/a b"], /would make an invalid module: spec\.urlPathTemplate .* contains " "/],
    [["--url", "http://functions:8000/{name}"], /unknown placeholder \{name\}/],
    [[], /--url is required/],
    [["--url", URL, "--transport", "grpc"], /--transport must be async or okhttp, not "grpc"/],
    [["--url", URL, "--max-batch", "0"], /--max-batch must be a whole number from 1 to 2147483647, not "0"/],
    [["--url", URL, "--max-batch", "1.5"], /--max-batch must be a whole number/],
    [["--url", URL, "--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j with a reason, the usage and exit code 2", (args, reason) => {
    const result = run(moduleCommand, SHOP_ENTRY, ...args);
    expect(result.code).toBe(2);
    expect(result.out).toBe("");
    expect(result.err).toMatch(/^statefun module: /);
    expect(result.err).toMatch(reason);
    expect(result.err).toContain("statefun module <entry.js> --url <urlPathTemplate>");
  });

  it("refuses a missing entry with exit code 2 and an unloadable one with exit code 1", () => {
    expect(run(moduleCommand, "--url", URL)).toMatchObject({ code: 2, err: expect.stringMatching(/give the entry/) });
    expect(run(moduleCommand, path.join(FIXTURES, "nowhere.js"), "--url", URL)).toMatchObject({ code: 1, err: expect.stringMatching(/cannot load/) });
    expect(run(moduleCommand, path.join(FIXTURES, "no-statefun-entry.ts"), "--url", URL)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/exports no StateFun instance/),
    });
  });
});
