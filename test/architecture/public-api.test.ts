/**
 * The public API, name by name: what `statefun-ts` and `statefun-ts/testing` export (values and
 * types, read by the TypeScript compiler from the entry points). A name added or removed here
 * is a decision, not an accident. Importing the testing entry does not load ajv; validating a
 * module does.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");

function exportedNames(entry: string): string[] {
  const file = path.join(ROOT, entry);
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true, types: ["node"] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file) as ts.SourceFile;
  const moduleSymbol = checker.getSymbolAtLocation(source) as ts.Symbol;
  return checker.getExportsOfModule(moduleSymbol).map((s) => s.getName()).sort();
}

test("statefun-ts exports the official SDK's names and ours, nothing internal", () => {
  expect(exportedNames("src/index.ts")).toEqual(
    [
      // apache-flink-statefun's public API, under its names
      "Address", "Context", "FunctionOpts", "Message", "StateFun", "Type", "ValueSpecOpts",
      "egressMessageBuilder", "kafkaEgressMessage", "kinesisEgressMessage", "messageBuilder",
      // builders' options and results
      "EgressMessage", "EgressOpts", "KafkaEgressOpts", "KinesisEgressOpts", "MessageOpts",
      // typed state and decorators
      "BindOpts", "BindStateOpts", "DeclValue", "FnOptions", "FunctionMethod", "StateDecl", "StateDecls", "StatefulFunction",
      "StorageOf", "StorageOfState", "UntypedStorage", "ValueOf", "fn",
      // one handler per message type
      "BindHandlersOpts", "HandlerMethod", "MessageHandler", "MessageHandlers",
      // types' options
      "GoogleProtobufClass", "JsonTypeOptions", "ProtobufJsType",
      // errors
      "ConfigurationError", "FunctionInvocationError", "InvalidArgumentError", "MalformedRequestError", "RequestRejectedError",
      "SerializationError", "StateAccessError", "StateFunError", "TypeMismatchError", "UnknownFunctionError",
      // serving and logging
      "DEFAULT_MAX_BODY_BYTES", "EndpointMetrics", "ExpressHandler", "ExpressRequest", "Logger", "ServeOptions", "StateFunOptions",
      "StateFunServer", "TlsOptions", "serve", "silentLogger", "stderrLogger",
    ].sort(),
  );
});

test("statefun-ts/testing exports what its README section uses", () => {
  expect(exportedNames("src/local/index.ts")).toEqual(
    [
      "LocalRuntime", "LocalRuntimeOptions", "EndpointOptions", "EgressKind", "JobFailedError",
      "loadModule", "ModuleError", "StateFunModule",
      "replay", "parseTrace", "Exchange", "ReplayDifference", "ReplayReport",
      "RuntimeEvent", "AddressRef", "formatAddress", "formatEvent", "eventToJson",
      "SavedRuntimeState", "SavedValue", "SavedDeadLetter", "SavedUnreadRecord",
      "DeadLetter", "DeadLetterOptions",
      // inspection (and the UI on it: LocalRuntime.inspect)
      "AddressInspection", "EgressInspection", "FunctionInspection", "FunctionStateInspection", "InspectOptions", "PendingDelayedMessage",
      "QueuedMessage", "RoutingRow", "StateExpiration", "StateInspection",
      "startModuleIo", "ModuleIo", "ModuleIoOptions", "ModuleIoRole", "ListenError",
      "decodeValue", "describeValue", "DecodedEgressRecord", "KafkaRecord", "KinesisRecord", "PlaygroundRecord", "TypedRecord",
      "PLAYGROUND_EGRESS_ID", "PLAYGROUND_EGRESS_RECORD_TYPENAME",
    ].sort(),
  );
});

test("importing statefun-ts/testing does not load ajv; validating a module does", () => {
  const script = `
    const ajvLoaded = () => Object.keys(require.cache).some((k) => k.includes("/node_modules/ajv/"));
    const testing = require("./dist/src/local/index.js");
    const before = ajvLoaded();
    testing.loadModule("module.yaml");
    process.stdout.write(JSON.stringify([before, ajvLoaded()]));`;
  expect(JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT }).toString())).toEqual([false, true]);
});
