/**
 * Reading a request body: refused early when it is too large or in an encoding we cannot read,
 * never buffered past the limit, and decompressed (gzip, deflate, br) with the same limit on
 * the decompressed size, so a small compressed body cannot expand past it either.
 */
import type { IncomingMessage } from "node:http";
import zlib from "node:zlib";
import { RequestRejectedError } from "../base/errors";
import { quote } from "../base/text";

/** The runtime's own limit for a reply body (`payload_max_bytes`), a fair default for requests. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * How long the rest of a refused upload is still read (and dropped) before the connection is
 * cut. Cutting a connection with unread data sends a TCP reset, which can destroy the answer
 * before the client has read it; a client that finishes sending in time keeps its connection.
 */
const LINGER_MS = 2_000;

type Decoder = (body: Buffer, options: zlib.ZlibOptions, done: (e: Error | null, out: Buffer) => void) => void;

/** HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate: accept both. */
const inflateEither: Decoder = (body, options, done) =>
  zlib.inflate(body, options, (e, out) => {
    if (e && (e as NodeJS.ErrnoException).code === "Z_DATA_ERROR") zlib.inflateRaw(body, options, done);
    else done(e, out);
  });

const DECODERS: Record<string, Decoder> = {
  gzip: zlib.gunzip,
  "x-gzip": zlib.gunzip,
  deflate: inflateEither,
  br: zlib.brotliDecompress,
};

function tooLarge(size: string, maxBytes: number): RequestRejectedError {
  return new RequestRejectedError(
    413,
    `the request body (${size}) is larger than the endpoint's limit of ${maxBytes} bytes; raise maxBodyBytes ` +
      `if batches this large are expected`,
  );
}

/** The `Content-Encoding` of a request, normalized; "" for none or identity. */
function encodingOf(req: IncomingMessage): string {
  // `handle()` also gets request-like streams from other frameworks, some without headers.
  const raw = req.headers?.["content-encoding"];
  if (raw === undefined) return "";
  const encoding = raw.trim().toLowerCase();
  return encoding === "identity" ? "" : encoding;
}

/** What can be refused from the headers alone, before reading a byte of the body (`encoding`: see encodingOf). */
function refuseFromHeaders(req: IncomingMessage, encoding: string, maxBytes: number): RequestRejectedError | null {
  const length = req.headers?.["content-length"];
  if (length !== undefined && Number(length) > maxBytes) return tooLarge(`${length} bytes`, maxBytes);
  if (encoding !== "" && DECODERS[encoding] === undefined) {
    return new RequestRejectedError(
      415,
      `the request body's Content-Encoding ${quote(String(req.headers?.["content-encoding"]))} is not supported; ` +
        `send it uncompressed or as gzip, deflate or br`,
    );
  }
  return null;
}

/** Where a read body goes: exactly one of the two is called, unless the client goes away first. */
export interface BodySink {
  body(body: Buffer): void;
  refused(error: RequestRejectedError): void;
}

/** Decodes `body` for its normalized `Content-Encoding` (a no-op without one). */
function decodeBody(encoding: string, body: Buffer, maxBytes: number, sink: BodySink): void {
  if (encoding === "") {
    sink.body(body);
    return;
  }
  DECODERS[encoding](body, { maxOutputLength: maxBytes }, (e, out) => {
    if (e === null) {
      sink.body(out);
    } else if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      sink.refused(tooLarge(`${body.length} bytes, more than ${maxBytes} decompressed`, maxBytes));
    } else {
      sink.refused(new RequestRejectedError(400, `the request body is not valid ${encoding} data: ${e.message}`));
    }
  });
}

/**
 * One body being read. The listeners are shared functions that find it on the request, so
 * reading a body allocates this and the chunks, and no closures.
 */
class BodyRead {
  /** The chunks after the first (most bodies arrive in one). */
  more: Buffer[] | null = null;
  first: Buffer | null = null;
  size = 0;

  constructor(
    readonly encoding: string,
    readonly maxBytes: number,
    readonly sink: BodySink,
  ) {}
}

const READING = Symbol("statefun-ts body read");
type Reading = IncomingMessage & { [READING]?: BodyRead };

function onData(this: Reading, chunk: Buffer): void {
  const read = this[READING] as BodyRead;
  read.size += chunk.length;
  if (read.size > read.maxBytes) {
    this.removeListener("data", onData);
    this.removeListener("end", onEnd);
    this[READING] = undefined;
    read.sink.refused(tooLarge(`more than ${read.maxBytes} bytes`, read.maxBytes));
    return;
  }
  if (read.first === null) read.first = chunk;
  else (read.more ??= []).push(chunk);
}

function onEnd(this: Reading): void {
  const read = this[READING] as BodyRead;
  this[READING] = undefined;
  const body = read.more === null ? (read.first ?? EMPTY) : Buffer.concat([read.first as Buffer, ...read.more], read.size);
  decodeBody(read.encoding, body, read.maxBytes, read.sink);
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads and decodes a request body into `sink`. A refusal leaves the rest of the body unread:
 * answer it with {@link refuseUnread}.
 */
export function readBody(req: IncomingMessage, maxBytes: number, sink: BodySink): void {
  const encoding = encodingOf(req);
  const early = refuseFromHeaders(req, encoding, maxBytes);
  if (early !== null) {
    sink.refused(early);
    return;
  }
  (req as Reading)[READING] = new BodyRead(encoding, maxBytes, sink);
  req.on("data", onData);
  req.on("end", onEnd);
}

/** Whether part of the request's body has yet to arrive (from HTTP/1.1 framing). */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers?.["content-length"];
  return (length !== undefined && length !== "0") || req.headers?.["transfer-encoding"] !== undefined;
}

/**
 * Answers a request refused before its body was read to the end (sent by `answer`): what still
 * arrives is dropped without buffering, and the connection is cut if the client is still
 * sending after a short grace period. The answer deliberately does not say `Connection: close`:
 * node would then destroy the socket right after the answer, with the upload unread.
 */
export function refuseUnread(req: IncomingMessage, answer: () => void): void {
  answer();
  if (!bodyPending(req)) return;
  const socket = req.socket;
  const timer = setTimeout(() => {
    if (!req.complete) socket.destroy();
  }, LINGER_MS);
  timer.unref();
  req.on("data", () => undefined);
  req.once("end", () => clearTimeout(timer));
  req.resume();
}
