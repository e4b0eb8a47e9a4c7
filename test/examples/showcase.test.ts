/** examples/showcase: one test per feature, through the local runtime and the repository's module.yaml. */
import path from "node:path";
import { StateFun } from "../../src";
import { LocalRuntime, type DecodedEgressRecord } from "../../src/local";
import { LocationType, ProfileType, showcaseApp, type Lookup } from "../../examples/showcase/functions";

const MODULE = path.join(__dirname, "..", "..", "module.yaml");

function runtime(lookup?: Lookup): LocalRuntime {
  return new LocalRuntime({ module: MODULE, functions: showcaseApp(new StateFun(), lookup) });
}

function logLines(rt: LocalRuntime): string[] {
  const out: string[] = [];
  for (let line = rt.takeFromTopic("showcase-log"); line !== undefined; line = rt.takeFromTopic("showcase-log")) out.push(line);
  return out;
}

test("types: int and long (a 64-bit total), double (an average), JSON with a schema, protobuf", async () => {
  const rt = runtime();
  rt.send("showcase/types", "t", 7);
  rt.send("showcase/types", "t", 2n ** 53n); // past a double's integers: a long keeps it exact
  rt.send("showcase/types", "t", { name: "Ann", age: 40 }, ProfileType);
  rt.send("showcase/types", "t", { lat: 52.52, lon: 13.405, label: "Berlin" }, LocationType);
  await rt.runUntilIdle();
  expect(rt.state("showcase/types", "t", "count")).toBe(2);
  expect(rt.state("showcase/types", "t", "total")).toBe(2n ** 53n + 7n);
  expect(rt.state("showcase/types", "t", "average")).toBe(Number(2n ** 53n + 7n) / 2);
  expect(rt.state("showcase/types", "t", "profile")).toEqual({ name: "Ann", age: 40 });
  expect(rt.stateValue("showcase/types", "t", "where")?.typename).toBe("type.googleapis.com/showcase.Location");
  expect(rt.state("showcase/types", "t", "where")).toMatchObject({ lat: 52.52, lon: 13.405, label: "Berlin" });
});

test("types: one method per message type; a message of another type fails, naming the typenames they take", async () => {
  const rt = new LocalRuntime({ module: MODULE, functions: showcaseApp(new StateFun()), callTimeoutMs: 10 });
  rt.send("showcase/types", "t", "not a number");
  await expect(rt.runUntilIdle()).rejects.toThrow(
    'showcase/types("t") got a message of type io.statefun.types/string, which none of its handlers takes (they take ' +
      "io.statefun.types/int, io.statefun.types/long, showcase/Profile, type.googleapis.com/showcase.Location)",
  );
});

test("types: a profile that breaks the schema is refused where it is built", () => {
  const rt = runtime();
  expect(() => rt.send("showcase/types", "t", { name: "" }, ProfileType)).toThrow(
    'showcase/Profile cannot encode an object: the value at /name must NOT have fewer than 1 characters (schema rule "minLength" at #/properties/name/minLength)',
  );
});

test("messaging: send to another function, which replies to its caller", async () => {
  const rt = runtime();
  rt.send("showcase/messaging", "m", "hello");
  await rt.runUntilIdle();
  expect(logLines(rt)).toEqual(["echoed: hello"]);
  expect(rt.log.find((e) => e.kind === "deliver" && e.to.typename === "showcase/echo")).toMatchObject({ from: { typename: "showcase/messaging", id: "m" } });
});

test("timer: a delayed message arrives after 10 s; a cancelled one never does", async () => {
  const rt = runtime();
  rt.send("showcase/timer", "a", "arm");
  rt.send("showcase/timer", "b", "arm");
  await rt.runUntilIdle();
  rt.send("showcase/timer", "b", "disarm");
  await rt.advance(10_000);
  expect(logLines(rt)).toEqual(["reminder for a"]);
  expect([rt.state("showcase/timer", "a", "armed"), rt.state("showcase/timer", "b", "armed")]).toEqual([false, false]);
});

test("egress: one record each to Kafka, Kinesis and the playground", async () => {
  const rt = runtime();
  rt.send("showcase/egress", "e", "out");
  await rt.runUntilIdle();
  const only = (records: DecodedEgressRecord[]) => records.map((r) => ("value" in r ? { ...r, value: r.value.toString() } : r));
  expect(only(rt.egress("showcase/kafka"))).toEqual([{ kind: "kafka", topic: "showcase", key: "e", value: "out" }]);
  expect(only(rt.egress("showcase/kinesis"))).toEqual([{ kind: "kinesis", stream: "showcase", partitionKey: "e", explicitHashKey: "", value: "out" }]);
  expect(rt.takeFromTopic("showcase")).toBe("out");
});

test("session: state that expires one minute after the last visit", async () => {
  const rt = runtime();
  for (let i = 0; i < 3; i++) {
    rt.send("showcase/session", "s", "visit");
    await rt.advance(50_000);
  }
  expect(rt.state("showcase/session", "s", "seen")).toBe(3);
  await rt.advance(10_000);
  expect(rt.state("showcase/session", "s", "seen")).toBeNull();
  rt.send("showcase/session", "s", "visit");
  await rt.runUntilIdle();
  expect(rt.state("showcase/session", "s", "seen")).toBe(1);
});

test("async: the batch waits for the lookup; messages to one address stay in order", async () => {
  const calls: string[] = [];
  const lookup: Lookup = async (key) => {
    calls.push(key);
    await new Promise((r) => setImmediate(r));
    return key.toUpperCase();
  };
  const rt = runtime(lookup);
  for (const key of ["a", "b", "c"]) rt.send("showcase/async", "x", key);
  await rt.runUntilIdle();
  expect(calls).toEqual(["a", "b", "c"]);
  expect(logLines(rt)).toEqual(["a → A", "b → B", "c → C"]);
  expect(rt.state("showcase/async", "x", "lookups")).toBe(3);
});
