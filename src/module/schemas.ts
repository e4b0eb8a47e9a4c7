/**
 * The JSON Schema of each component kind's `spec`, as the StateFun 3.3 runtime reads it. Two
 * annotation keywords feed the problem messages: `mismatch` (what a value must be, as a noun
 * phrase) and `hint` (how to write it), plus `unknownHints` on a mapping for properties that
 * belong elsewhere.
 *
 * Unknown properties are problems even though the runtime ignores them: an ignored, misspelled
 * setting is how a timeout silently falls back to its default.
 */
import type { default as Ajv, SchemaObject, ValidateFunction } from "ajv";
import { INT32_MAX } from "../base/int32";

/** The older HTTP endpoint kind: always the okhttp transport, timeouts under `spec.timeouts`. */
export const ENDPOINT_V1 = "io.statefun.endpoints.v1/http";
/** The current HTTP endpoint kind, with a choice of transport under `spec.transport`. */
export const ENDPOINT_V2 = "io.statefun.endpoints.v2/http";
/** A Kafka ingress kind. */
export const KAFKA_INGRESS = "io.statefun.kafka.v1/ingress";
/** A Kafka egress kind. */
export const KAFKA_EGRESS = "io.statefun.kafka.v1/egress";
/** A Kinesis ingress kind. */
export const KINESIS_INGRESS = "io.statefun.kinesis.v1/ingress";
/** A Kinesis egress kind. */
export const KINESIS_EGRESS = "io.statefun.kinesis.v1/egress";
/** The playground image's HTTP ingress kind. */
export const PLAYGROUND_INGRESS = "io.statefun.playground.v1/ingress";
/** The playground image's HTTP egress kind. */
export const PLAYGROUND_EGRESS = "io.statefun.playground.v1/egress";

/** The non-blocking (Netty) transport, the default of a v2 endpoint. */
export const ASYNC_TRANSPORT = "io.statefun.transports.v1/async";
/** The blocking okhttp transport (always used by a v1 endpoint). */
export const OKHTTP_TRANSPORT = "io.statefun.transports.v1/okhttp";

/** A duration as written: a Flink duration string, or a number of milliseconds. */
export type DurationValue = string | number;

/** Client properties: a list of single-entry mappings, which is the only shape the runtime reads. */
export type PropertyList = Record<string, string | number | boolean>[];

/** The okhttp transport's timeouts (also the `timeouts` of a v1 endpoint). */
export interface TimeoutsSpec {
  call?: DurationValue;
  connect?: DurationValue;
  read?: DurationValue;
  write?: DurationValue;
}

/** `spec.transport` of a v2 endpoint; which fields apply depends on `type`. */
export interface TransportSpec {
  type?: typeof ASYNC_TRANSPORT | typeof OKHTTP_TRANSPORT;
  call?: DurationValue;
  connect?: DurationValue;
  pool_ttl?: DurationValue;
  pool_size?: number;
  payload_max_bytes?: number;
  trust_cacerts?: string;
  client_cert?: string;
  client_key?: string;
  client_key_password?: string;
  timeouts?: TimeoutsSpec;
}

/** `spec` of an HTTP endpoint, v1 or v2. */
export interface EndpointSpec {
  functions: string;
  urlPathTemplate: string;
  maxNumBatchRequests?: number;
  maxRetries?: number;
  /** v1 only. */
  timeouts?: TimeoutsSpec;
  /** v2 only. */
  transport?: TransportSpec;
}

/** A topic or stream and where its records go. */
export interface RoutingSpec {
  valueType: string;
  targets: string[];
}

/** `spec` of a Kafka ingress. */
export interface KafkaIngressSpec {
  id: string;
  address: string;
  consumerGroupId?: string;
  autoOffsetResetPosition?: string;
  startupPosition?: {
    type: "earliest" | "latest" | "group-offsets" | "specific-offsets" | "date";
    offsets?: Record<string, number>[];
    date?: string;
  };
  topics: (RoutingSpec & { topic: string })[];
  properties?: PropertyList;
}

/** `spec` of a Kafka egress. */
export interface KafkaEgressSpec {
  id: string;
  address: string;
  deliverySemantic?: {
    type: "at-least-once" | "exactly-once" | "none";
    transactionTimeout?: DurationValue;
    transactionTimeoutMillis?: number;
  };
  properties?: PropertyList;
}

/** AWS region and credentials of the Kinesis components. */
interface AwsSpec {
  awsRegion?: { type: "default" | "specific" | "custom-endpoint"; id?: string; endpoint?: string };
  awsCredentials?: {
    type: "default" | "basic" | "profile";
    accessKeyId?: string;
    secretAccessKey?: string;
    profileName?: string;
    profilePath?: string;
  };
  clientConfigProperties?: PropertyList;
}

/** `spec` of a Kinesis ingress. */
export interface KinesisIngressSpec extends AwsSpec {
  id: string;
  startupPosition?: { type: "earliest" | "latest" | "date"; date?: string };
  streams: (RoutingSpec & { stream: string })[];
}

/** `spec` of a Kinesis egress. */
export interface KinesisEgressSpec extends AwsSpec {
  id: string;
  maxOutstandingRecords?: number;
}

/** `spec` of the playground ingress. */
export interface PlaygroundIngressSpec {
  port: number;
}

/** `spec` of the playground egress. */
export interface PlaygroundEgressSpec {
  port: number;
  topics: string[];
}

/** Each kind's spec type. */
export interface SpecOfKind {
  [ENDPOINT_V1]: EndpointSpec;
  [ENDPOINT_V2]: EndpointSpec;
  [KAFKA_INGRESS]: KafkaIngressSpec;
  [KAFKA_EGRESS]: KafkaEgressSpec;
  [KINESIS_INGRESS]: KinesisIngressSpec;
  [KINESIS_EGRESS]: KinesisEgressSpec;
  [PLAYGROUND_INGRESS]: PlaygroundIngressSpec;
  [PLAYGROUND_EGRESS]: PlaygroundEgressSpec;
}

/** A component kind this validator knows. */
export type Kind = keyof SpecOfKind;


function text(hint: string, mismatch = "a string"): SchemaObject {
  return { type: "string", minLength: 1, mismatch, hint };
}

function typename(hint: string): SchemaObject {
  return text(hint, "a typename such as example/greeter");
}

function duration(hint: string): SchemaObject {
  return { type: ["string", "integer"], minimum: 0, mismatch: "a duration such as 30s, 2 min or 500 ms", hint };
}

function count(hint: string, minimum = 1): SchemaObject {
  return { type: "integer", minimum, maximum: INT32_MAX, mismatch: "a whole number", hint };
}

function mapping(
  properties: Record<string, SchemaObject>,
  required: string[],
  extra: SchemaObject = {},
): SchemaObject {
  return { type: "object", properties, required, additionalProperties: false, mismatch: "a mapping (key: value lines)", ...extra };
}

/** A property that exists for some variants of an object but does nothing in this one. */
function notUsed(context: string, hint: string): SchemaObject {
  return { not: {}, mismatch: context, hint };
}

/**
 * An object with a `type` discriminator: all variants' fields are declared together, each variant
 * requires its own and marks the others as unused.
 */
function variants(
  hint: string,
  fields: Record<string, SchemaObject>,
  cases: Record<string, { requires?: string[]; uses?: string[] }>,
): SchemaObject {
  const types = Object.keys(cases);
  return mapping({ type: { type: "string", enum: types, hint: `use one of: ${types.join(", ")}` }, ...fields }, ["type"], {
    hint,
    allOf: types.map((type) => {
      const uses = new Set([...(cases[type]?.requires ?? []), ...(cases[type]?.uses ?? [])]);
      const unused = Object.keys(fields).filter((field) => !uses.has(field));
      return {
        if: { properties: { type: { const: type } }, required: ["type"] },
        then: {
          required: cases[type]?.requires ?? [],
          properties: Object.fromEntries([
            // Annotation-only schemas: they carry the hint for a missing field and validate nothing.
            ...(cases[type]?.requires ?? []).map((field) => [field, { hint: `${fields[field]?.["hint"]}; type ${type} needs it` }]),
            ...unused.map((field) => [field, notUsed(`with type ${type}`, `remove it, or choose the type that reads it`)]),
          ]),
        },
      };
    }),
  });
}

function clientProperties(what: string, example: string): SchemaObject {
  return {
    type: "array",
    mismatch: "a list of single-entry mappings (- key: value)",
    hint: `${what} client properties are a list with one key: value per item, e.g. "- ${example}"; the cluster cannot read a plain mapping`,
    items: {
      type: "object",
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: { type: ["string", "number", "boolean"], mismatch: "a string, number or true/false", hint: "property values are plain scalars" },
      mismatch: "one key: value entry",
      hint: `write each property as its own list item, e.g. "- ${example}"`,
    },
  };
}

const ENDPOINT_COMMON: Record<string, SchemaObject> = {
  functions: {
    type: "string",
    minLength: 1,
    mismatch: "a function type pattern such as example/greeter or example/*",
    hint: "the function types this endpoint serves: <namespace>/<name>, or <namespace>/* for a whole namespace",
  },
  urlPathTemplate: text(
    "the URL the cluster posts batches to, e.g. http://functions:8000/statefun; {function.name} in it is replaced by the function's name",
    "a URL",
  ),
  maxNumBatchRequests: count("how many messages for one address the cluster buffers while a request is in flight, before backpressure (default 1000)"),
  maxRetries: count("how many times the cluster retries a failed request; -1 (the default) retries until the call timeout", -1),
};

const OKHTTP_TIMEOUT_HINTS = {
  call: "the whole request, retries included (default 1 min)",
  connect: "opening a connection (default 10s)",
  read: "each read from the socket (default 10s)",
  write: "each write to the socket (default 10s)",
};

function timeouts(hint: string): SchemaObject {
  return mapping(
    Object.fromEntries(Object.entries(OKHTTP_TIMEOUT_HINTS).map(([name, what]) => [name, duration(`the timeout for ${what}`)])),
    [],
    { hint },
  );
}


const ASYNC_ONLY = "with transport type io.statefun.transports.v1/okhttp";
const OKHTTP_TIMEOUTS_INSTEAD = "okhttp reads its timeouts from transport.timeouts: { call, connect, read, write }";

const TRANSPORT: SchemaObject = mapping(
  {
    type: {
      type: "string",
      enum: [ASYNC_TRANSPORT, OKHTTP_TRANSPORT],
      hint: `use ${ASYNC_TRANSPORT} (the default) or ${OKHTTP_TRANSPORT}; other transports need a cluster extension`,
    },
    call: duration("the total time for one request, retries and backoff included (default 2 min)"),
    connect: duration("the time to open a connection (default 20s)"),
    pool_ttl: duration("how long a pooled connection lives; 0 disables the pool (default 15s)"),
    pool_size: count("the most pooled connections (default 1024)"),
    payload_max_bytes: count("the largest request or response body in bytes (default 33554432, 32 MiB)"),
    trust_cacerts: text("a PEM file of trusted CA certificates, as a path or classpath:name"),
    client_cert: text("the client certificate for mutual TLS, as a path or classpath:name"),
    client_key: text("the PKCS8 client key for mutual TLS, as a path or classpath:name"),
    client_key_password: text("a file holding the client key's password, as a path or classpath:name"),
    timeouts: timeouts("transport.timeouts: { call, connect, read, write }; the async transport reads call and connect from it (defaults 1 min, 10s) instead of its own"),
  },
  [],
  {
    hint: `transport: { type: ${ASYNC_TRANSPORT}, call: 2 min, connect: 20s }`,
    if: { properties: { type: { const: OKHTTP_TRANSPORT } }, required: ["type"] },
    then: {
      properties: Object.fromEntries(
        ["call", "connect", "pool_ttl", "pool_size", "payload_max_bytes", "trust_cacerts", "client_cert", "client_key", "client_key_password"].map(
          (field) => [field, notUsed(ASYNC_ONLY, field === "call" || field === "connect" ? OKHTTP_TIMEOUTS_INSTEAD : "it is a setting of the async transport; remove it")],
        ),
      ),
    },
    else: {
      properties: {
        timeouts: {
          type: "object",
          properties: Object.fromEntries(
            ["read", "write"].map((field) => [
              field,
              notUsed("by the async transport", "the async transport has call and connect timeouts only; use type io.statefun.transports.v1/okhttp for read and write"),
            ]),
          ),
        },
      },
    },
  },
);

const ENDPOINT_V1_SPEC = mapping(
  { ...ENDPOINT_COMMON, timeouts: timeouts("timeouts: { call: 1 min, connect: 10s, read: 10s, write: 10s }, any of them") },
  ["functions", "urlPathTemplate"],
  { unknownHints: { transport: `transport is read by ${ENDPOINT_V2} only; change the kind, or use timeouts: here` } },
);

const ENDPOINT_V2_SPEC = mapping({ ...ENDPOINT_COMMON, transport: TRANSPORT }, ["functions", "urlPathTemplate"], {
  unknownHints: { timeouts: `a v2 endpoint reads its timeouts from transport:, e.g. transport: { call: 2 min }` },
});

const STARTUP_DATE = text(
  'the date in the form yyyy-MM-dd HH:mm:ss.SSS Z, e.g. "2020-02-01 04:15:00.000 +0000"',
  "a date such as 2020-02-01 04:15:00.000 +0000",
);
const DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} [+-][0-9]{4}$";

function routes(nameKey: "topic" | "stream", what: string): SchemaObject {
  return {
    type: "array",
    minItems: 1,
    mismatch: `a list of ${nameKey}s`,
    hint: `list the ${nameKey}s to read, e.g. - { ${nameKey}: names, valueType: io.statefun.types/string, targets: [example/greeter] }`,
    items: mapping(
      {
        [nameKey]: text(`the ${what} to read`),
        valueType: typename("the typename of the record value, e.g. io.statefun.types/string; functions see it as the message's type"),
        targets: {
          type: "array",
          minItems: 1,
          items: typename("a function type, <namespace>/<name>"),
          mismatch: "a list of function types",
          hint: "the function types that receive each record, e.g. [example/greeter]; the record key is the target id",
        },
      },
      [nameKey, "valueType", "targets"],
      { hint: `each entry is { ${nameKey}, valueType, targets }` },
    ),
  };
}

const AWS_REGION = variants(
  "awsRegion: { type: specific, id: eu-west-1 } (default: the AWS default provider chain)",
  {
    id: text("the region id, e.g. eu-west-1"),
    endpoint: text("the service endpoint URL, e.g. https://localhost:4567"),
  },
  { default: {}, specific: { requires: ["id"] }, "custom-endpoint": { requires: ["endpoint", "id"] } },
);

const AWS_CREDENTIALS = variants(
  "awsCredentials: { type: basic, accessKeyId: ..., secretAccessKey: ... } (default: the AWS default provider chain)",
  {
    accessKeyId: text("the AWS access key id"),
    secretAccessKey: text("the AWS secret access key"),
    profileName: text("the name of the AWS profile"),
    profilePath: text("the path of the AWS profile configuration file"),
  },
  {
    default: {},
    basic: { requires: ["accessKeyId", "secretAccessKey"] },
    profile: { requires: ["profileName"], uses: ["profilePath"] },
  },
);

const INGRESS_ID = typename("the ingress id, <namespace>/<name>, e.g. example/names");
const EGRESS_ID = typename("the egress id functions send to, <namespace>/<name>, e.g. example/greets");
const KAFKA_ADDRESS = text("the Kafka brokers, host:port[,host:port...], e.g. kafka:9092");
const PORT: SchemaObject = { type: "integer", minimum: 1, maximum: 65535, mismatch: "a port number", hint: "a TCP port, e.g. 8090" };

const KAFKA_INGRESS_SPEC = mapping(
  {
    id: INGRESS_ID,
    address: KAFKA_ADDRESS,
    consumerGroupId: text("the Kafka consumer group, e.g. statefun"),
    autoOffsetResetPosition: {
      type: "string",
      pattern: "^(?:[Ll][Aa][Tt][Ee][Ss][Tt]|[Ee][Aa][Rr][Ll][Ii][Ee][Ss][Tt])$",
      mismatch: "latest or earliest",
      hint: "where to start when a stored offset is out of range (default latest)",
    },
    startupPosition: variants(
      "startupPosition: { type: earliest } (default: latest)",
      {
        offsets: {
          type: "array",
          minItems: 1,
          mismatch: "a list of <topic>/<partition>: <offset> entries",
          hint: "one list item per partition, e.g. - names/0: 91",
          items: {
            type: "object",
            minProperties: 1,
            maxProperties: 1,
            propertyNames: { pattern: "^.+/[0-9]+$", mismatch: "a <topic>/<partition> key such as names/0", hint: "e.g. - names/0: 91" },
            additionalProperties: { type: "integer", minimum: 0, mismatch: "an offset (a whole number ≥ 0)", hint: "e.g. - names/0: 91" },
            mismatch: "one <topic>/<partition>: <offset> entry",
            hint: "write each as its own list item, e.g. - names/0: 91",
          },
        },
        date: { ...STARTUP_DATE, pattern: DATE_PATTERN },
      },
      { earliest: {}, latest: {}, "group-offsets": {}, "specific-offsets": { requires: ["offsets"] }, date: { requires: ["date"] } },
    ),
    topics: routes("topic", "Kafka topic"),
    properties: clientProperties("Kafka", "max.poll.records: 500"),
  },
  ["id", "address", "topics"],
);

const KAFKA_EGRESS_SPEC = mapping(
  {
    id: EGRESS_ID,
    address: KAFKA_ADDRESS,
    deliverySemantic: mapping(
      {
        type: { type: "string", enum: ["at-least-once", "exactly-once", "none"], hint: "use at-least-once (the default), exactly-once or none" },
        transactionTimeout: duration("how long a Kafka transaction may stay open, at most the brokers' transaction.max.timeout.ms (15 min by default)"),
        transactionTimeoutMillis: count("deprecated: the transaction timeout in milliseconds; prefer transactionTimeout: 15 min"),
      },
      ["type"],
      {
        hint: "deliverySemantic: { type: exactly-once, transactionTimeout: 15 min }",
        allOf: [
          {
            // The deprecated millisecond form, when present, stands in for transactionTimeout.
            if: { properties: { type: { const: "exactly-once" }, transactionTimeoutMillis: false }, required: ["type"] },
            then: {
              properties: { transactionTimeout: { hint: "e.g. transactionTimeout: 15 min; exactly-once delivery needs it, at most the brokers' transaction.max.timeout.ms" } },
              required: ["transactionTimeout"],
            },
          },
          {
            if: { properties: { type: { enum: ["at-least-once", "none"] } }, required: ["type"] },
            then: {
              properties: {
                transactionTimeout: notUsed("unless type is exactly-once", "only exactly-once delivery uses a transaction timeout; remove it"),
                transactionTimeoutMillis: notUsed("unless type is exactly-once", "only exactly-once delivery uses a transaction timeout; remove it"),
              },
            },
          },
        ],
      },
    ),
    properties: clientProperties("Kafka", "max.poll.records: 500"),
  },
  ["id", "address"],
);

const KINESIS_STARTUP = variants(
  "startupPosition: { type: earliest } (default: latest)",
  { date: { ...STARTUP_DATE, pattern: DATE_PATTERN } },
  { earliest: {}, latest: {}, date: { requires: ["date"] } },
);

const KINESIS_INGRESS_SPEC = mapping(
  {
    id: INGRESS_ID,
    awsRegion: AWS_REGION,
    awsCredentials: AWS_CREDENTIALS,
    startupPosition: KINESIS_STARTUP,
    streams: routes("stream", "Kinesis stream"),
    clientConfigProperties: clientProperties("Kinesis", "SocketTimeout: 9999"),
  },
  ["id", "streams"],
);

const KINESIS_EGRESS_SPEC = mapping(
  {
    id: EGRESS_ID,
    awsRegion: AWS_REGION,
    awsCredentials: AWS_CREDENTIALS,
    maxOutstandingRecords: count("the most records in flight before the producer blocks (default 1000)"),
    clientConfigProperties: clientProperties("Kinesis", "SocketTimeout: 9999"),
  },
  ["id"],
);

const PLAYGROUND_INGRESS_SPEC = mapping({ port: PORT }, ["port"], { hint: "the playground ingress listens for messages on port:" });

const PLAYGROUND_EGRESS_SPEC = mapping(
  {
    port: PORT,
    topics: {
      type: "array",
      minItems: 1,
      items: text("a topic name functions send egress records to"),
      mismatch: "a list of topic names",
      hint: "the topics functions may send to, e.g. topics: [greetings]",
    },
  },
  ["port", "topics"],
  { hint: "the playground egress serves consumed records on port:" },
);

const SCHEMAS: Record<Kind, SchemaObject> = {
  [ENDPOINT_V2]: ENDPOINT_V2_SPEC,
  [ENDPOINT_V1]: ENDPOINT_V1_SPEC,
  [KAFKA_INGRESS]: KAFKA_INGRESS_SPEC,
  [KAFKA_EGRESS]: KAFKA_EGRESS_SPEC,
  [KINESIS_INGRESS]: KINESIS_INGRESS_SPEC,
  [KINESIS_EGRESS]: KINESIS_EGRESS_SPEC,
  [PLAYGROUND_INGRESS]: PLAYGROUND_INGRESS_SPEC,
  [PLAYGROUND_EGRESS]: PLAYGROUND_EGRESS_SPEC,
};

/** Every kind this validator knows, in the order the hint lists them. */
export const KINDS = Object.keys(SCHEMAS) as Kind[];

/** Whether `kind` is one this validator knows. */
export function isKind(kind: string): kind is Kind {
  return Object.prototype.hasOwnProperty.call(SCHEMAS, kind);
}

type Validators = { [K in Kind]: ValidateFunction<SpecOfKind[K]> };

let compiled: Validators | undefined;

/** The compiled validator of each kind; compiled on first use, once per process. */
export function validators(): Validators {
  if (compiled) return compiled;
  // Loaded on first use: importing statefun-ts/testing must not cost ajv's ~25 ms load.
  const { default: AjvClass } = require("ajv") as { default: typeof Ajv };
  const ajv = new AjvClass({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true });
  ajv.addVocabulary(["hint", "mismatch", "unknownHints"]);
  const compile = <K extends Kind>(kind: K): ValidateFunction<SpecOfKind[K]> => ajv.compile<SpecOfKind[K]>(SCHEMAS[kind]);
  compiled = {
    [ENDPOINT_V1]: compile(ENDPOINT_V1),
    [ENDPOINT_V2]: compile(ENDPOINT_V2),
    [KAFKA_INGRESS]: compile(KAFKA_INGRESS),
    [KAFKA_EGRESS]: compile(KAFKA_EGRESS),
    [KINESIS_INGRESS]: compile(KINESIS_INGRESS),
    [KINESIS_EGRESS]: compile(KINESIS_EGRESS),
    [PLAYGROUND_INGRESS]: compile(PLAYGROUND_INGRESS),
    [PLAYGROUND_EGRESS]: compile(PLAYGROUND_EGRESS),
  };
  return compiled;
}
