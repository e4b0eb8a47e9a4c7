import type { SourcePosition } from "./problems";
import {
  ASYNC_TRANSPORT,
  ENDPOINT_V1,
  ENDPOINT_V2,
  KAFKA_EGRESS,
  KAFKA_INGRESS,
  KINESIS_EGRESS,
  KINESIS_INGRESS,
  OKHTTP_TRANSPORT,
  PLAYGROUND_EGRESS,
  PLAYGROUND_INGRESS,
  type RoutingSpec,
} from "./schemas";
import { timeoutMs, transportOf } from "./transport";
import type { ValidSpec } from "./validate";

/** An HTTP endpoint: which function types the cluster sends where. */
export interface EndpointComponent {
  kind: typeof ENDPOINT_V1 | typeof ENDPOINT_V2;
  /** `<namespace>/<name>` or `<namespace>/*`. */
  functions: string;
  /** The URL the cluster posts to; `{function.name}` stands for the function type's name. */
  urlPathTemplate: string;
  maxNumBatchRequests?: number;
  /** The call timeout that applies: as written, else the transport's default (okhttp 1 min, async 2 min). */
  callTimeoutMs?: number;
  /** The HTTP client the cluster uses: always okhttp for v1; async unless stated for v2. */
  transport?: typeof ASYNC_TRANSPORT | typeof OKHTTP_TRANSPORT;
  /** Where the component's document starts. */
  position: SourcePosition;
}

/** The playground's HTTP ingress (the official playground image). */
export interface PlaygroundIngressComponent {
  kind: typeof PLAYGROUND_INGRESS;
  port: number;
  position: SourcePosition;
}

/** The playground's HTTP egress; its id is fixed. */
export interface PlaygroundEgressComponent {
  kind: typeof PLAYGROUND_EGRESS;
  id: "io.statefun.playground/egress";
  port: number;
  topics: string[];
  position: SourcePosition;
}

/** A Kafka topic or Kinesis stream and where its records go. */
export interface RoutedSource {
  /** The topic or stream. */
  name: string;
  /** The typename of each record's value, as functions see it. */
  valueType: string;
  /** The function types each record is sent to (the record key is the target id). */
  targets: string[];
}

/** A Kafka ingress. */
export interface KafkaIngressComponent {
  kind: typeof KAFKA_INGRESS;
  id: string;
  address: string;
  topics: RoutedSource[];
  consumerGroupId?: string;
  position: SourcePosition;
}

/** A Kinesis ingress. */
export interface KinesisIngressComponent {
  kind: typeof KINESIS_INGRESS;
  id: string;
  streams: RoutedSource[];
  position: SourcePosition;
}

/** A Kafka egress. */
export interface KafkaEgressComponent {
  kind: typeof KAFKA_EGRESS;
  id: string;
  address: string;
  /** The delivery guarantee; the cluster's default is at-least-once. */
  deliverySemantic?: "at-least-once" | "exactly-once" | "none";
  position: SourcePosition;
}

/** A Kinesis egress. */
export interface KinesisEgressComponent {
  kind: typeof KINESIS_EGRESS;
  id: string;
  position: SourcePosition;
}

/** An ingress of any kind. */
export type IngressComponent = PlaygroundIngressComponent | KafkaIngressComponent | KinesisIngressComponent;

/** An egress of any kind. */
export type EgressComponent = PlaygroundEgressComponent | KafkaEgressComponent | KinesisEgressComponent;

/** Any component of a module. */
export type ModuleComponent = EndpointComponent | IngressComponent | EgressComponent;

/** A module file that validated cleanly. */
export interface StateFunModule {
  file: string;
  /** Every component, in file order. */
  components: ModuleComponent[];
  endpoints: EndpointComponent[];
  ingresses: IngressComponent[];
  egresses: EgressComponent[];
}

/** Builds the typed model of a module whose every component validated. */
export function buildModule(file: string, specs: readonly { valid: ValidSpec; position: SourcePosition }[]): StateFunModule {
  const components = specs.map(({ valid, position }) => toComponent(valid, position));
  const module: StateFunModule = { file, components, endpoints: [], ingresses: [], egresses: [] };
  for (const component of components) {
    switch (component.kind) {
      case ENDPOINT_V1:
      case ENDPOINT_V2:
        module.endpoints.push(component);
        break;
      case PLAYGROUND_INGRESS:
      case KAFKA_INGRESS:
      case KINESIS_INGRESS:
        module.ingresses.push(component);
        break;
      default:
        module.egresses.push(component);
    }
  }
  return module;
}

function toComponent(valid: ValidSpec, position: SourcePosition): ModuleComponent {
  switch (valid.kind) {
    case ENDPOINT_V1:
    case ENDPOINT_V2: {
      const { spec, kind } = valid;
      const transport = transportOf(kind, spec);
      const call = transport.timeouts.find((t) => t.name === "call");
      const endpoint: EndpointComponent = {
        kind,
        functions: spec.functions,
        urlPathTemplate: spec.urlPathTemplate,
        transport: transport.type,
        position,
      };
      if (spec.maxNumBatchRequests !== undefined) endpoint.maxNumBatchRequests = spec.maxNumBatchRequests;
      const callMs = call && timeoutMs(call);
      if (callMs !== undefined) endpoint.callTimeoutMs = callMs;
      return endpoint;
    }
    case KAFKA_INGRESS: {
      const { spec } = valid;
      const ingress: KafkaIngressComponent = {
        kind: valid.kind,
        id: spec.id,
        address: spec.address,
        topics: spec.topics.map((t) => routed(t.topic, t)),
        position,
      };
      if (spec.consumerGroupId !== undefined) ingress.consumerGroupId = spec.consumerGroupId;
      return ingress;
    }
    case KINESIS_INGRESS:
      return { kind: valid.kind, id: valid.spec.id, streams: valid.spec.streams.map((s) => routed(s.stream, s)), position };
    case KAFKA_EGRESS:
      return {
        kind: valid.kind,
        id: valid.spec.id,
        address: valid.spec.address,
        deliverySemantic: valid.spec.deliverySemantic?.type ?? "at-least-once",
        position,
      };
    case KINESIS_EGRESS:
      return { kind: valid.kind, id: valid.spec.id, position };
    case PLAYGROUND_INGRESS:
      return { kind: valid.kind, port: valid.spec.port, position };
    case PLAYGROUND_EGRESS:
      return { kind: valid.kind, id: "io.statefun.playground/egress", port: valid.spec.port, topics: [...valid.spec.topics], position };
  }
}

function routed(name: string, route: RoutingSpec): RoutedSource {
  return { name, valueType: route.valueType, targets: [...route.targets] };
}
