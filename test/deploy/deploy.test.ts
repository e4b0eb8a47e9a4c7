/**
 * deploy/: no Docker engine or Kubernetes here, so these tests check what can be checked without
 * one: the module validates, every YAML parses, and the files agree with each other (mount path,
 * image, service names, ports, probes, labels, the Dockerfile's CMD and the source it builds).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { validateModuleText, type KafkaEgressComponent, type KafkaIngressComponent } from "../../src/module";

const ROOT = path.join(__dirname, "..", "..");
const DEPLOY = path.join(ROOT, "deploy");
const read = (file: string): string => readFileSync(path.join(DEPLOY, file), "utf8");

/** Where the apache/flink-statefun image looks for modules: every sub-directory's module.yaml. */
const MODULE_MOUNT = /^\/opt\/statefun\/modules\/[^/]+\/module\.yaml$/;

type Yaml = Record<string, unknown>;

/** The documents of a YAML file as plain data; fails the test on any syntax error or warning. */
function documents(file: string): Yaml[] {
  const docs = parseAllDocuments(read(file));
  for (const doc of docs) expect([file, [...doc.errors, ...doc.warnings].map((e) => e.message)]).toEqual([file, []]);
  return docs.map((doc) => doc.toJS() as Yaml);
}

/** The value at a dotted path (`spec.template.spec`), list indexes as numbers. */
function at(value: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Yaml)[key] : undefined), value);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [path.relative(DEPLOY, full)] : [];
  });
}

describe("deploy/module.yaml", () => {
  const { module, problems } = validateModuleText(read("module.yaml"), "deploy/module.yaml");

  it("validates with no problem", () => {
    expect(problems).toEqual([]);
  });

  it("routes example/* to the functions service over the async transport with explicit timeouts", () => {
    expect(module!.endpoints.map((e) => [e.kind, e.functions, e.urlPathTemplate, e.transport, e.callTimeoutMs])).toEqual([
      ["io.statefun.endpoints.v2/http", "example/*", "http://functions:8000/statefun", "io.statefun.transports.v1/async", 120_000],
    ]);
    expect(read("module.yaml")).toMatch(/^ {4}call: .+\n {4}connect: .+$/m);
  });

  it("reads names, cart-commands and restocks from kafka:9092 into the example functions", () => {
    const ingresses = module!.ingresses as KafkaIngressComponent[];
    expect(ingresses.map((i) => [i.kind, i.id, i.address, i.consumerGroupId, i.topics])).toEqual([
      ["io.statefun.kafka.v1/ingress", "example/names", "kafka:9092", "statefun-example", [{ name: "names", valueType: "example/GreetRequest", targets: ["example/person"] }]],
      ["io.statefun.kafka.v1/ingress", "example/cart-commands", "kafka:9092", "statefun-example", [{ name: "cart-commands", valueType: "example/CartCommand", targets: ["example/cart"] }]],
      ["io.statefun.kafka.v1/ingress", "example/restocks", "kafka:9092", "statefun-example", [{ name: "restocks", valueType: "example/Restock", targets: ["example/inventory"] }]],
    ]);
    const startups = documents("module.yaml").flatMap((doc) => (doc["kind"] === "io.statefun.kafka.v1/ingress" ? [at(doc, "spec.startupPosition.type")] : []));
    expect(startups).toEqual(["earliest", "earliest", "earliest"]);
  });

  it("writes greetings and receipts to kafka:9092 exactly once, with a transaction timeout", () => {
    const egresses = module!.egresses as KafkaEgressComponent[];
    expect(egresses.map((e) => [e.kind, e.id, e.address, e.deliverySemantic])).toEqual([
      ["io.statefun.kafka.v1/egress", "example/greets", "kafka:9092", "exactly-once"],
      ["io.statefun.kafka.v1/egress", "example/receipts", "kafka:9092", "exactly-once"],
    ]);
    const timeouts = documents("module.yaml").flatMap((doc) => (doc["kind"] === "io.statefun.kafka.v1/egress" ? [at(doc, "spec.deliverySemantic.transactionTimeout")] : []));
    expect(timeouts).toEqual(["15 min", "15 min"]);
  });
});

describe("deploy/ YAML files", () => {
  it.each(yamlFiles(DEPLOY))("%s parses", (file) => {
    expect(documents(file).length).toBeGreaterThan(0);
  });

  it("include the compose file, the module, the Flink configuration and the Kubernetes manifests", () => {
    expect(yamlFiles(DEPLOY).sort()).toEqual(
      expect.arrayContaining(["docker-compose.yml", "flink-conf.yaml", "module.yaml", "k8s/functions-deployment.yaml", "k8s/functions-service.yaml", "k8s/module-configmap.yaml"]),
    );
  });
});

describe("deploy/docker-compose.yml", () => {
  const compose = documents("docker-compose.yml")[0]!;
  const services = compose["services"] as Record<string, Yaml>;
  const statefun = Object.entries(services).filter(([, service]) => String(service["image"]).startsWith("apache/flink-statefun"));

  it("runs a StateFun 3.3.0 master and worker, the worker pointed at the master", () => {
    expect(statefun.map(([, service]) => [service["image"], at(service, "environment.ROLE")])).toEqual([
      ["apache/flink-statefun:3.3.0", "master"],
      ["apache/flink-statefun:3.3.0", "worker"],
    ]);
    const [masterName] = statefun.find(([, service]) => at(service, "environment.ROLE") === "master")!;
    for (const [, service] of statefun) expect(at(service, "environment.MASTER_HOST")).toBe(masterName);
  });

  it("mounts deploy/module.yaml where the image looks for modules, and deploy/flink-conf.yaml, in the master and the worker", () => {
    for (const [, service] of statefun) {
      const mounts = (service["volumes"] as string[]).map((volume) => volume.split(":"));
      const module = mounts.find(([source]) => source === "./module.yaml");
      expect(module?.[1]).toMatch(MODULE_MOUNT);
      expect(path.resolve(DEPLOY, module![0]!)).toBe(path.join(DEPLOY, "module.yaml"));
      expect(mounts).toContainEqual(["./flink-conf.yaml", "/opt/flink/conf/flink-conf.yaml", "ro"]);
    }
  });

  it("builds the functions from deploy/Dockerfile with the repository as context, as the module's URL names them", () => {
    const functions = services["functions"]!;
    const build = functions["build"] as Yaml;
    const context = path.resolve(DEPLOY, String(build["context"]));
    expect(context).toBe(ROOT);
    expect(path.join(context, String(build["dockerfile"]))).toBe(path.join(DEPLOY, "Dockerfile"));
    expect(functions["expose"]).toEqual(["8000"]);
    expect(at(functions, "environment.PORT")).toBe("8000");
    expect(JSON.stringify(at(functions, "healthcheck.test"))).toContain("/health");
  });

  it("starts StateFun once the functions are healthy and the topics exist", () => {
    for (const [, service] of statefun) {
      expect(at(service, "depends_on.functions.condition")).toBe("service_healthy");
      expect(at(service, "depends_on.kafka-topics.condition")).toBe("service_completed_successfully");
    }
  });

  it("runs Kafka in KRaft mode at kafka:9092 and creates every topic the module and the functions use", () => {
    const kafka = services["kafka"]!;
    expect(at(kafka, "environment.KAFKA_PROCESS_ROLES")).toBe("broker,controller");
    expect(String(at(kafka, "environment.KAFKA_ADVERTISED_LISTENERS"))).toContain("PLAINTEXT://kafka:9092");
    const create = JSON.stringify(at(services, "kafka-topics.command"));
    for (const topic of ["names", "cart-commands", "restocks", "greetings", "receipts"]) expect(create).toMatch(new RegExp(`\\b${topic}\\b`));
  });
});

describe("deploy/ as a whole", () => {
  it("points the module's endpoint at the functions service and port of the compose file and of Kubernetes", () => {
    const url = new URL(validateModuleText(read("module.yaml"), "module.yaml").module!.endpoints[0]!.urlPathTemplate);
    const services = documents("docker-compose.yml")[0]!["services"] as Record<string, Yaml>;
    expect(services[url.hostname]?.["expose"]).toEqual([url.port]);
    const [service] = documents("k8s/functions-service.yaml");
    expect([at(service, "metadata.name"), String((at(service, "spec.ports") as { port: number }[])[0]?.port)]).toEqual([url.hostname, url.port]);
    expect(url.pathname).toBe("/statefun"); // the path sf.listen() serves by default
  });
});

describe("deploy/k8s", () => {
  const [deployment] = documents("k8s/functions-deployment.yaml");
  const [service] = documents("k8s/functions-service.yaml");
  const podLabels = at(deployment, "spec.template.metadata.labels") as Record<string, string>;
  const containers = at(deployment, "spec.template.spec.containers") as Yaml[];
  const container = containers[0]!;
  const ports = container["ports"] as { name: string; containerPort: number }[];
  const containerPort = (port: unknown): number | undefined => (typeof port === "number" ? port : ports.find((p) => p.name === port)?.containerPort);

  it("runs 2 or more replicas with a rolling update", () => {
    expect(deployment!["kind"]).toBe("Deployment");
    expect(at(deployment, "spec.replicas")).toBeGreaterThanOrEqual(2);
    expect(at(deployment, "spec.strategy.type")).toBe("RollingUpdate");
    for (const [key, value] of Object.entries(at(deployment, "spec.selector.matchLabels") as Record<string, string>)) expect(podLabels[key]).toBe(value);
  });

  it("probes GET /health on the container port 8000 for readiness and liveness", () => {
    expect(ports.map((p) => p.containerPort)).toEqual([8000]);
    for (const probe of ["readinessProbe", "livenessProbe"]) {
      expect(at(container, `${probe}.httpGet.path`)).toBe("/health");
      expect(containerPort(at(container, `${probe}.httpGet.port`))).toBe(8000);
    }
  });

  it("runs as non-root with resource requests and limits", () => {
    expect(at(deployment, "spec.template.spec.securityContext.runAsNonRoot")).toBe(true);
    expect(at(deployment, "spec.template.spec.securityContext.runAsUser")).not.toBe(0);
    for (const kind of ["requests", "limits"]) {
      expect(at(container, `resources.${kind}.cpu`)).toBeDefined();
      expect(at(container, `resources.${kind}.memory`)).toBeDefined();
    }
  });

  it("has a ClusterIP Service named functions on port 8000 that selects the Deployment's pods", () => {
    expect([service!["kind"], at(service, "metadata.name"), at(service, "spec.type")]).toEqual(["Service", "functions", "ClusterIP"]);
    const selector = at(service, "spec.selector") as Record<string, string>;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(selector)) expect(podLabels[key]).toBe(value);
    const servicePorts = at(service, "spec.ports") as { port: number; targetPort: unknown }[];
    expect(servicePorts.map((p) => [p.port, containerPort(p.targetPort)])).toEqual([[8000, 8000]]);
  });

  it("has a ConfigMap holding exactly deploy/module.yaml", () => {
    const [configMap] = documents("k8s/module-configmap.yaml");
    expect(configMap!["kind"]).toBe("ConfigMap");
    expect((at(configMap, "data") as Record<string, string>)["module.yaml"]).toBe(read("module.yaml"));
  });
});

describe("deploy/Dockerfile", () => {
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = read("Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
  const all = (keyword: string): string[] => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
  const last = (keyword: string): string => all(keyword).at(-1) ?? "";

  it("builds in a node:20-slim stage and runs in another", () => {
    expect(all("FROM")).toEqual(["node:20-slim AS build", "node:20-slim"]);
    expect(all("RUN")).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), "npm run build", expect.stringMatching(/^npm ci --omit=dev\b/)]));
  });

  it("copies only paths that exist in the repository (the build context is its root)", () => {
    for (const args of all("COPY").filter((a) => !a.startsWith("--from="))) {
      const sources = args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect([source, existsSync(path.join(ROOT, source))]).toEqual([source, true]);
    }
  });

  it("runs dist/examples/server.js, compiled from examples/server.ts, which the image copies", () => {
    const cmd = JSON.parse(last("CMD")) as string[];
    expect(cmd).toEqual(["node", "dist/examples/server.js"]);
    const source = cmd[1]!.replace(/^dist\//, "").replace(/\.js$/, ".ts");
    expect(existsSync(path.join(ROOT, source))).toBe(true);
    expect(all("COPY")).toContain("--from=build /app/dist/examples/ dist/examples/");
    expect(all("COPY")).toContain("--from=build /app/dist/src/ dist/src/");
  });

  it("runs as the non-root user node on port 8000, with a HEALTHCHECK on /health", () => {
    expect(last("USER")).toBe("node");
    expect(all("EXPOSE")).toEqual(["8000"]);
    expect(all("ENV").join(" ")).toMatch(/\bPORT=8000\b/);
    const healthcheck = last("HEALTHCHECK");
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/health.*"\]$/);
    expect(healthcheck).not.toMatch(/curl|wget/);
  });
});
