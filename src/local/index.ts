/**
 * `statefun-ts/testing`: a local StateFun runtime for tests and development. It behaves like
 * the cluster towards functions (batching, state registration, TTLs, delayed messages, egress,
 * retries), on a virtual clock, with fault injection, inspection (and the inspector UI in a
 * browser: `inspect()`), traces and replay, and, as an option, dead letters instead of job failures.
 */
export { formatAddress, type AddressRef } from "../base/address";
export { JobFailedError } from "../base/errors";
export { loadModule, ModuleError, type StateFunModule } from "../module";
export { eventToJson, formatEvent, type RuntimeEvent } from "./events";
export type {
  AddressInspection,
  EgressInspection,
  FunctionInspection,
  FunctionStateInspection,
  InspectOptions,
  PendingDelayedMessage,
  QueuedMessage,
  StateExpiration,
  StateInspection,
} from "./inspection";
export { startModuleIo, type ModuleIo, type ModuleIoOptions } from "./io";
export { ListenError, type ModuleIoRole } from "./servers";
export {
  LocalRuntime,
  type DeadLetter,
  type DeadLetterOptions,
  type EgressKind,
  type EndpointOptions,
  type LocalRuntimeOptions,
  type RoutingRow,
  type SavedDeadLetter,
  type SavedRuntimeState,
  type SavedUnreadRecord,
  type SavedValue,
} from "./runtime";
export { parseTrace, replay, type Exchange, type ReplayDifference, type ReplayReport } from "./trace";
export {
  decodeValue,
  describeValue,
  PLAYGROUND_EGRESS_ID,
  PLAYGROUND_EGRESS_RECORD_TYPENAME,
  type DecodedEgressRecord,
  type KafkaRecord,
  type KinesisRecord,
  type PlaygroundRecord,
  type TypedRecord,
} from "./values";
