/**
 * What the inspector's server answers and the page reads: the JSON of every route, and the
 * two constants both sides use, so the server (compiled for Node) and the page (compiled for
 * the browser) are checked against the same shapes. It imports nothing.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** An address: a function type and an id. */
export interface AddressJson {
  readonly typename: string;
  readonly id: string;
}

/** How a value was decoded. */
export type ValueKind = "json" | "protobuf" | "builtin" | "custom" | "text" | "bytes";

/** A typed value, decoded for reading. */
export interface ValueView {
  readonly typename: string;
  readonly kind: ValueKind;
  /** The value in one line, as `statefun dev` prints it (clipped). */
  readonly text: string;
  /**
   * The value decoded: JSON and protobuf values as JSON, built-in ones as values (a long as a
   * string of digits), text as a string; absent for bytes that are none of these, or for a
   * value too large to carry here (`truncated`).
   */
  readonly json?: Json;
  /** Its bytes, base64: for bytes that decode as nothing else. */
  readonly base64?: string;
  /** How many bytes it has. */
  readonly size: number;
  /** Why it does not decode as its declared type says. */
  readonly error?: string;
  /** The JSON was left out for its size: ask for the event (`/api/event?seq=`) to have it whole. */
  readonly truncated?: boolean;
}

/** An egress record, decoded. */
export interface RecordView {
  readonly kind: "kafka" | "kinesis" | "playground" | "typed";
  /** The Kafka topic, Kinesis stream or playground topic; absent for a record of another type. */
  readonly topic?: string;
  /** The Kafka key or the Kinesis partition key. */
  readonly key?: string;
  readonly explicitHashKey?: string;
  /** The record's payload: UTF-8 JSON as JSON, text as text, other bytes as bytes. */
  readonly value: ValueView;
}

/** Every kind of event the runtime reports (its `RuntimeEvent` kinds). */
export const EVENT_KINDS = [
  "ingress",
  "deliver",
  "register",
  "message",
  "delayed",
  "cancel",
  "egress",
  "state",
  "retry",
  "fault",
  "restore",
  "failure",
  "dead-letter",
  "dead-letter-retry",
  "dead-letter-discard",
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** One event of the runtime, numbered in the order it happened. */
export interface EventView {
  /** Its number, from 1, one more for each event. */
  readonly seq: number;
  /** Runtime clock, ms. */
  readonly at: number;
  readonly kind: EventKind;
  /** The batch it belongs to: a delivery, what its reply applied, its retries. */
  readonly batch?: number;
  /** The event in one line (the runtime's log line, without the time). */
  readonly text: string;
  /** Where it happened: the receiver of a delivery, the sender of a message or record, the owner of a state. */
  readonly address?: AddressJson;
  /** The sender of a delivery or dead letter; null for an ingress message. */
  readonly from?: AddressJson | null;
  /** The target of a message or delayed message. */
  readonly to?: AddressJson;
  /** The message's value, or a state's new value (null: deleted). */
  readonly value?: ValueView | null;
  /** An egress record. */
  readonly record?: RecordView;
  /** What else the event says, as it says it: token, due time, attempt, reason, error, stack, egress id... */
  readonly detail: { readonly [key: string]: Json };
}

/** What the page shows in its header, and how it keeps up. */
export interface InfoView {
  /** `live`: a running runtime; `trace`: a recorded trace file, read-only. */
  readonly mode: "live" | "trace";
  readonly readOnly: boolean;
  /** What runs: `statefun dev`, a test's LocalRuntime, or the trace file. */
  readonly title: string;
  /** `virtual`: times are ms since the runtime's start; `real`: wall-clock ms. */
  readonly clock: "virtual" | "real";
  readonly now: number;
  /** How many events the server keeps (and the page too), oldest dropped first. */
  readonly capacity: number;
  /** When the server started (wall clock, ms): a page that finds another after reconnecting reloads. */
  readonly started: number;
}

/** A state's time to live. */
export interface ExpirationJson {
  readonly mode: "after-write" | "after-call";
  readonly afterMs: number;
}

/** A type a value can be sent as from the page. */
export interface TypeOption {
  readonly typename: string;
  /** `json`: JSON text; `builtin`: a value of an `io.statefun.types/*` type; the others cannot be sent from the page. */
  readonly kind: "json" | "builtin" | "protobuf" | "custom";
  /** Why it is offered: a handler of the function takes it, it was delivered to it, a function declares it, or it is built in. */
  readonly source: "handler" | "seen" | "declared" | "builtin";
}

/** A function type, with its states and what it takes. */
export interface FunctionView {
  readonly typename: string;
  /** `in-process`, the URL its requests go to, or null when nothing serves it (in a trace: not known). */
  readonly target: string | null;
  readonly states: readonly {
    readonly name: string;
    readonly typename: string;
    readonly expiration?: ExpirationJson;
    readonly registered: boolean;
  }[];
  /** The types its handlers take, then those seen delivered to it, then every other declared type and the built-in ones. */
  readonly sendTypes: readonly TypeOption[];
  /** Whether it takes messages of other types than its handlers'. */
  readonly takesAnyMessage: boolean;
  /** Addresses of this type the runtime knows. */
  readonly addresses: number;
}

/** A node of the traffic graph: the ingresses, a function type, or an egress. */
export interface GraphNode {
  /** `ingress`, the function type, or `egress:<id>`. */
  readonly id: string;
  readonly kind: "ingress" | "function" | "egress";
  readonly label: string;
}

/** Traffic seen from one node to another, counted. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** `ingress`: deliveries of ingress messages; `message`, `delayed`: sent by functions; `egress`: records written. */
  readonly kind: "ingress" | "message" | "delayed" | "egress";
  readonly count: number;
  /** The topics or streams of egress records. */
  readonly topics?: readonly string[];
}

/** `GET /api/functions`. */
export interface FunctionsView {
  readonly functions: readonly FunctionView[];
  readonly graph: { readonly nodes: readonly GraphNode[]; readonly edges: readonly GraphEdge[] };
  /** The routing table, first match first. */
  readonly routes: readonly { readonly functions: string; readonly target: string; readonly from: string }[];
}

/** One row of `GET /api/addresses`. */
export interface AddressSummary {
  readonly address: AddressJson;
  /** States holding a value. */
  readonly states: number;
  readonly queued: number;
  readonly inFlight: number;
  /** Delayed messages pending to it. */
  readonly delayed: number;
  /** Its events among those kept, and when the last happened. */
  readonly events: number;
  readonly lastAt?: number;
}

/** A state of an address. */
export interface StateView {
  readonly name: string;
  readonly typename: string;
  /** Null when it has no value. */
  readonly value: ValueView | null;
  readonly expiresAt?: number;
}

/** A queued or in-flight message. */
export interface MessageView {
  readonly from: AddressJson | null;
  readonly value: ValueView;
}

/** A pending delayed message. */
export interface DelayedView {
  readonly from: AddressJson;
  readonly to: AddressJson;
  readonly due: number;
  readonly token?: string;
  readonly value: ValueView;
}

/** A dead letter. */
export interface DeadLetterView {
  readonly id: number;
  readonly at: number;
  readonly to: AddressJson;
  readonly from: AddressJson | null;
  readonly value: ValueView;
  readonly attempts: number;
  readonly error: string;
  readonly stack?: string;
}

/** `GET /api/address?type=&id=`. */
export interface AddressView {
  readonly address: AddressJson;
  readonly states: readonly StateView[];
  readonly queued: readonly MessageView[];
  readonly inFlight: readonly MessageView[];
  readonly inFlightBatch?: number;
  readonly delayed: readonly DelayedView[];
  readonly deadLetters: readonly DeadLetterView[];
}

/** `GET /api/batch?id=`: a batch's address, and its states before the batch and after its reply. */
export interface BatchView {
  readonly batch: number;
  readonly address: AddressJson;
  /** Absent when not recorded (the batch ran before the inspector was opened). */
  readonly before?: readonly StateView[];
  /** Its states after what the reply applied (those it changed, when `before` is absent). */
  readonly after: readonly StateView[];
}

/** One egress: its records by topic or stream, newest first. */
export interface EgressView {
  readonly id: string;
  readonly kind: string;
  readonly total: number;
  readonly groups: readonly {
    /** The topic or stream; "" for records of no topic. */
    readonly topic: string;
    readonly total: number;
    /** The newest records, at most 200, newest first, each with its number in the egress (from 1). */
    readonly records: readonly { readonly n: number; readonly record: RecordView }[];
  }[];
}

/** `POST /api/send`. */
export interface SendRequest {
  readonly typename: string;
  readonly id: string;
  /** The value's typename. */
  readonly valueType: string;
  /** The value as typed: JSON text for a JSON type; for a built-in type its value (`42`, `true`, text). */
  readonly value: string;
}

/** What `POST /api/send` answers. */
export interface SendResult {
  readonly address: AddressJson;
  /** The number of its ingress event: what follows it shows the delivery and its effects. */
  readonly seq: number;
}

/** What every refused request answers. */
export interface ErrorView {
  readonly error: string;
}

/** The header every POST must carry, with the token the page was served with. */
export const TOKEN_HEADER = "X-Statefun-Token";
