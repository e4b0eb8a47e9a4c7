/**
 * The two SDKs under comparison, seen through one structural interface, and a way to drive each
 * one's own HTTP entry point (`StateFun.handle(req, res)`) with request bytes.
 *
 * Objects built by one SDK (types, messages, egress messages) are not accepted by the other's
 * context, so a function program written against {@link SdkModule} must always use the module it
 * was bound with.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import * as officialModule from "apache-flink-statefun";
import * as oursModule from "../../src";

/** A StateFun type of either SDK; each SDK only accepts its own (`Ty` below). */
export interface SdkType {
  readonly typename: string;
}

/** An address as both SDKs expose it (`ctx.self`, `ctx.caller`). */
export interface SdkAddress {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  readonly typename: string;
}

/** The incoming message, as far as programs use it. */
export interface SdkMessage<Ty extends SdkType> {
  is(type: Ty): boolean;
  as(type: Ty): unknown;
}

/** The context, as far as programs use it. Messages are opaque objects of the same SDK. */
export interface SdkContext {
  readonly storage: object;
  readonly self: SdkAddress;
  readonly caller: SdkAddress | null;
  send(message: object): void;
  sendAfter(delay: number, message: object, cancellationToken?: string): void;
  cancelDelayedMessage(cancellationToken: string): void;
}

/** A state declaration in either SDK's `bind`. */
export interface SdkSpec<Ty extends SdkType> {
  name: string;
  type: Ty;
  expireAfterCall?: number;
  expireAfterWrite?: number;
}

/** What either SDK's `bind` takes. */
export interface SdkBindOpts<Ty extends SdkType> {
  typename: string;
  specs?: SdkSpec<Ty>[];
  fn(context: SdkContext, message: SdkMessage<Ty>): unknown;
}

/** An endpoint: a `StateFun` instance of either SDK, after binding. */
export interface SdkEndpoint {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** A `StateFun` instance of either SDK. */
export interface SdkStateFun<Ty extends SdkType> extends SdkEndpoint {
  bind(opts: SdkBindOpts<Ty>): unknown;
}

/** The static type factories of either SDK's `StateFun` class. */
export interface SdkTypes<Ty extends SdkType> {
  intType(): Ty;
  stringType(): Ty;
  booleanType(): Ty;
  floatType(): Ty;
  jsonType(typename: string): Ty;
}

/** The part of an SDK module that programs use. */
export interface SdkModule<Ty extends SdkType> {
  StateFun: SdkTypes<Ty>;
  messageBuilder(opts: { typename: string; id: string; value: unknown; valueType?: Ty }): object;
  egressMessageBuilder(opts: { typename: string; value: unknown; valueType: Ty }): object;
  kafkaEgressMessage(opts: { typename: string; topic: string; key?: string; value: unknown; valueType?: Ty }): object;
  kinesisEgressMessage(opts: {
    typename: string;
    stream: string;
    partitionKey: string;
    hashKey?: string;
    value: unknown;
    valueType?: Ty;
  }): object;
}

/**
 * A function program: the functions to bind, written once against whichever SDK module it is
 * given. It must build every type and message with that module.
 */
export type Program = <Ty extends SdkType>(sdk: SdkModule<Ty>) => SdkBindOpts<Ty>[];

/** One SDK under test. */
export interface SdkBinding {
  readonly label: "ours" | "official";
  /** A fresh `StateFun` of this SDK with the program's functions bound (bind errors propagate). */
  serve(program: Program): SdkEndpoint;
}

function binding<Ty extends SdkType>(
  label: SdkBinding["label"],
  sdk: SdkModule<Ty>,
  create: () => SdkStateFun<Ty>,
): SdkBinding {
  return {
    label,
    serve(program) {
      const sf = create();
      for (const opts of program(sdk)) sf.bind(opts);
      return sf;
    },
  };
}

/** statefun-ts (this repository), quiet: failures are provoked on purpose. */
export const OURS: SdkBinding = binding<oursModule.Type<unknown>>(
  "ours",
  oursModule,
  () => new oursModule.StateFun({ logger: oursModule.silentLogger }),
);

/** apache-flink-statefun@3.3.0, the reference. */
export const OFFICIAL: SdkBinding = binding<officialModule.Type<unknown>>(
  "official",
  officialModule,
  () => new officialModule.StateFun(),
);

export const BOTH: readonly SdkBinding[] = [OURS, OFFICIAL];

/** What an HTTP handler answered. */
export interface HttpOutcome {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * Calls `sf.handle(req, res)` with an in-memory request carrying `body` (a Readable, which both
 * SDKs' readers accept: ours listens to data/end, the official one iterates it) and a response
 * object that records what was written.
 */
export async function callHandle(sf: SdkEndpoint, body: Uint8Array): Promise<HttpOutcome> {
  const req = Object.assign(Readable.from([Buffer.from(body)], { objectMode: false }), {
    method: "POST",
    url: "/statefun",
    headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
  });
  let status = 0;
  let headers: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let ended = false;
  const res = {
    headersSent: false,
    writeHead(code: number, h?: Record<string, unknown>) {
      status = code;
      headers = h ?? {};
      res.headersSent = true;
      return res;
    },
    end(chunk?: Uint8Array | string) {
      if (chunk !== undefined) chunks.push(Buffer.from(chunk));
      ended = true;
      return res;
    },
    destroy() {
      ended = true;
      return res;
    },
  };
  await sf.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  if (!ended) throw new Error("the handler resolved without ending the response");
  const contentType = headers["Content-Type"] ?? headers["content-type"];
  return { status, contentType: typeof contentType === "string" ? contentType : undefined, body: Buffer.concat(chunks) };
}
