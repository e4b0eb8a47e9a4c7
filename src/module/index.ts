/**
 * module.yaml: the file a StateFun cluster reads to find functions, ingresses and egresses.
 * {@link loadModule} reads and checks one the way the StateFun 3.3 runtime would, reporting every
 * problem with its `file:line:column` and a hint, and returns a typed model of it.
 */
export { parseFlinkDuration } from "./duration";
export type {
  EgressComponent,
  EndpointComponent,
  IngressComponent,
  KafkaEgressComponent,
  KafkaIngressComponent,
  KinesisEgressComponent,
  KinesisIngressComponent,
  ModuleComponent,
  PlaygroundEgressComponent,
  PlaygroundIngressComponent,
  RoutedSource,
  StateFunModule,
} from "./model";
export { formatProblem, ModuleError, type ModuleProblem, type SourcePosition } from "./problems";
export { endpointFor, endpointUrl, matchesFunctionPattern } from "./routing";
export {
  ASYNC_TRANSPORT,
  ENDPOINT_V1,
  ENDPOINT_V2,
  KAFKA_EGRESS,
  KAFKA_INGRESS,
  KINDS as MODULE_KINDS,
  KINESIS_EGRESS,
  KINESIS_INGRESS,
  OKHTTP_TRANSPORT,
  PLAYGROUND_EGRESS,
  PLAYGROUND_INGRESS,
  type Kind as ModuleKind,
} from "./schemas";
export { loadModule, parseModuleText, validateModuleText } from "./load";
