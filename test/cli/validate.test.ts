/**
 * `statefun validate`: in-process through validateCommand, plus the built CLI once, as CI and a
 * user run it, on the module the deploy/ cluster reads.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { validateCommand } from "../../src/cli/validate";
import type { CommandOutput } from "../../src/cli/common";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.relative(process.cwd(), path.join(__dirname, "fixtures"));
const fixture = (name: string): string => path.join(FIXTURES, name);
const SHOP_ENTRY = fixture("shop-entry.ts");

function run(...args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const output: CommandOutput = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = validateCommand(args, output);
  return { code, out, err };
}

describe("statefun validate", () => {
  it("prints one summary line for a valid module and exits 0", () => {
    const result = run(fixture("shop.module.yaml"));
    expect(result).toEqual({
      code: 0,
      out: [`${fixture("shop.module.yaml")}: valid — 2 endpoints (shop/*, audit/log), 1 ingress, 0 egresses`],
      err: [],
    });
  });

  it("prints every problem as file:line:col  message  (hint) and exits 1", () => {
    const file = fixture("invalid.module.yaml");
    const result = run(file);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([]);
    expect(result.out).toHaveLength(2);
    expect(result.out[0]).toMatch(new RegExp(`^${escape(file)}:6:11  spec\\.transport\\.call "2 minutes and a bit" is not a duration: .+  \\(.+\\)$`));
    expect(result.out[1]).toMatch(new RegExp(`^${escape(file)}:10:7  spec\\.id "shop-receipts" is not a typename: .+  \\(.+\\)$`));
  });

  it("reports a missing module file as a problem of that file", () => {
    const result = run(fixture("nowhere.yaml"));
    expect(result.code).toBe(1);
    expect(result.out).toEqual([expect.stringMatching(/nowhere\.yaml:1:1 {2}the module file does not exist {2}\(looked for .+\)$/)]);
  });

  it("with --functions, adds the bound types to the summary when every one is served and every endpoint serves one", () => {
    const result = run(fixture("shop.module.yaml"), "--functions", SHOP_ENTRY);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([
      `${fixture("shop.module.yaml")}: valid — 2 endpoints (shop/*, audit/log), 1 ingress, 0 egresses; ` +
        `serves the 3 functions of ${SHOP_ENTRY} (shop/cart, shop/stock, audit/log)`,
    ]);
  });

  it("with --functions, reports bound types no endpoint serves and endpoints that serve no bound type", () => {
    const file = fixture("mismatched.module.yaml");
    const result = run(file, "--functions", SHOP_ENTRY);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([
      `${file}:1:1  function type audit/log, bound in ${SHOP_ENTRY}, is not served by any endpoint  ` +
        "(the cluster cannot call it: add an endpoint with functions: audit/log (or audit/*), or widen an existing pattern; " +
        "the endpoints here serve shop/*, shop/cart, shop/stock, legacy/*)",
      // Positioned at the endpoint's functions: value.
      `${file}:5:14  endpoint for shop/* serves no function bound in ${SHOP_ENTRY}: shop/cart, shop/stock go to endpoints that name them exactly  ` +
        "(a dead pattern: the cluster would send these types to http://shop:8000/statefun; keep it only if another service serves them there, " +
        "otherwise remove the endpoint or bind the functions)",
      `${file}:20:16  endpoint for legacy/* matches no function bound in ${SHOP_ENTRY}  ` +
        "(a dead pattern: the cluster would send these types to http://legacy:8000/statefun; keep it only if another service serves them there, " +
        "otherwise remove the endpoint or bind the functions)",
    ]);
  });

  it("with --functions, reports an entry that cannot be used on stderr and exits 1", () => {
    const missing = run(fixture("shop.module.yaml"), "--functions", fixture("nowhere.js"));
    expect(missing.code).toBe(1);
    expect(missing.err).toEqual([expect.stringMatching(/^statefun validate: cannot load .*nowhere\.js: /)]);
    const empty = run(fixture("shop.module.yaml"), "--functions", fixture("no-statefun-entry.ts"));
    expect(empty.code).toBe(1);
    expect(empty.err).toEqual([expect.stringMatching(/exports no StateFun instance/)]);
  });

  it("does not load the entry when the module itself has problems", () => {
    const result = run(fixture("invalid.module.yaml"), "--functions", fixture("nowhere.js"));
    expect(result.code).toBe(1);
    expect(result.err).toEqual([]);
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["a.yaml", "b.yaml"], /expected one module file, got a\.yaml b\.yaml/],
    [["--functions"], /--functions/],
  ])("refuses %j with the usage and exit code 2", (args, reason) => {
    const result = run(...args);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err.join("\n")).toMatch(reason);
    expect(result.err.join("\n")).toContain("statefun validate [module.yaml] [--functions <entry.js>]");
  });

  it("prints the usage for --help and exits 0", () => {
    const result = run("--help");
    expect(result.code).toBe(0);
    expect(result.out.join("\n")).toMatch(/^statefun validate \[module\.yaml\] \[--functions <entry\.js>\]\n/);
  });

  it("the built CLI validates deploy/module.yaml against the example functions (as CI runs it)", () => {
    const cli = spawnSync(
      process.execPath,
      [path.join("dist", "src", "cli", "statefun.js"), "validate", "deploy/module.yaml", "--functions", "dist/examples/cluster.js"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/^deploy\/module\.yaml: valid — 1 endpoint \(example\/\*\), 3 ingresses, 2 egresses; serves the \d+ functions of dist\/examples\/cluster\.js \(.*example\/person.*\)\n$/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
