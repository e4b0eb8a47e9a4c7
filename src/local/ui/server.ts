/**
 * The inspector's HTTP server: the page and its compiled browser code (every asset served from
 * here, so it works offline), a JSON API over an {@link InspectorSource}, and the runtime's
 * events as server-sent events (`GET /api/events`), numbered so that a page that reconnects
 * picks up where it left off.
 *
 * It can send messages and retry or discard dead letters, so it is no target for other sites:
 * it listens on loopback unless told otherwise; it answers only requests whose `Host` is
 * `localhost`, an IP address or the host it was bound to (no DNS rebinding); a POST must come
 * from its own page (same origin, JSON, carrying the random token the page was served with);
 * and its pages may not be framed.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type http from "node:http";
import { isIP, type AddressInfo } from "node:net";
import path from "node:path";
import type { AddressRef } from "../../base/address";
import { InvalidArgumentError, JobFailedError } from "../../base/errors";
import type { WireTypedValue } from "../../wire/codec";
import type { InspectOptions, QueuedMessage } from "../inspection";
import { sameAddress } from "../mailboxes";
import { BodyTooLargeError, listen, readBody } from "../servers";
import { builtInType, type DecodedEgressRecord } from "../values";
import { PAGE_CSS, pageHtml } from "./page";
import { Recorder, type StatesBefore } from "./recorder";
import { encodeTyped } from "./send";
import type { InspectorSource } from "./source";
import { addressJson, deadLetterView, eventView, recordView, stateView, TypeIndex, typeKind, valueView } from "./views";
import {
  TOKEN_HEADER,
  type AddressSummary,
  type AddressView,
  type BatchView,
  type EgressView,
  type ErrorView,
  type FunctionsView,
  type FunctionView,
  type InfoView,
  type Json,
  type MessageView,
  type SendRequest,
  type SendResult,
  type StateView,
  type TypeOption,
  type ValueView,
} from "./web/protocol";

/** The inspector's server, running. */
export interface Inspector {
  /** Where the page is: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  /** Stops it: the page's event stream ends, and every connection is closed. */
  close(): Promise<void>;
}

/** How many events the inspector keeps by default. */
export const DEFAULT_UI_EVENTS = 20_000;
/** How much of a value's JSON an event carries to the page; a longer one is fetched when the event is opened. */
const EVENT_JSON_CHARS = 4_096;
/** How many events one server-sent message carries. */
const STREAM_CHUNK = 500;
/** How long new events wait to be sent together. */
const FLUSH_MS = 30;
/** A comment line this often keeps idle event streams open through proxies and timeouts. */
const HEARTBEAT_MS = 15_000;
/** How long the declared types are reused before they are read again (a reload can change them). */
const TYPES_TTL_MS = 1_000;
/** How many egress records of a topic the page gets, newest first. */
const RECORDS_PER_TOPIC = 200;
/** The largest POST body. */
const MAX_BODY_BYTES = 1 << 20;

const BUILT_IN_TYPENAMES = ["string", "int", "long", "bool", "double", "float"].map((name) => `io.statefun.types/${name}`);

/**
 * Where the page's compiled code is: beside this file once built (`dist/src/local/ui/static`),
 * or, when this file runs from its TypeScript source (under ts-jest), in the build's `dist/`.
 */
const STATIC_DIRS = [path.join(__dirname, "static"), path.resolve(__dirname, "..", "..", "..", "dist", "src", "local", "ui", "static")];

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The page's code and style, by name under `/static/`; read once, so only these names are ever served. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>([["style.css", { type: "text/css; charset=utf-8", body: Buffer.from(PAGE_CSS, "utf8") }]]);
  const dir = STATIC_DIRS.find((d) => existsSync(path.join(d, "main.js")));
  if (dir === undefined) return assets;
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".js")) assets.set(name, { type: "text/javascript; charset=utf-8", body: readFileSync(path.join(dir, name)) });
  }
  return assets;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/**
 * Whether a request's `Host` names this server: `localhost`, an IP address, or the host it was
 * bound to, on its port. A page of another site that got its name to resolve to this machine
 * (DNS rebinding) sends its own name, and is refused.
 */
function hostAllowed(header: string | undefined, bound: string, port: number): boolean {
  if (header === undefined) return false;
  let url: URL;
  try {
    url = new URL(`http://${header}`);
  } catch {
    return false;
  }
  if (Number(url.port || "80") !== port) return false;
  const name = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return name === "localhost" || name.endsWith(".localhost") || isIP(name) !== 0 || name === bound;
}

/** Why a POST is refused: it does not come from this server's own page. */
function postRefusal(req: http.IncomingMessage, token: string): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) return `a request from ${origin} is refused: the UI takes changes from its own page only`;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return "a cross-site request is refused: the UI takes changes from its own page only";
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return "a change is sent as JSON (Content-Type: application/json)";
  const given = req.headers[TOKEN_HEADER.toLowerCase()];
  const expected = Buffer.from(token);
  if (typeof given !== "string" || given.length !== token.length || !timingSafeEqual(Buffer.from(given), expected)) {
    return `the ${TOKEN_HEADER} header is missing or wrong: changes are sent from the UI's page, which has the token`;
  }
  return undefined;
}

function json(res: http.ServerResponse, status: number, body: Json | object): void {
  const bytes = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": bytes.length });
  res.end(bytes);
}

function refuse(res: http.ServerResponse, status: number, error: string): void {
  const body: ErrorView = { error };
  json(res, status, body);
}

/** Where a URL is printed for a bound host: a wildcard bind is reached on loopback. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The topic or stream of an egress record; "" for a record of another type. */
function topicOf(record: DecodedEgressRecord): string {
  if (record.kind === "kafka" || record.kind === "playground") return record.topic;
  return record.kind === "kinesis" ? record.stream : "";
}

/** A page connected to the event stream. */
interface Stream {
  readonly res: http.ServerResponse;
  /** The number of the last event sent to it. */
  sent: number;
  /** Waiting for its socket to drain before more is written. */
  blocked: boolean;
}

/**
 * Serves the inspector on `source`.
 * @throws {@link ListenError} (role `ui`) when it cannot listen
 */
export async function startInspector(source: InspectorSource, options: InspectOptions = {}): Promise<Inspector> {
  const recorder = new Recorder(options.events ?? DEFAULT_UI_EVENTS);
  const host = options.host ?? "127.0.0.1";
  const token = randomBytes(24).toString("base64url");
  const started = Date.now();
  const assets = loadAssets();
  const streams = new Set<Stream>();

  let typesRead = -Infinity;
  let typeIndex = new TypeIndex([]);
  const types = (): TypeIndex => {
    if (Date.now() - typesRead > TYPES_TTL_MS) {
      typeIndex = new TypeIndex(source.functions());
      typesRead = Date.now();
    }
    return typeIndex;
  };

  const detach = source.attach((event, before) => recorder.record(event, before), recorder.capacity);

  const flush = (stream: Stream): void => {
    while (!stream.blocked) {
      const entries = recorder.after(stream.sent, STREAM_CHUNK);
      if (entries.length === 0) return;
      const t = types();
      const data = entries.map((e) => (e.json ??= JSON.stringify(eventView(e.seq, e.event, t, EVENT_JSON_CHARS)))).join(",");
      stream.sent = entries[entries.length - 1].seq;
      if (!stream.res.write(`id: ${stream.sent}\nevent: events\ndata: [${data}]\n\n`)) {
        stream.blocked = true;
        stream.res.once("drain", () => {
          stream.blocked = false;
          flush(stream);
        });
      }
    }
  };
  let flushTimer: NodeJS.Timeout | undefined;
  const stopRecording = recorder.onRecord(() => {
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      for (const stream of streams) flush(stream);
    }, FLUSH_MS);
  });
  const heartbeat = setInterval(() => {
    for (const stream of streams) if (!stream.blocked) stream.res.write(": keep-alive\n\n");
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const info = (): InfoView => ({
    mode: source.mode,
    readOnly: source.actions === undefined,
    title: source.title,
    clock: source.clock,
    now: source.now(),
    capacity: recorder.capacity,
    started,
  });

  const sendTypes = (typename: string, handled: readonly string[], takesAny: boolean, t: TypeIndex): TypeOption[] => {
    const options = new Map<string, TypeOption>();
    const add = (name: string, from: TypeOption["source"]): void => {
      if (options.has(name)) return;
      const declared = t.type(name);
      const kind: TypeOption["kind"] = declared !== undefined ? typeKind(declared) : builtInType(name) !== undefined ? "builtin" : "json";
      options.set(name, { typename: name, kind, source: from });
    };
    for (const name of handled) add(name, "handler");
    if (takesAny) {
      for (const name of recorder.seenTypes(typename)) add(name, "seen");
      for (const type of t.all) if (builtInType(type.typename) === undefined) add(type.typename, "declared");
      for (const name of BUILT_IN_TYPENAMES) add(name, "builtin");
    }
    return [...options.values()];
  };

  const functionsView = (): FunctionsView => {
    const fns = source.functions();
    const t = new TypeIndex(fns);
    const perType = new Map<string, number>();
    for (const ref of source.addresses()) perType.set(ref.typename, (perType.get(ref.typename) ?? 0) + 1);
    const functions = fns.map(
      (f): FunctionView => ({
        typename: f.typename,
        target: f.target,
        states: f.states.map((s) => ({ name: s.name, typename: s.typename, ...(s.expiration ? { expiration: s.expiration } : {}), registered: s.registered })),
        sendTypes: sendTypes(
          f.typename,
          f.messageTypes.map((m) => m.typename),
          f.takesAnyMessage,
          t,
        ),
        takesAnyMessage: f.takesAnyMessage,
        addresses: perType.get(f.typename) ?? 0,
      }),
    );
    return {
      functions,
      graph: recorder.graph(
        fns.map((f) => f.typename),
        source.egresses().map((e) => e.id),
      ),
      routes: source.routes().map((r) => ({ functions: r.functions, target: r.target, from: r.from })),
    };
  };

  const addressesView = (): AddressSummary[] =>
    source.addresses().map((ref) => {
      const a = source.inspectAddress(ref.typename, ref.id);
      return {
        address: addressJson(ref),
        states: a.states.filter((s) => s.value !== null).length,
        queued: a.queued.length,
        inFlight: a.inFlight.length,
        delayed: a.delayed.filter((d) => sameAddress(d.to, ref)).length,
        ...recorder.addressCounts(ref),
      };
    });

  const addressView = (ref: AddressRef): AddressView => {
    const t = types();
    const a = source.inspectAddress(ref.typename, ref.id);
    return {
      address: addressJson(ref),
      states: a.states.map((s) => stateView(ref.typename, s, t)),
      queued: a.queued.map((m) => messageView(m, t)),
      inFlight: a.inFlight.map((m) => messageView(m, t)),
      ...(a.inFlightBatch !== undefined ? { inFlightBatch: a.inFlightBatch } : {}),
      delayed: a.delayed.map((d) => ({
        from: addressJson(d.from),
        to: addressJson(d.to),
        due: d.due,
        ...(d.token !== undefined ? { token: d.token } : {}),
        value: valueOf(d.value, t),
      })),
      deadLetters: source
        .deadLetters()
        .filter((d) => sameAddress(d.to, ref))
        .map((d) => deadLetterView(d, t)),
    };
  };

  const batchView = (id: number): BatchView | undefined => {
    const batch = recorder.batch(id);
    if (batch === undefined) return undefined;
    const t = types();
    const fnType = batch.address.typename;
    const registered = new Map(source.functions().find((f) => f.typename === fnType)?.states.map((s) => [s.name, s.typename]) ?? []);
    const views = (states: StatesBefore): StateView[] =>
      [...states].map(([name, value]) => stateView(fnType, { name, typename: value?.typename ?? registered.get(name) ?? "", value }, t));
    const after = new Map(batch.before ?? []);
    for (const [name, value] of batch.changed) after.set(name, value);
    return { batch: id, address: addressJson(batch.address), ...(batch.before ? { before: views(batch.before) } : {}), after: views(after) };
  };

  const egressView = (): EgressView[] =>
    source.egresses().map((egress) => {
      const records = source.egress(egress.id);
      const groups = new Map<string, { n: number; record: DecodedEgressRecord }[]>();
      records.forEach((record, i) => {
        const topic = topicOf(record);
        let group = groups.get(topic);
        if (group === undefined) groups.set(topic, (group = []));
        group.push({ n: i + 1, record });
      });
      for (const topic of egress.topics ?? []) if (!groups.has(topic)) groups.set(topic, []);
      return {
        id: egress.id,
        kind: egress.kind,
        total: records.length,
        groups: [...groups].map(([topic, list]) => ({
          topic,
          total: list.length,
          records: list
            .slice(-RECORDS_PER_TOPIC)
            .reverse()
            .map(({ n, record }) => ({ n, record: recordView(record) })),
        })),
      };
    });

  const get = (url: URL, req: http.IncomingMessage, res: http.ServerResponse): void => {
    const query = url.searchParams;
    switch (url.pathname) {
      case "/": {
        const body = Buffer.from(pageHtml(token, source.title, assets.has("main.js")), "utf8");
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": body.length });
        res.end(body);
        return;
      }
      case "/api/info":
        json(res, 200, info());
        return;
      case "/api/events": {
        const lastId = req.headers["last-event-id"];
        const after = Number(typeof lastId === "string" ? lastId : (query.get("after") ?? "0"));
        res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
        res.write("retry: 1000\n\n");
        const stream: Stream = { res, sent: Number.isSafeInteger(after) && after >= 0 ? after : 0, blocked: false };
        streams.add(stream);
        req.on("close", () => streams.delete(stream));
        flush(stream);
        return;
      }
      case "/api/event": {
        const entry = recorder.get(Number(query.get("seq")));
        if (entry === undefined) refuse(res, 404, `no event #${query.get("seq")} is kept (the oldest kept is #${recorder.first})`);
        else json(res, 200, eventView(entry.seq, entry.event, types()));
        return;
      }
      case "/api/functions":
        json(res, 200, functionsView());
        return;
      case "/api/addresses":
        json(res, 200, addressesView());
        return;
      case "/api/address": {
        const typename = query.get("type");
        const id = query.get("id");
        if (typename === null || id === null) refuse(res, 400, "an address is ?type=<namespace/name>&id=<id>");
        else json(res, 200, addressView({ typename, id }));
        return;
      }
      case "/api/batch": {
        const batch = batchView(Number(query.get("id")));
        if (batch === undefined) refuse(res, 404, `batch ${query.get("id")} is not kept`);
        else json(res, 200, batch);
        return;
      }
      case "/api/egress":
        json(res, 200, egressView());
        return;
      case "/api/dead-letters":
        json(
          res,
          200,
          source.deadLetters().map((d) => deadLetterView(d, types())),
        );
        return;
    }
    const asset = url.pathname.startsWith("/static/") ? assets.get(url.pathname.slice("/static/".length)) : undefined;
    if (asset === undefined) {
      refuse(res, 404, `nothing at ${url.pathname}`);
      return;
    }
    res.writeHead(200, { "Content-Type": asset.type, "Content-Length": asset.body.length });
    res.end(asset.body);
  };

  const post = async (url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const actions = source.actions;
    if (actions === undefined) {
      refuse(res, 403, "read-only: this is a recorded trace");
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString("utf8"));
    } catch (e) {
      if (e instanceof BodyTooLargeError) refuse(res, 413, e.message);
      else refuse(res, 400, `the body is not JSON: ${(e as Error).message}`);
      return;
    }
    if (url.pathname === "/api/send") {
      const { typename, id, valueType, value } = (body ?? {}) as { readonly [K in keyof SendRequest]?: unknown };
      if (typeof typename !== "string" || typeof id !== "string" || typeof valueType !== "string" || typeof value !== "string") {
        refuse(res, 400, "send takes JSON { typename, id, valueType, value }, all strings");
        return;
      }
      const to = { typename, id };
      // The runtime reports the ingress event as it takes the message: the next one recorded.
      const seq = recorder.last + 1;
      try {
        actions.send(to, encodeTyped(valueType, value, types().type(valueType)));
      } catch (e) {
        if (e instanceof InvalidArgumentError) refuse(res, 400, e.message);
        else if (e instanceof JobFailedError) refuse(res, 409, e.message);
        else throw e;
        return;
      }
      const result: SendResult = { address: to, seq };
      json(res, 200, result);
      return;
    }
    const letter = /^\/api\/dead-letters\/(\d+)\/(retry|discard)$/.exec(url.pathname);
    if (letter === null) {
      refuse(res, 404, `nothing to POST at ${url.pathname}`);
      return;
    }
    const id = Number(letter[1]);
    try {
      if (letter[2] === "retry") actions.retryDeadLetter(id);
      else actions.discardDeadLetter(id);
    } catch (e) {
      if (e instanceof InvalidArgumentError) refuse(res, 404, e.message);
      else if (e instanceof JobFailedError) refuse(res, 409, e.message);
      else throw e;
      return;
    }
    json(
      res,
      200,
      source.deadLetters().map((d) => deadLetterView(d, types())),
    );
  };

  let port = 0;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!hostAllowed(req.headers.host, host, port)) {
      refuse(res, 403, `Host ${JSON.stringify(req.headers.host ?? "")} is refused: open the UI at localhost or an IP address`);
      return;
    }
    const url = new URL(req.url ?? "/", "http://inspector");
    if (req.method === "POST") {
      const refusal = postRefusal(req, token);
      if (refusal !== undefined) {
        refuse(res, 403, refusal);
        return;
      }
      post(url, req, res).catch((e: unknown) => {
        if (!res.headersSent) refuse(res, 500, e instanceof Error ? e.message : String(e));
      });
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, POST");
      refuse(res, 405, `${req.method ?? ""} is not served: GET the UI, POST its changes`);
      return;
    }
    get(url, req, res);
  };

  let server: http.Server;
  try {
    server = await listen("ui", handle, options.port ?? 0, host);
  } catch (e) {
    detach();
    stopRecording();
    clearInterval(heartbeat);
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    close: () => {
      detach();
      stopRecording();
      clearInterval(heartbeat);
      clearTimeout(flushTimer);
      for (const stream of streams) stream.res.end();
      streams.clear();
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** A message's value for the page, decoded with the type a function declares for its typename. */
function valueOf(value: WireTypedValue, t: TypeIndex): ValueView {
  return valueView(value, t.type(value.typename));
}

/** A queued or in-flight message for the page. */
function messageView(m: QueuedMessage, t: TypeIndex): MessageView {
  return { from: m.from === null ? null : addressJson(m.from), value: valueOf(m.value, t) };
}
