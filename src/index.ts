/**
 * statefun-ts: a TypeScript SDK for Apache Flink Stateful Functions remote functions.
 * The public API is that of `apache-flink-statefun` 3.3.0, plus long/double types,
 * `handleRequest`, typed state and typed errors.
 */
export { Address } from "./address";
export { Context } from "./context";
export { fn, type DecoratedFunction, type FnOptions, type FunctionMethod } from "./decorators";
export { kafkaEgressMessage, kinesisEgressMessage, type KafkaEgressOpts, type KinesisEgressOpts } from "./egress";
export {
  ConfigurationError,
  FunctionInvocationError,
  InvalidArgumentError,
  MalformedRequestError,
  RequestRejectedError,
  SerializationError,
  StateAccessError,
  StateFunError,
  TypeMismatchError,
  UnknownFunctionError,
} from "./errors";
export { DEFAULT_MAX_BODY_BYTES } from "./http/body";
export type { ExpressHandler, ExpressRequest } from "./http/express";
export { EndpointMetrics } from "./http/metrics";
export { serve, type ServeOptions, type StateFunServer, type TlsOptions } from "./http/server";
export { silentLogger, stderrLogger, type Logger } from "./logger";
export {
  EgressMessage,
  egressMessageBuilder,
  Message,
  messageBuilder,
  type EgressOpts,
  type MessageOpts,
} from "./message";
export type {
  DeclValue,
  FunctionOpts,
  StateDecl,
  StateDecls,
  StatefulFunction,
  StorageOf,
  StorageOfState,
  UntypedStorage,
  ValueOf,
  ValueSpecOpts,
} from "./spec";
export type { BatchOutcome, BatchReport, BatchReporter } from "./request-handler";
export { StateFun, type BindOpts, type BindStateOpts, type StateFunOptions } from "./statefun";
export { Type, type GoogleProtobufClass, type JsonTypeOptions, type ProtobufJsType } from "./types";
export type { WireTypedValue } from "./wire/codec";
