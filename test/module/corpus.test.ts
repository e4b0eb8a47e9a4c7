import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateModuleText } from "../../src/module";

/**
 * Every file of the corpus and exactly the problems it has, as `line:column message`. Valid
 * files have none. Hints are not pinned here (they are prose), but each problem must have one.
 */
const EXPECTED: Record<string, string[]> = {
  "bad-durations.yaml": [
    "6:11 spec.transport.call \"2 fortnights\" is not a duration: unknown unit \"fortnights\"",
    "7:14 spec.transport.connect \"1.5s\" is not a duration: unknown unit \".5s\"",
    "8:15 spec.transport.pool_ttl must be at least 0, not -5",
    "15:11 spec.timeouts.call must be longer than 0",
    "16:14 spec.timeouts.connect \"ten seconds\" is not a duration: it must start with a whole number",
    "17:11 spec.timeouts.read \"1h30m\" is not a duration: unknown unit \"h30m\"",
    "18:12 spec.timeouts.write \"5 mins\" is not a duration: unknown unit \"mins\"",
    "26:25 spec.deliverySemantic.transactionTimeout \"15 minutes please\" is not a duration: unknown unit \"minutes please\"",
  ],
  "bad-function-patterns.yaml": [
    "3:14 spec.functions \"example/greet*\" is not a function pattern: * must be the whole name",
    "8:14 spec.functions \"ex*/greeter\" is not a function pattern: a namespace cannot contain *",
    "13:14 spec.functions \"example\" is not a function pattern: it has no \"/\"",
    "18:14 spec.functions \"*/*\" is not a function pattern: a namespace cannot contain *",
  ],
  "bad-typenames.yaml": [
    "8:7 spec.id \"names\" is not a typename: it has no \"/\"",
    "12:18 spec.topics[0].valueType \"string\" is not a typename: it has no \"/\"",
    "14:11 spec.topics[0].targets[0] \"greeter\" is not a typename: it has no \"/\"",
    "15:11 spec.topics[0].targets[1] \"example/a/b\" is not a typename: it has more than one \"/\"",
    "16:11 spec.topics[0].targets[2] \"/greeter\" is not a typename: its namespace or name is empty",
    "17:11 spec.topics[0].targets[3] \"example/\" is not a typename: its namespace or name is empty",
    "21:7 spec.id \"greets\" is not a typename: it has no \"/\"",
    "26:7 spec.id \"a//b\" is not a typename: it has more than one \"/\"",
  ],
  "bad-urls.yaml": [
    "4:20 spec.urlPathTemplate \"functions:8000/statefun\" must start with http:// or https://, not functions:",
    "9:20 spec.urlPathTemplate \"http://functions:8000/{function.type}\" has the unknown placeholder {function.type}",
    "14:20 spec.urlPathTemplate \"ftp://functions/statefun\" must start with http:// or https://, not ftp:",
    "19:20 spec.urlPathTemplate \"http://functions:8000/state fun\" contains \" \", which a URL cannot",
    "24:20 spec.urlPathTemplate \"/statefun\" is not a URL",
    "29:20 spec.urlPathTemplate \"http://functions:99999/statefun\" is not a URL",
  ],
  "duplicate-ids.yaml": [
    "8:14 duplicate endpoint for example/*: already declared at 3:14",
    "20:7 duplicate ingress id example/in: already declared at 13:7",
    "31:7 duplicate egress id example/out: already declared at 26:7",
    "38:7 duplicate egress id io.statefun.playground/egress: already declared at 33:7",
  ],
  "empty.yaml": [
    "1:1 the module has no components",
  ],
  "kafka-variants.yaml": [
    "10:28 spec.autoOffsetResetPosition must be latest or earliest, not \"newest\"",
    "11:3 spec.startupPosition is missing date",
    "23:9 spec.startupPosition.offsets[0] has the key \"orders\", which must be a <topic>/<partition> key such as names/0",
    "24:19 spec.startupPosition.offsets[1].orders/1 must be at least 0, not -3",
    "25:5 spec.startupPosition.date is not used with type specific-offsets",
    "29:5 spec.properties must be a list of single-entry mappings (- key: value), not a mapping",
    "37:11 spec.startupPosition.date must be a date such as 2020-02-01 04:15:00.000 +0000, not \"2020-02-01 04:15:00.00 Z\"",
    "46:11 spec.startupPosition.type must be one of earliest, latest, group-offsets, specific-offsets, date, not \"from-the-beginning\"",
    "54:3 spec.deliverySemantic is missing transactionTimeout",
    "63:5 spec.deliverySemantic.transactionTimeout is not used unless type is exactly-once",
    "71:31 spec.deliverySemantic.transactionTimeoutMillis must be a whole number, not \"15min\"",
  ],
  "kinesis-variants.yaml": [
    "9:3 spec.awsRegion is missing id",
    "11:3 spec.awsCredentials is missing secretAccessKey",
    "15:11 spec.startupPosition.type must be one of earliest, latest, date, not \"group-offsets\"",
    "16:12 spec.streams must not be empty",
    "21:3 spec.awsRegion is missing endpoint",
    "27:5 spec.awsCredentials.accessKeyId is not used with type profile",
    "29:7 spec.clientConfigProperties[0] must be one key: value entry",
    "31:7 spec.clientConfigProperties[1] must be one key: value entry",
    "36:14 spec.awsRegion must be a mapping (key: value lines), not \"eu-west-1\"",
    "38:11 spec.awsCredentials.type must be one of default, basic, profile, not \"anonymous\"",
  ],
  "legacy-format.yaml": [
    "2:1 this is the StateFun 2.x module format (version: and module:)",
  ],
  "missing-required.yaml": [
    "2:1 spec is missing urlPathTemplate",
    "6:1 spec is missing id",
    "9:7 spec.topics[0] is missing valueType",
    "13:1 spec is missing topics",
    "17:1 spec is missing streams",
    "21:1 spec is missing address",
  ],
  "multi-doc-problems.yaml": [
    "3:14 spec.functions \"example/greet*\" is not a function pattern: * must be the whole name",
    "21:1 spec is missing address",
    "23:3 spec.deliverySemantic is missing transactionTimeout",
    "29:3 unknown property spec.host",
  ],
  "no-endpoints.yaml": [
    "9:17 spec.topics[0].targets[0] example/greeter is not served by any endpoint",
  ],
  "not-components.yaml": [
    "1:1 a component must be a mapping with kind: and spec:, not a list",
    "3:1 a component must be a mapping with kind: and spec:, not \"just a string\"",
    "6:7 spec must be a mapping (key: value lines), not \"http://functions:8000/statefun\"",
    "8:1 the component has no spec",
    "11:1 the component has no spec",
  ],
  "playground-ports.yaml": [
    "12:9 spec.port 8090 is also the port of the playground ingress at 8:9",
    "15:7 duplicate ingress id io.statefun.playground/ingress: already declared at 6:7",
    "17:9 spec.port must be at most 65535, not 70000",
    "19:7 duplicate egress id io.statefun.playground/egress: already declared at 10:7",
    "21:9 spec.port must be at least 1, not 0",
    "22:11 spec.topics must not be empty",
  ],
  "targets-not-served.yaml": [
    "18:34 spec.topics[0].targets[1] other/fn is not served by any endpoint",
    "18:44 spec.topics[0].targets[2] billing/refund is not served by any endpoint",
    "26:17 spec.streams[0].targets[0] Example/greeter is not served by any endpoint",
  ],
  "timeouts-over-call.yaml": [
    "10:16 spec.transport.timeouts.connect (30s) is longer than spec.transport.timeouts.call (10s)",
    "18:11 spec.timeouts.call (5s) is shorter than the default connect, read and write timeouts (10s)",
    "25:12 spec.timeouts.write (2 min) is longer than the default call timeout (1 min)",
    "33:14 spec.transport.connect (90 s) is longer than spec.transport.call (1 min)",
  ],
  "transport-misuse.yaml": [
    "7:5 spec.transport.call is not used with transport type io.statefun.transports.v1/okhttp",
    "8:5 spec.transport.pool_size is not used with transport type io.statefun.transports.v1/okhttp",
    "17:7 spec.transport.timeouts.read is not used by the async transport",
    "18:5 spec.transport.call is ignored: spec.transport.timeouts takes precedence",
    "25:11 spec.transport.type must be one of io.statefun.transports.v1/async, io.statefun.transports.v1/okhttp, not \"io.statefun.transports.v2/grpc\"",
    "32:16 spec.transport.pool_size must be at least 1, not 0",
    "33:24 spec.transport.payload_max_bytes must be at most 2147483647, not 4294967296",
    "40:5 spec.transport.call is ignored: spec.transport.timeouts takes precedence",
    "42:16 spec.transport.timeouts.connect (2 min) is longer than the default call timeout (1 min)",
  ],
  "unknown-kind.yaml": [
    "1:7 unknown kind \"io.statefun.endpoints.v3/http\"",
    "6:7 unknown kind \"com.example/redis-ingress\"",
    "10:7 kind must be a component kind such as io.statefun.endpoints.v2/http, not 42",
    "13:1 the component has no kind",
  ],
  "unknown-properties.yaml": [
    "2:1 spec is missing urlPathTemplate",
    "4:3 unknown property spec.urlPathTemplte",
    "10:3 unknown property spec.timeouts",
    "17:3 unknown property spec.transport",
    "21:1 unknown property specs",
    "29:3 unknown property spec.deliverySemantics",
    "31:3 unknown property spec.color",
  ],
  "valid-exact-and-wildcard.yaml": [],
  "valid-kafka-options.yaml": [],
  "valid-kinesis.yaml": [],
  "valid-playground.yaml": [],
  "valid-transports.yaml": [],
  "valid-v1.yaml": [],
  "valid-v2-async.yaml": [],
  "valid-v2-okhttp.yaml": [],
  "wrong-types.yaml": [
    "4:20 spec.urlPathTemplate must be a URL, not a list",
    "5:24 spec.maxNumBatchRequests must be a whole number, not \"many\"",
    "9:9 spec.port must be a port number, not \"8090\"",
    "14:12 spec.address must be a string, not 9092",
    "16:5 spec.topics must be a list of topics, not a mapping",
    "25:16 spec.streams[0].targets must be a list of function types, not \"example/greeter\"",
    "30:26 spec.maxOutstandingRecords must be at least 1, not 0",
  ],
  "yaml-syntax.yaml": [
    "5:3 YAML syntax: Map keys must be unique",
    "9:1 YAML syntax: Tabs are not allowed as indentation",
    "16:1 YAML syntax: Flow map in block collection must be sufficiently indented and end with a }",
    "23:1 YAML syntax: Missing closing \"quote",
  ],

};

const CORPUS = join(__dirname, "corpus");

describe("module.yaml corpus", () => {
  test("the table covers every corpus file", () => {
    expect(readdirSync(CORPUS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.entries(EXPECTED))("%s", (file, expected) => {
    const { module, problems } = validateModuleText(readFileSync(join(CORPUS, file), "utf8"), file);
    expect(problems.map((p) => `${p.position.line}:${p.position.column} ${p.message}`)).toEqual(expected);
    for (const problem of problems) {
      expect(problem.position.file).toBe(file);
      expect(problem.hint).toMatch(/\S/);
    }
    expect(module === null).toBe(expected.length > 0);
  });
});
