import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { StateFunError } from "../../src/base/errors";
import { loadModule, ModuleError, parseModuleText, validateModuleText } from "../../src/module";

const CORPUS = join(__dirname, "corpus");
const corpus = (file: string) => loadModule(join(CORPUS, file));

describe("the typed model", () => {
  test("endpoints, ingresses and egresses of a valid module", () => {
    const file = join(CORPUS, "valid-v2-async.yaml");
    const endpoint = {
      kind: "io.statefun.endpoints.v2/http",
      functions: "example/*",
      urlPathTemplate: "http://functions:8000/statefun",
      maxNumBatchRequests: 1000,
      callTimeoutMs: 120_000,
      transport: "io.statefun.transports.v1/async",
      position: { file, line: 2, column: 1 },
    };
    const ingress = {
      kind: "io.statefun.kafka.v1/ingress",
      id: "example/names",
      address: "kafka:9092",
      consumerGroupId: "my-group",
      topics: [{ name: "names", valueType: "io.statefun.types/string", targets: ["example/greeter"] }],
      position: { file, line: 15, column: 1 },
    };
    const egress = {
      kind: "io.statefun.kafka.v1/egress",
      id: "example/greets",
      address: "kafka:9092",
      deliverySemantic: "exactly-once",
      position: { file, line: 26, column: 1 },
    };
    expect(loadModule(file)).toEqual({ file, components: [endpoint, ingress, egress], endpoints: [endpoint], ingresses: [ingress], egresses: [egress] });
  });

  test("kinesis components", () => {
    const module = corpus("valid-kinesis.yaml");
    expect(module.ingresses).toEqual([
      {
        kind: "io.statefun.kinesis.v1/ingress",
        id: "com.example/users",
        streams: [{ name: "user-stream", valueType: "com.example/User", targets: ["com.example.fn/greeter", "com.example.fn/audit"] }],
        position: expect.objectContaining({ line: 6, column: 1 }),
      },
    ]);
    expect(module.egresses.map((e) => [e.kind, "id" in e ? e.id : undefined])).toEqual([
      ["io.statefun.kinesis.v1/egress", "com.example/out"],
      ["io.statefun.kinesis.v1/egress", "com.example/minimal"],
    ]);
  });

  test("playground components; the egress id is fixed", () => {
    const module = corpus("valid-playground.yaml");
    expect(module.ingresses).toEqual([{ kind: "io.statefun.playground.v1/ingress", port: 8090, position: expect.anything() }]);
    expect(module.egresses).toEqual([
      { kind: "io.statefun.playground.v1/egress", id: "io.statefun.playground/egress", port: 8091, topics: ["greetings", "audit"], position: expect.anything() },
    ]);
  });

  test("the call timeout that applies, per transport", () => {
    expect(corpus("valid-transports.yaml").endpoints.map((e) => [e.functions, e.transport, e.callTimeoutMs])).toEqual([
      ["a/*", "io.statefun.transports.v1/async", 120_000],
      ["b/*", "io.statefun.transports.v1/async", 30_000],
      ["c/*", "io.statefun.transports.v1/async", 180_000],
      ["d/*", "io.statefun.transports.v1/okhttp", 60_000],
      ["e/*", "io.statefun.transports.v1/okhttp", 60_000],
      ["f/*", "io.statefun.transports.v1/async", 60_000],
    ]);
    expect(corpus("valid-v1.yaml").endpoints[0]?.callTimeoutMs).toBe(120_000);
    expect(corpus("valid-v2-okhttp.yaml").endpoints[0]?.callTimeoutMs).toBe(60_000);
  });

  test("the Kafka egress's delivery semantic defaults to at-least-once", () => {
    expect(corpus("valid-kafka-options.yaml").egresses.map((e) => (e.kind === "io.statefun.kafka.v1/egress" ? e.deliverySemantic : e.kind))).toEqual([
      "exactly-once",
      "none",
      "at-least-once",
    ]);
  });
});

describe("errors", () => {
  const text = "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/greet*\n";

  test("parseModuleText throws a ModuleError with every problem, one line each", () => {
    let error: unknown;
    try {
      parseModuleText(text, "app/module.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModuleError);
    expect(error).toBeInstanceOf(StateFunError);
    const moduleError = error as ModuleError;
    expect(moduleError.problems.map((p) => `${p.position.line}:${p.position.column}`)).toEqual(["2:1", "3:14"]);
    expect(moduleError.message).toBe(
      "app/module.yaml:2:1  spec is missing urlPathTemplate  (add urlPathTemplate, the URL the cluster posts batches to, " +
        "e.g. http://functions:8000/statefun; {function.name} in it is replaced by the function's name)\n" +
        'app/module.yaml:3:14  spec.functions "example/greet*" is not a function pattern: * must be the whole name  ' +
        "(write <namespace>/<name> for one function type or <namespace>/* for a whole namespace, e.g. example/*; names cannot be matched by prefix)",
    );
  });

  test("validateModuleText returns the same problems and no module", () => {
    const { module, problems } = validateModuleText(text, "app/module.yaml");
    expect(module).toBeNull();
    expect(problems).toHaveLength(2);
  });

  test("a missing file is a problem", () => {
    const file = join(tmpdir(), "no-such-dir", "module.yaml");
    expect(() => loadModule(file)).toThrow(new ModuleError([{ position: { file, line: 1, column: 1 }, message: "the module file does not exist", hint: `looked for ${file}; pass the path of your module.yaml` }]));
  });

  test("a directory is a problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-module-"));
    try {
      expect(() => loadModule(dir)).toThrow(`${dir}:1:1  the module file cannot be read (EISDIR)`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("loadModule reports positions under the path it was given", () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-module-"));
    try {
      const file = join(dir, "module.yaml");
      writeFileSync(file, "kind: io.statefun.playground.v1/ingress\nspec:\n  port: http\n");
      expect(() => loadModule(file)).toThrow(`${file}:3:9  spec.port must be a port number, not "http"  (a TCP port, e.g. 8090)`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("validateModuleText never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), yamlish()), (input) => {
        const { module, problems } = validateModuleText(input, "fuzz.yaml");
        expect(module === null).toBe(problems.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

/** Text assembled from module.yaml fragments, so the checks past the YAML parser are reached. */
function yamlish(): fc.Arbitrary<string> {
  const fragments = [
    "kind: io.statefun.endpoints.v2/http\n", "kind: io.statefun.kafka.v1/ingress\n", "kind: io.statefun.playground.v1/egress\n",
    "spec:\n", "  functions: a/*\n", "  urlPathTemplate: http://a/{function.name}\n", "  transport:\n", "    call: 1m\n",
    "    timeouts: { connect: 3 }\n", "  id: a/b\n", "  topics:\n", "    - topic: t\n", "      targets: [a/x, b]\n", "  port: 8090\n",
    "---\n", "  - x\n", "&a [*a]\n", ": :\n",
  ];
  return fc.array(fc.constantFrom(...fragments), { maxLength: 20 }).map((parts) => parts.join(""));
}

describe("the repository's module.yaml", () => {
  test("validates cleanly", () => {
    const file = join(__dirname, "../../module.yaml");
    expect(validateModuleText(readFileSync(file, "utf8"), "module.yaml").problems).toEqual([]);
  });
});
