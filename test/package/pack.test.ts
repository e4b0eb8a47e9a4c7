/**
 * The package as users get it: what `prepare` builds (installs from git or a folder run it),
 * what `npm pack` puts in the tarball, and the tarball installed into a new project (from the
 * local npm cache, falling back to the registry mirror) running a function, its `statefun`
 * command, the UI with its browser code, and its types for a TypeScript consumer. The tarball is packed from the build the
 * test run made (`npm test` builds first), without running `prepare` again.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, "..", "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

interface PackageJson {
  scripts: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as PackageJson;

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), "statefun-pack-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npm(args: readonly string[], cwd: string): string {
  return execFileSync(NPM, [...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

test("prepare builds the package's own code afresh, every entry point and the UI's browser code included, with nothing but Node's types", () => {
  expect(manifest.scripts.prepare).toBe(
    `node -e "require('node:fs').rmSync('dist/src', { recursive: true, force: true })" && tsc -p tsconfig.build.json && tsc -p src/local/ui/web`,
  );
  const out = path.join(dir, "prepared");
  execFileSync(process.execPath, [TSC, "-p", "tsconfig.build.json", "--outDir", out], { cwd: ROOT });
  execFileSync(process.execPath, [TSC, "-p", "src/local/ui/web", "--outDir", path.join(out, "src", "local", "ui", "static")], { cwd: ROOT });
  const files = ["src/index.js", "src/index.d.ts", "src/local/index.js", "src/local/index.d.ts", "src/cli/statefun.js", "src/wire/descriptor.json", "src/local/ui/static/main.js"];
  for (const file of files) {
    expect(existsSync(path.join(out, file))).toBe(true);
  }
  expect(existsSync(path.join(out, "test"))).toBe(false);
  expect(existsSync(path.join(out, "examples"))).toBe(false);
});

test("every npm ci that runs before the sources are there, or without dev dependencies, skips prepare; no dependency needs its install scripts", () => {
  for (const file of [".ci/run", "deploy/Dockerfile"]) {
    const installs = readFileSync(path.join(ROOT, file), "utf8").split("\n").filter((l) => /\bnpm ci\b/.test(l) && !l.trimStart().startsWith("#"));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) expect(line).toContain("--ignore-scripts");
  }
  expect(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")).not.toContain('"hasInstallScript"');
});

test("google-protobuf is an optional peer dependency", () => {
  expect(manifest.peerDependencies).toEqual({ "google-protobuf": "^3.0.0" });
  expect(manifest.peerDependenciesMeta).toEqual({ "google-protobuf": { optional: true } });
});

test("npm pack: the tarball installs into a new project, runs a function, its statefun command and its types", () => {
  const [packed] = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT)) as { filename: string; files: { path: string }[] }[];
  const files = packed.files.map((f) => f.path);
  expect(files).toEqual(
    expect.arrayContaining(["package.json", "README.md", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/local/index.js", "dist/src/cli/statefun.js", "dist/src/local/ui/static/main.js"]),
  );
  expect(files.filter((f) => !f.startsWith("dist/src/") && !f.startsWith("protos/") && !["package.json", "README.md", "LICENSE"].includes(f))).toEqual([]);

  const project = path.join(dir, "project");
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, packed.filename)], project);
  expect(existsSync(path.join(project, "node_modules", "google-protobuf"))).toBe(false);

  writeFileSync(
    path.join(project, "run.js"),
    `const { StateFun } = require("statefun-ts");
const { LocalRuntime } = require("statefun-ts/testing");
const sf = new StateFun().bind({
  typename: "example/counter",
  state: { n: StateFun.intType() },
  handlers: [{ type: StateFun.intType(), fn: (ctx, by) => { ctx.storage.n = (ctx.storage.n ?? 0) + by; } }],
});
const rt = new LocalRuntime({ functions: sf });
rt.send("example/counter", "a", 2);
rt.send("example/counter", "a", 3);
rt.runUntilIdle().then(() => process.stdout.write(String(rt.state("example/counter", "a", "n"))));
`,
  );
  expect(execFileSync(process.execPath, ["run.js"], { cwd: project, encoding: "utf8" })).toBe("5");
  writeFileSync(
    path.join(project, "inspect.js"),
    `const { LocalRuntime } = require("statefun-ts/testing");
const rt = new LocalRuntime();
rt.inspect().then(async (url) => {
  const page = await fetch(url);
  const code = await fetch(url + "static/main.js");
  process.stdout.write([page.status, code.status, (await page.text()).includes("/static/main.js")].join(" "));
  rt.close();
});
`,
  );
  expect(execFileSync(process.execPath, ["inspect.js"], { cwd: project, encoding: "utf8" })).toBe("200 200 true");
  expect(execFileSync(process.execPath, [path.join(project, "node_modules", ".bin", "statefun"), "dev", "--help"], { cwd: project, encoding: "utf8" })).toMatch(/^statefun dev \[<entry>\]/);

  writeFileSync(
    path.join(project, "consumer.ts"),
    `import { StateFun, type Context } from "statefun-ts";
import { LocalRuntime, type DeadLetter } from "statefun-ts/testing";
export const sf = new StateFun().bind({ typename: "example/typed", state: { n: StateFun.intType() }, fn: (ctx: Context<{ n: number | null }>) => void (ctx.storage.n = 1) });
export const letters: readonly DeadLetter[] = new LocalRuntime({ functions: sf, deadLetters: {} }).deadLetters;
`,
  );
  // The package's declarations checked too (no skipLibCheck), with both resolutions of "statefun-ts/testing":
  // typesVersions for "node", the exports map for "node16".
  const options = ["--noEmit", "--strict", "--target", "es2022", "--esModuleInterop", "--typeRoots", path.join(ROOT, "node_modules", "@types"), "--types", "node"];
  for (const resolution of [["--module", "commonjs", "--moduleResolution", "node"], ["--module", "node16", "--moduleResolution", "node16"]]) {
    execFileSync(process.execPath, [TSC, ...options, ...resolution, "consumer.ts"], { cwd: project, encoding: "utf8" });
  }
});
