/** `StateFun`: the functions of an application and the endpoint that serves them to a cluster. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigurationError } from "../base/errors";
import { stderrLogger, type Logger } from "../base/logger";
import { DEFAULT_MAX_BODY_BYTES } from "../http/body";
import { expressHandler, type ExpressHandler } from "../http/express";
import { handleHttp, type HttpServing } from "../http/answer";
import { serveEndpoint, type ServeOptions, type StateFunServer } from "../http/serve";
import { createEndpoint, type Endpoint } from "../invoke/endpoint";
import { FunctionRegistry } from "../invoke/registry";
import { CustomType } from "../serde/custom";
import { JsonType, type JsonTypeOptions } from "../serde/json";
import { BOOL_TYPE, DOUBLE_TYPE, FLOAT_TYPE, INT_TYPE, LONG_TYPE, STRING_TYPE } from "../serde/primitives";
import { ProtobufType, protobufTypeUrl, type GoogleProtobufClass, type ProtobufJsType } from "../serde/protobuf";
import type { Type } from "../serde/type";
import { functionSpecOf, type Binding } from "./binding";
import type { Context } from "./context";
import { decoratedFunctions } from "./decorators";
import type { Message } from "./message";
import type { FunctionOpts, MessageHandlers, StateDecls, StatefulFunction, StorageOf, StorageOfState, ValueSpecOpts } from "./state";

/** Options of a {@link StateFun} instance. */
export interface StateFunOptions {
  /** Where failures are reported; defaults to JSON lines on stderr. */
  logger?: Logger;
  /**
   * Largest request body `handler()`, `handle()` and `expressHandler()` accept, after
   * decompression; default 32 MiB. (`serve()` takes its own `maxBodyBytes`.)
   */
  maxBodyBytes?: number;
}

/** What `bind` takes: the function type, its states, and the function. */
export interface BindOpts<Specs extends readonly ValueSpecOpts[]> {
  /** The function type, `namespace/name`. */
  typename: string;
  /** The states this function keeps per address; `ctx.storage` is typed from them. */
  specs?: Specs;
  /** The function; may return a promise (or any thenable), which is awaited. */
  fn: StatefulFunction<StorageOf<Specs>>;
}

/** What `bind` takes with states in the record form: `state: { visits: StateFun.intType() }`. */
export interface BindStateOpts<S extends StateDecls> {
  /** The function type, `namespace/name`. */
  typename: string;
  /** The states by name; `ctx.storage` is typed from them. */
  state: S;
  /** The function; may return a promise (or any thenable), which is awaited. */
  fn: StatefulFunction<StorageOfState<S>>;
}

/**
 * What `bind` takes for a function with one handler per message type: each handler's value is
 * typed from its `type`, and `ctx.storage` from `state`.
 */
export interface BindHandlersOpts<S extends StateDecls, M extends readonly unknown[]> {
  /** The function type, `namespace/name`. */
  typename: string;
  /** The states by name; `ctx.storage` is typed from them. */
  state?: S;
  /** One handler per message type: `{ type, fn(ctx, value, message) }`; a handler may return a promise. */
  handlers: MessageHandlers<StorageOfState<S>, M>;
  /**
   * Called for a message of a type no handler takes. Without it, such a message fails its
   * invocation with a TypeMismatchError naming the typenames the handlers take.
   */
  fn?: StatefulFunction<StorageOfState<S>>;
}

let endpointOfStateFun: (sf: StateFun) => Endpoint;

/**
 * A set of bound functions and the endpoint that serves them to a StateFun cluster.
 *
 * ```ts
 * const sf = new StateFun();
 * sf.bind({ typename: "example/greeter", fn(ctx, msg) { ... } });
 * http.createServer(sf.handler()).listen(8000);
 * ```
 */
export class StateFun {
  readonly #functions = new FunctionRegistry();
  readonly #endpoint: Endpoint = createEndpoint(this.#functions);
  readonly #logger: Logger;
  readonly #serving: HttpServing;

  constructor(options: StateFunOptions = {}) {
    this.#logger = options.logger ?? stderrLogger;
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
      throw new ConfigurationError(`new StateFun(): maxBodyBytes must be a positive whole number, got ${String(maxBodyBytes)}`);
    }
    this.#serving = { endpoint: this.#endpoint, logger: this.#logger, maxBodyBytes };
  }

  static {
    endpointOfStateFun = (sf) => sf.#endpoint;
  }

  /** Where this instance reports failures. */
  get logger(): Logger {
    return this.#logger;
  }

  /**
   * Binds a function to a function type. Its states, declared in `state` (`{ name: type }`) or
   * `specs` (`[{ name, type }]`), appear as properties of `ctx.storage`, typed from the
   * declarations. The function is `fn(ctx, message)`, called for every message, or one handler
   * per message type, each given the message's value decoded with its type:
   *
   * ```ts
   * sf.bind({
   *   typename: "example/cart",
   *   state: { items: ItemsType },
   *   handlers: [
   *     { type: AddItemType, fn: (ctx, add) => { ... } },   // add: AddItem
   *     { type: CheckoutType, fn: (ctx, checkout) => { ... } },
   *   ],
   * });
   * ```
   * @throws {@link ConfigurationError} on an invalid typename, state spec or handler, or a type bound twice.
   */
  bind<const S extends StateDecls = Record<never, never>, M extends readonly unknown[] = []>(opts: BindHandlersOpts<S, M>): this;
  bind<const S extends StateDecls>(opts: BindStateOpts<S>): this;
  bind<const Specs extends readonly ValueSpecOpts[] = []>(opts: BindOpts<Specs> | FunctionOpts<StorageOf<Specs>>): this;
  bind(opts: Binding): this {
    this.#functions.add(functionSpecOf(opts));
    return this;
  }

  /**
   * Binds every method of `instance` decorated with {@link fn}, each called with `this` set
   * to `instance`; the methods of one function type (one per message type it `handles`, and
   * at most one for the others) make one function.
   * @throws {@link ConfigurationError} when the instance has no decorated methods, or as `bind` does.
   */
  register(instance: object): this {
    for (const { typename, state, methods } of decoratedFunctions(instance)) {
      const plain = methods.find((m) => m.handles === undefined);
      const typed = methods.filter((m) => m.handles !== undefined);
      const fn = plain && ((context: Context<object>, message: Message): unknown => plain.method.call(instance, context, message));
      const handlers = typed.map(({ handles, method }) => ({
        type: handles as Type<unknown>,
        fn: (context: Context<object>, value: unknown, message: Message): unknown => method.call(instance, context, value, message),
      }));
      this.#functions.add(functionSpecOf({ typename, ...(fn ? { fn } : {}), ...(state !== undefined ? { state } : {}), ...(typed.length > 0 ? { handlers } : {}) }));
    }
    return this;
  }

  /** The bound function types, `namespace/name`. */
  get functionTypes(): string[] {
    return this.#functions.types;
  }

  /** `io.statefun.types/int`: a 32-bit integer. */
  static intType(): Type<number> {
    return INT_TYPE;
  }
  /** `io.statefun.types/long`: a 64-bit integer, read as a bigint. */
  static longType(): Type<bigint> {
    return LONG_TYPE;
  }
  /** `io.statefun.types/string` */
  static stringType(): Type<string> {
    return STRING_TYPE;
  }
  /** `io.statefun.types/bool` */
  static booleanType(): Type<boolean> {
    return BOOL_TYPE;
  }
  /** `io.statefun.types/float`: a 32-bit float. */
  static floatType(): Type<number> {
    return FLOAT_TYPE;
  }
  /** `io.statefun.types/double`: a 64-bit float. */
  static doubleType(): Type<number> {
    return DOUBLE_TYPE;
  }
  /**
   * A type whose values are UTF-8 JSON under `typename`; with `{ schema }`, every value
   * encoded or decoded is checked against that JSON Schema (a failure names the typename, the
   * path in the value and the rule).
   */
  static jsonType<T = unknown>(typename: string, options?: JsonTypeOptions): Type<T> {
    return new JsonType<T>(typename, options);
  }
  /**
   * A type whose values are protobuf messages of a google-protobuf generated class or a
   * protobufjs type (reflected, or a pbjs static class). Without a typename, it is
   * `type.googleapis.com/<full.name>`, as the other SDKs name protobuf types.
   */
  static protoType<T>(typename: string, messageType: GoogleProtobufClass<T> | ProtobufJsType<T>): Type<T>;
  static protoType<T>(messageType: GoogleProtobufClass<T> | ProtobufJsType<T>): Type<T>;
  static protoType<T>(
    typenameOrType: string | GoogleProtobufClass<T> | ProtobufJsType<T>,
    messageType?: GoogleProtobufClass<T> | ProtobufJsType<T>,
  ): Type<T> {
    if (typeof typenameOrType === "string") return new ProtobufType<T>(typenameOrType, messageType as GoogleProtobufClass<T> | ProtobufJsType<T>);
    return new ProtobufType<T>(protobufTypeUrl(typenameOrType), typenameOrType);
  }
  /** A type with a serializer and deserializer of your own. */
  static customType<T>(typename: string, serialize: (value: T) => Buffer, deserialize: (bytes: Buffer) => T): Type<T> {
    return new CustomType<T>(typename, serialize, deserialize);
  }

  /**
   * Handles one request from the cluster: `ToFunction` bytes in, `FromFunction` bytes out.
   * Rejects with a MalformedRequestError (400), UnknownFunctionError (404) or
   * FunctionInvocationError (500); never resolves with a partly applied batch.
   */
  handleRequest(body: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#endpoint.handle(body));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A node:http request listener: `http.createServer(sf.handler())`. Every request, whatever
   * its path, is taken as a `ToFunction`; {@link StateFun.listen} adds routing, health,
   * metrics and shutdown.
   */
  handler(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    return (req, res) => this.handle(req, res);
  }

  /**
   * Answers one HTTP request: 200 with the reply bytes, or the error's status with a
   * plain-text reason (which is also logged). Resolves once the answer is written.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return handleHttp(req, res, this.#serving);
  }

  /**
   * An express request handler, with or without `express.raw()` before it:
   * `app.post("/statefun", sf.expressHandler())`.
   */
  expressHandler(): ExpressHandler {
    return expressHandler(this.#serving);
  }

  /** Starts the production endpoint; see {@link serve}. */
  listen(options?: ServeOptions): Promise<StateFunServer> {
    return serve(this, options);
  }
}

/** The endpoint of a StateFun instance: its functions and request path (for the SDK's own adapters). */
export function endpointOf(sf: StateFun): Endpoint {
  return endpointOfStateFun(sf);
}

/**
 * Serves `sf`'s functions: `POST <path>` runs a batch, `GET /health` and `GET /metrics` report;
 * see {@link ServeOptions} for the routes' path, limits, TLS, timeouts and shutdown.
 */
export function serve(sf: StateFun, options: ServeOptions = {}): Promise<StateFunServer> {
  return serveEndpoint(endpointOf(sf), sf.logger, options);
}
