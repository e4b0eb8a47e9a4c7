/**
 * A LocalRuntime driven by a module.yaml: playground ingress and egress as HTTP servers, Kafka
 * and Kinesis ingresses through the broker stand-in, Kafka egress records captured decoded.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { StateFun, egressMessageBuilder, kafkaEgressMessage, kinesisEgressMessage, silentLogger } from "../../src";
import { ListenError, LocalRuntime, PLAYGROUND_EGRESS_ID, startModuleIo, type ModuleIo } from "../../src/local";
import { send } from "../http/client";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const Hello = StateFun.jsonType<{ from: string }>("example/Hello");
const Record = StateFun.jsonType<{ topic: string; payload: string }>("io.statefun.playground/EgressRecord");

const sf = new StateFun({ logger: silentLogger }).bind({
  typename: "example/hello",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(ctx, msg) {
    const count = (ctx.storage.count ?? 0) + 1;
    ctx.storage.count = count;
    const from = msg.is(Hello) ? (msg.as(Hello)?.from ?? "?") : msg.valueTypeName;
    ctx.send(egressMessageBuilder({ typename: PLAYGROUND_EGRESS_ID, value: { topic: "out", payload: `hello ${ctx.self.id} #${count} via ${from}` }, valueType: Record }));
    ctx.send(kafkaEgressMessage({ typename: "example/kout", topic: "hellos", key: ctx.self.id, value: `hello ${ctx.self.id}` }));
    ctx.send(kinesisEgressMessage({ typename: "example/sout", stream: "waves", partitionKey: ctx.self.id, hashKey: "7", value: `wave ${count}` }));
  },
});

let dir: string;
let rt: LocalRuntime;
let io: ModuleIo;
let base: { ingress: string; egress: string; broker: string };

beforeAll(async () => {
  const [ingress, egress, broker] = await Promise.all([freePort(), freePort(), freePort()]);
  dir = mkdtempSync(path.join(os.tmpdir(), "statefun-module-"));
  const file = path.join(dir, "module.yaml");
  writeFileSync(
    file,
    `kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: ${ingress}
---
kind: io.statefun.playground.v1/egress
spec:
  port: ${egress}
  topics: [out]
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: example/kin
  address: kafka:9092
  topics:
    - topic: names
      valueType: example/Hello
      targets: [example/hello]
---
kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/clicks
  streams:
    - stream: clicks
      valueType: example/Hello
      targets: [example/hello]
---
kind: io.statefun.kafka.v1/egress
spec:
  id: example/kout
  address: kafka:9092
---
kind: io.statefun.kinesis.v1/egress
spec:
  id: example/sout
`,
  );
  rt = new LocalRuntime({ module: file, functions: sf });
  io = await startModuleIo(rt, rt.module!, { host: "127.0.0.1", brokerPort: broker });
  base = { ingress: `http://127.0.0.1:${ingress}`, egress: `http://127.0.0.1:${egress}`, broker: `http://127.0.0.1:${broker}` };
});

afterAll(async () => {
  await io.close();
  rt.close();
  rmSync(dir, { recursive: true, force: true });
});

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

test("the servers listen on the module's ports", () => {
  expect(io.ports).toEqual({ ingress: Number(new URL(base.ingress).port), egress: Number(new URL(base.egress).port), broker: Number(new URL(base.broker).port) });
});

test("playground ingress: any method on /<namespace>/<type>/<id>, typed by application/vnd.<typename>; 500 for another path", async () => {
  const put = await send(`${base.ingress}/example/hello/ann`, { method: "PUT", headers: { "Content-Type": "application/vnd.example/Hello" }, body: json({ from: "playground" }) });
  expect(put.status).toBe(200);
  expect((await send(`${base.ingress}/example/hello`, { method: "POST", body: json({}) })).status).toBe(500);
  // A type no in-process function binds and no endpoint pattern covers.
  expect((await send(`${base.ingress}/other/nobody/x`, { method: "POST", body: json({}) })).status).toBe(404);
  const typo = await send(`${base.ingress}/exmple/hello/x`, { method: "POST", body: json({}) });
  expect([typo.status, typo.body.toString()]).toEqual([404, "no function type exmple/hello is served by this application; did you mean example/hello?"]);
  await rt.runUntilIdle();
  const got = await send(`${base.egress}/out`, { method: "GET" });
  expect([got.status, got.body.toString()]).toEqual([200, "hello ann #1 via playground"]);
  expect((await send(`${base.egress}/out`, { method: "GET" })).status).toBe(404);
  expect((await send(`${base.egress}/undeclared`, { method: "GET" })).status).toBe(405);
});

test("Kafka and Kinesis ingresses through the broker stand-in: the key is the target id, valueType the typename", async () => {
  const kafka = await send(`${base.broker}/kafka/names`, { method: "POST", headers: { "X-Kafka-Key": "bob" }, body: json({ from: "kafka" }) });
  const kinesis = await send(`${base.broker}/kinesis/clicks`, { method: "POST", headers: { "X-Kinesis-Partition-Key": "bob" }, body: json({ from: "kinesis" }) });
  expect([kafka.status, kinesis.status]).toEqual([200, 200]);
  await rt.runUntilIdle();
  const payloads = [await send(`${base.egress}/out`, { method: "GET" }), await send(`${base.egress}/out`, { method: "GET" })].map((a) => a.body.toString());
  expect(payloads).toEqual(["hello bob #1 via kafka", "hello bob #2 via kinesis"]);
  expect(rt.state("example/hello", "bob", "count")).toBe(2);
});

test("the broker stand-in refuses a record without a key, or for a topic no ingress reads", async () => {
  const keyless = await send(`${base.broker}/kafka/names`, { method: "POST", body: json({}) });
  expect([keyless.status, keyless.body.toString()]).toEqual([400, "a kafka record needs a key: it becomes the target id (header x-kafka-key)"]);
  const unknown = await send(`${base.broker}/kafka/other`, { method: "POST", headers: { "X-Kafka-Key": "k" }, body: json({}) });
  expect([unknown.status, unknown.body.toString()]).toEqual([404, 'no kafka ingress reads "other"']);
});

test("Kafka egress records are captured, decoded", async () => {
  await rt.runUntilIdle();
  const records = rt.egress("example/kout");
  expect(records.length).toBeGreaterThanOrEqual(3);
  expect(records[0]).toEqual({ kind: "kafka", topic: "hellos", key: "ann", value: Buffer.from("hello ann") });
});

test("the broker stand-in serves what Kafka and Kinesis egresses wrote: GET takes the oldest unread record, its key in a header", async () => {
  await send(`${base.ingress}/example/hello/zo%C3%AB`, { method: "PUT", headers: { "Content-Type": "application/vnd.example/Hello" }, body: json({ from: "x" }) });
  await rt.runUntilIdle();
  const take = async (path: string): Promise<[number, string | undefined, string]> => {
    const got = await send(`${base.broker}${path}`, { method: "GET" });
    const key = got.headers["x-kafka-key"] ?? got.headers["x-kinesis-partition-key"];
    return [got.status, typeof key === "string" ? key : undefined, got.body.toString()];
  };
  const hellos: [number, string | undefined, string][] = [];
  for (let answer = await take("/kafka/hellos"); answer[0] === 200; answer = await take("/kafka/hellos")) hellos.push(answer);
  expect(hellos).toEqual([
    [200, "ann", "hello ann"],
    [200, "bob", "hello bob"],
    [200, "bob", "hello bob"],
    [200, "zo%C3%AB", "hello zoë"], // a key that is not printable ASCII is percent-encoded
  ]);
  expect(await take("/kafka/hellos")).toEqual([404, undefined, 'no unread record on Kafka topic "hellos"']);
  const wave = await send(`${base.broker}/kinesis/waves`, { method: "GET" });
  expect([wave.status, wave.headers["x-kinesis-partition-key"], wave.headers["x-kinesis-explicit-hash-key"], wave.body.toString()]).toEqual([200, "ann", "7", "wave 1"]);
  const put = await send(`${base.broker}/kafka/hellos`, { method: "PUT", body: json({}) });
  expect([put.status, put.headers.allow]).toEqual([405, "GET, POST"]);
});

test("a port in use names the server and the port", async () => {
  const taken = Number(new URL(base.ingress).port);
  const error = await startModuleIo(rt, rt.module!, { host: "127.0.0.1", ingressPort: taken }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ListenError);
  expect(error).toMatchObject({ role: "ingress", port: taken, code: "EADDRINUSE", message: `the playground ingress cannot listen on port ${taken}: another process is using it (EADDRINUSE)` });
});
