/** examples/greeter end to end over a loopback HTTP server. */
import { StateFun, silentLogger, type StateFunServer } from "../../src";
import { decodeKafkaProducerRecord } from "../../src/wire/codec";
import { playCluster } from "../../examples/greeter/demo-cluster";
import { greeterApp, GreetRequestType } from "../../examples/greeter/functions";
import { addr, decodeReply, request, result, tv } from "../cluster";

let server: StateFunServer;
let url: string;
const sf = greeterApp();
beforeAll(async () => {
  server = await sf.listen({ port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
  url = server.url;
});
afterAll(() => server.close());

async function post(body: Uint8Array): Promise<Buffer> {
  const res = await fetch(url, { method: "POST", body });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

test("person asks the cluster to register its visits state, with a one-day TTL", async () => {
  const reply = decodeReply(await post(request({ target: addr("example/person", "Ann"), invocations: [{ argument: tv(StateFun.stringType(), "Ann") }] })));
  expect(reply.incompleteInvocationContext?.missingValues).toEqual([
    { stateName: "visits", typeTypename: "io.statefun.types/int", expirationSpec: { mode: 1, expireAfterMillis: 86_400_000 } },
  ]);
});

test("person counts visits and sends a GreetRequest to greeter", async () => {
  const reply = result(
    await post(
      request({
        target: addr("example/person", "Ann"),
        state: { visits: tv(StateFun.intType(), 4) },
        invocations: [{ argument: tv(StateFun.stringType(), "Ann") }],
      }),
    ),
  );
  expect(StateFun.intType().deserialize(reply.stateMutations[0].stateValue!.value!)).toBe(5);
  expect(reply.outgoingMessages).toEqual([
    { target: addr("example/greeter", "Ann"), argument: tv(GreetRequestType, { name: "Ann", visits: 5 }) },
  ]);
});

test("greeter writes the greeting to the Kafka egress, keyed by name", async () => {
  const reply = result(
    await post(
      request({
        target: addr("example/greeter", "Ann"),
        invocations: [{ caller: addr("example/person", "Ann"), argument: tv(GreetRequestType, { name: "Ann", visits: 2 }) }],
      }),
    ),
  );
  expect(reply.outgoingEgresses).toHaveLength(1);
  const egress = reply.outgoingEgresses[0];
  expect([egress.egressNamespace, egress.egressType]).toEqual(["example", "greets"]);
  const record = decodeKafkaProducerRecord(egress.argument.value!);
  expect({ ...record, valueBytes: Buffer.from(record.valueBytes).toString() }).toEqual({
    key: "Ann",
    topic: "greetings",
    valueBytes: "Hello again Ann! Second time today.",
  });
});

test("the demo conversation: state registered once, visits counted per person, greetings in order", async () => {
  const lines = await playCluster(url, ["Alice", "Bob", "Alice"]);
  expect(lines.filter((l) => l.includes("egress"))).toEqual([
    "example/greeter(Alice) → egress example/greets topic greetings: Hello Alice! Nice to meet you.",
    "example/greeter(Bob) → egress example/greets topic greetings: Hello Bob! Nice to meet you.",
    "example/greeter(Alice) → egress example/greets topic greetings: Hello again Alice! Second time today.",
  ]);
  expect(lines.filter((l) => l.includes("register"))).toHaveLength(1);
});
