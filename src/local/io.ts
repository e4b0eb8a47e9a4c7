/**
 * A module's ingresses and egresses as HTTP servers in front of a LocalRuntime.
 *
 * Playground ingress and egress behave as the official playground image's do, byte for byte:
 * - ingress, any method on `/<namespace>/<type>/<id>`: the body's raw bytes become the value,
 *   typed by `Content-Type: application/vnd.<typename>` (otherwise `io.statefun.types/string`);
 *   200 when accepted, 500 for a path of another shape;
 * - egress, `GET /<topic>`: the oldest unread payload of the topic (200), 404 when there is
 *   none, 405 for a topic the egress does not declare.
 * Kafka and Kinesis have no broker here; one HTTP endpoint stands in for the brokers. Ingress:
 * `POST /kafka/<topic>` (header `X-Kafka-Key` = the record key, which becomes the target id)
 * and `POST /kinesis/<stream>` (header `X-Kinesis-Partition-Key`), each routed to the ingress's
 * `targets` with its `valueType`. Egress: `GET /kafka/<topic>` and `GET /kinesis/<stream>`
 * take the oldest unread record written there (200, the value as the body and the key in the
 * same headers; 404 when there is none), as the playground egress does for its topics.
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { KAFKA_EGRESS, KAFKA_INGRESS, KINESIS_EGRESS, KINESIS_INGRESS, PLAYGROUND_EGRESS, PLAYGROUND_INGRESS, type KafkaIngressComponent, type KinesisIngressComponent, type StateFunModule } from "../module";
import { quote } from "../base/text";
import { pathOf } from "../base/url";
import type { WireTypedValue } from "../wire/codec";
import { answer, listen, readBody, type ModuleIoRole } from "./servers";
import { routingOf, type LocalRuntime } from "./runtime";

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
  /** Port of the Kafka/Kinesis stand-in; default 8092 (0: a free one). Only started when the module has Kafka or Kinesis ingresses or egresses. */
  brokerPort?: number;
}

/** The running servers. */
export interface ModuleIo {
  /** Bound ports by role: `ingress`, `egress`, `broker`. */
  readonly ports: Readonly<Partial<Record<ModuleIoRole, number>>>;
  close(): Promise<void>;
}

/** The 404 for a message to a function type nothing serves. */
function unserved(rt: LocalRuntime, typename: string, res: http.ServerResponse): void {
  answer(res, 404, `no function type ${typename} is served by this application${routingOf(rt).suggestion(typename)}`);
}

/**
 * Reads the body and handles the request; what goes wrong after (the runtime failed, say) is
 * answered 500 with the reason rather than left unhandled.
 */
function withBody(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void): http.RequestListener {
  return (req, res) => {
    readBody(req)
      .then((body) => handle(req, res, body))
      .catch((e: unknown) => {
        if (!res.headersSent) answer(res, 500, e instanceof Error ? e.message : String(e));
      });
  };
}

/** Hands a value to the runtime; a type nobody serves is answered 404 rather than failing the run. */
function deliver(rt: LocalRuntime, typename: string, id: string, value: WireTypedValue, res: http.ServerResponse): void {
  if (!rt.serves(typename)) {
    unserved(rt, typename, res);
    return;
  }
  rt.sendTypedValue({ typename, id }, value);
  answer(res, 200);
}

function playgroundIngress(rt: LocalRuntime): http.RequestListener {
  return withBody((req, res, body) => {
    const parts = pathOf(req.url).slice(1).split("/").map(decodeURIComponent);
    if (parts.length !== 3) {
      answer(res, 500, "Invalid URL. Please specify '/namespace/function_type/function_id'");
      return;
    }
    const [namespace, type, id] = parts;
    const contentType = req.headers["content-type"] ?? "";
    const typename = contentType.startsWith(VND_PREFIX) ? contentType.slice(VND_PREFIX.length) : DEFAULT_INGRESS_TYPENAME;
    deliver(rt, `${namespace}/${type}`, id, { typename, hasValue: true, value: body }, res);
  });
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

const BROKER_USAGE =
  "POST /kafka/<topic> (X-Kafka-Key: <target id>) or /kinesis/<stream> (X-Kinesis-Partition-Key: <target id>) to send a record to an " +
  "ingress; GET /kafka/<topic> or /kinesis/<stream> to take the oldest unread record an egress wrote there";

/** A header value: the text as it is when it is printable ASCII, percent-encoded otherwise (a header carries no more). */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

function broker(rt: LocalRuntime, kafka: KafkaIngressComponent[], kinesis: KinesisIngressComponent[]): http.RequestListener {
  return withBody((req, res, body) => {
    const [kind, name, ...rest] = pathOf(req.url).slice(1).split("/").map(decodeURIComponent);
    const isKafka = kind === "kafka";
    if ((!isKafka && kind !== "kinesis") || name === undefined || name === "" || rest.length > 0) {
      answer(res, 404, BROKER_USAGE);
      return;
    }
    if (req.method === "GET") {
      takeRecord(rt, isKafka, name, res);
      return;
    }
    if (req.method !== "POST") {
      res.setHeader("Allow", "GET, POST");
      answer(res, 405, BROKER_USAGE);
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
    const unservedTarget = sources.flatMap((source) => source.targets).find((target) => !rt.serves(target));
    if (unservedTarget !== undefined) {
      unserved(rt, unservedTarget, res);
      return;
    }
    for (const source of sources) {
      for (const target of source.targets) rt.sendTypedValue({ typename: target, id: key }, { typename: source.valueType, hasValue: true, value: body });
    }
    answer(res, 200);
  });
}

/** `GET /kafka/<topic>`, `GET /kinesis/<stream>`: the oldest unread record, its key in the header the ingress reads it from. */
function takeRecord(rt: LocalRuntime, isKafka: boolean, name: string, res: http.ServerResponse): void {
  const record = isKafka ? rt.takeKafkaRecord(name) : rt.takeKinesisRecord(name);
  if (record === undefined) {
    answer(res, 404, `no unread record on ${isKafka ? "Kafka topic" : "Kinesis stream"} ${quote(name)}`);
    return;
  }
  if (record.kind === "kafka") {
    if (record.key !== "") res.setHeader("X-Kafka-Key", headerText(record.key));
  } else {
    res.setHeader("X-Kinesis-Partition-Key", headerText(record.partitionKey));
    if (record.explicitHashKey !== "") res.setHeader("X-Kinesis-Explicit-Hash-Key", headerText(record.explicitHashKey));
  }
  res.setHeader("Content-Type", "application/octet-stream");
  answer(res, 200, record.value);
}

/**
 * Starts the servers the module's ingresses and egresses call for.
 * @throws {@link ListenError} naming the server whose port is taken
 */
export async function startModuleIo(rt: LocalRuntime, module: StateFunModule, options: ModuleIoOptions = {}): Promise<ModuleIo> {
  const servers: http.Server[] = [];
  const ports: Partial<Record<ModuleIoRole, number>> = {};
  const close = (): Promise<void> =>
    Promise.all(servers.map((s) => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    }))).then(() => undefined);
  const start = async (role: ModuleIoRole, listener: http.RequestListener, port: number): Promise<void> => {
    const server = await listen(role, listener, port, options.host);
    servers.push(server);
    ports[role] = (server.address() as AddressInfo).port;
  };
  try {
    for (const ingress of module.ingresses) {
      if (ingress.kind === PLAYGROUND_INGRESS) await start("ingress", playgroundIngress(rt), options.ingressPort ?? ingress.port);
    }
    for (const egress of module.egresses) {
      if (egress.kind === PLAYGROUND_EGRESS) await start("egress", playgroundEgress(rt), options.egressPort ?? egress.port);
    }
    const kafka = module.ingresses.filter((i): i is KafkaIngressComponent => i.kind === KAFKA_INGRESS);
    const kinesis = module.ingresses.filter((i): i is KinesisIngressComponent => i.kind === KINESIS_INGRESS);
    const brokerEgress = module.egresses.some((e) => e.kind === KAFKA_EGRESS || e.kind === KINESIS_EGRESS);
    if (kafka.length + kinesis.length > 0 || brokerEgress) await start("broker", broker(rt, kafka, kinesis), options.brokerPort ?? 8092);
  } catch (e) {
    await close();
    throw e;
  }
  return { ports, close };
}
