/**
 * A module's ingresses and egresses as HTTP servers in front of a LocalRuntime.
 *
 * Playground ingress and egress behave as the official playground image's do, byte for byte:
 * - ingress, any method on `/<namespace>/<type>/<id>`: the body's raw bytes become the value,
 *   typed by `Content-Type: application/vnd.<typename>` (otherwise `io.statefun.types/string`);
 *   200 when accepted, 500 for a path of another shape;
 * - egress, `GET /<topic>`: the oldest unread payload of the topic (200), 404 when there is
 *   none, 405 for a topic the egress does not declare.
 * Kafka and Kinesis ingresses have no broker here; one HTTP endpoint stands in for the
 * brokers: `POST /kafka/<topic>` (header `X-Kafka-Key` = the record key, which becomes the
 * target id) and `POST /kinesis/<stream>` (header `X-Kinesis-Partition-Key`), each routed to
 * the ingress's `targets` with its `valueType`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KAFKA_INGRESS, KINESIS_INGRESS, PLAYGROUND_EGRESS, PLAYGROUND_INGRESS, type KafkaIngressComponent, type KinesisIngressComponent, type StateFunModule } from "../module";
import { quote } from "../base/text";
import { pathOf } from "../base/url";
import type { WireTypedValue } from "../wire/codec";
import type { LocalRuntime } from "./runtime";

const VND_PREFIX = "application/vnd.";
const DEFAULT_INGRESS_TYPENAME = "io.statefun.types/string";

/** Where the servers listen. */
export interface ModuleIoOptions {
  /** Interface to bind; default all, as the playground does. */
  host?: string;
  /** Port of the playground ingress, instead of the module's (0: a free one). */
  ingressPort?: number;
  /** Port of the playground egress, instead of the module's (0: a free one). */
  egressPort?: number;
  /** Port of the Kafka/Kinesis stand-in; default 8092 (0: a free one). Only started when the module has such ingresses. */
  brokerPort?: number;
}

/** The running servers. */
export interface ModuleIo {
  /** Bound ports by role: `ingress`, `egress`, `broker`. */
  readonly ports: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function answer(res: http.ServerResponse, status: number, body: Buffer | string = ""): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { "Content-Length": bytes.length, ...(bytes.length > 0 && typeof body === "string" ? { "Content-Type": "text/plain; charset=utf-8" } : {}) });
  res.end(bytes);
}

/** Hands a value to the runtime; a type nobody serves is answered 404 rather than failing the run. */
function deliver(rt: LocalRuntime, typename: string, id: string, value: WireTypedValue, res: http.ServerResponse): void {
  if (!rt.serves(typename)) {
    answer(res, 404, `no function type ${typename} is served by this application`);
    return;
  }
  rt.sendTypedValue({ typename, id }, value);
  answer(res, 200);
}

function playgroundIngress(rt: LocalRuntime): http.RequestListener {
  return (req, res) => {
    readBody(req).then(
      (body) => {
        const parts = pathOf(req.url).slice(1).split("/").map(decodeURIComponent);
        if (parts.length !== 3) {
          answer(res, 500, "Invalid URL. Please specify '/namespace/function_type/function_id'");
          return;
        }
        const [namespace, type, id] = parts;
        const contentType = req.headers["content-type"] ?? "";
        const typename = contentType.startsWith(VND_PREFIX) ? contentType.slice(VND_PREFIX.length) : DEFAULT_INGRESS_TYPENAME;
        deliver(rt, `${namespace}/${type}`, id, { typename, hasValue: true, value: body }, res);
      },
      () => answer(res, 500),
    );
  };
}

function playgroundEgress(rt: LocalRuntime): http.RequestListener {
  return (req, res) => {
    const topic = decodeURIComponent(pathOf(req.url).slice(1));
    if (!rt.hasTopic(topic)) {
      answer(res, 405);
      return;
    }
    const payload = rt.takeFromTopic(topic);
    if (payload === undefined) answer(res, 404);
    else answer(res, 200, Buffer.from(payload, "utf8"));
  };
}

function broker(rt: LocalRuntime, kafka: KafkaIngressComponent[], kinesis: KinesisIngressComponent[]): http.RequestListener {
  return (req, res) => {
    readBody(req).then(
      (body) => {
        const [kind, name, ...rest] = pathOf(req.url).slice(1).split("/").map(decodeURIComponent);
        const isKafka = kind === "kafka";
        if ((!isKafka && kind !== "kinesis") || name === undefined || rest.length > 0 || req.method !== "POST") {
          answer(res, 404, "POST /kafka/<topic> (X-Kafka-Key: <target id>) or /kinesis/<stream> (X-Kinesis-Partition-Key: <target id>)");
          return;
        }
        const keyHeader = isKafka ? "x-kafka-key" : "x-kinesis-partition-key";
        const key = req.headers[keyHeader];
        if (typeof key !== "string" || key === "") {
          answer(res, 400, `a ${kind} record needs a key: it becomes the target id (header ${keyHeader})`);
          return;
        }
        const sources = (isKafka ? kafka.flatMap((i) => i.topics) : kinesis.flatMap((i) => i.streams)).filter((s) => s.name === name);
        if (sources.length === 0) {
          answer(res, 404, `no ${kind} ingress reads ${quote(name)}`);
          return;
        }
        for (const source of sources) {
          for (const target of source.targets) {
            if (!rt.serves(target)) {
              answer(res, 404, `no function type ${target} is served by this application`);
              return;
            }
          }
        }
        for (const source of sources) {
          for (const target of source.targets) rt.sendTypedValue({ typename: target, id: key }, { typename: source.valueType, hasValue: true, value: body });
        }
        answer(res, 200);
      },
      () => answer(res, 500),
    );
  };
}

function listen(listener: http.RequestListener, port: number, host: string | undefined): Promise<http.Server> {
  const server = http.createServer(listener);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.removeListener("error", reject);
      resolve(server);
    });
  });
}

/** Starts the servers the module's ingresses and egresses call for. */
export async function startModuleIo(rt: LocalRuntime, module: StateFunModule, options: ModuleIoOptions = {}): Promise<ModuleIo> {
  const servers: http.Server[] = [];
  const ports: Record<string, number> = {};
  const close = (): Promise<void> =>
    Promise.all(servers.map((s) => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    }))).then(() => undefined);
  try {
    for (const ingress of module.ingresses) {
      if (ingress.kind === PLAYGROUND_INGRESS) {
        servers.push(await listen(playgroundIngress(rt), options.ingressPort ?? ingress.port, options.host));
        ports.ingress = (servers.at(-1)?.address() as AddressInfo).port;
      }
    }
    for (const egress of module.egresses) {
      if (egress.kind === PLAYGROUND_EGRESS) {
        servers.push(await listen(playgroundEgress(rt), options.egressPort ?? egress.port, options.host));
        ports.egress = (servers.at(-1)?.address() as AddressInfo).port;
      }
    }
    const kafka = module.ingresses.filter((i): i is KafkaIngressComponent => i.kind === KAFKA_INGRESS);
    const kinesis = module.ingresses.filter((i): i is KinesisIngressComponent => i.kind === KINESIS_INGRESS);
    if (kafka.length + kinesis.length > 0) {
      servers.push(await listen(broker(rt, kafka, kinesis), options.brokerPort ?? 8092, options.host));
      ports.broker = (servers.at(-1)?.address() as AddressInfo).port;
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { ports, close };
}
