/**
 * statefun-ts: a TypeScript SDK for Apache Flink Stateful Functions remote functions.
 * The public API is that of `apache-flink-statefun` 3.3.0, plus long/double types,
 * `handleRequest`, typed state, decorators, typed errors and `serve()`.
 */
export { Address } from "./base/address";
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
} from "./base/errors";
export { silentLogger, stderrLogger, type Logger } from "./base/logger";
export { Context, type UntypedStorage } from "./api/context";
export { fn, type FnOptions, type FunctionMethod, type HandlerMethod } from "./api/decorators";
export { kafkaEgressMessage, kinesisEgressMessage, type KafkaEgressOpts, type KinesisEgressOpts } from "./api/egress";
export { EgressMessage, egressMessageBuilder, Message, messageBuilder, type EgressOpts, type MessageOpts } from "./api/message";
export type {
  DeclValue,
  FunctionOpts,
  MessageHandler,
  MessageHandlers,
  StateDecl,
  StateDecls,
  StatefulFunction,
  StorageOf,
  StorageOfState,
  ValueOf,
  ValueSpecOpts,
} from "./api/state";
export { serve, StateFun, type BindHandlersOpts, type BindOpts, type BindStateOpts, type StateFunOptions } from "./api/statefun";
export { DEFAULT_MAX_BODY_BYTES } from "./http/body";
export type { ExpressHandler, ExpressRequest } from "./http/express";
export type { EndpointMetrics } from "./http/metrics";
export type { ServeOptions, StateFunServer, TlsOptions } from "./http/serve";
export type { JsonTypeOptions } from "./serde/json";
export type { GoogleProtobufClass, ProtobufJsType } from "./serde/protobuf";
export { Type } from "./serde/type";
