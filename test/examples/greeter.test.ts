/**
 * examples/greeter end to end through the local runtime: in-process, and served over HTTP by
 * `sf.listen()` as a cluster would reach it.
 */
import { silentLogger } from "../../src";
import { LocalRuntime, PLAYGROUND_EGRESS_ID } from "../../src/local";
import { EgressRecordType, GreetRequestType, greeterApp } from "../../examples/greeter/functions";

const playground = { id: PLAYGROUND_EGRESS_ID, kind: "playground" as const, topics: ["greetings"] };
const DAY = 24 * 60 * 60 * 1000;

/** What the playground ingress delivers for `-H "Content-Type: application/vnd.example/GreetRequest" -d '{"name":...}'`. */
function greetRequest(rt: LocalRuntime, name: string): void {
  rt.sendTypedValue({ typename: "example/person", id: name }, { typename: GreetRequestType.typename, hasValue: true, value: Buffer.from(JSON.stringify({ name })) });
}

function greetings(rt: LocalRuntime): string[] {
  const out: string[] = [];
  for (let g = rt.takeFromTopic("greetings"); g !== undefined; g = rt.takeFromTopic("greetings")) out.push(g);
  return out;
}

test("person counts visits per person and greeter writes a greeting to the playground topic", async () => {
  const rt = new LocalRuntime({ functions: greeterApp(), egresses: [playground] });
  for (const name of ["Alice", "Bob", "Alice", "Alice"]) greetRequest(rt, name);
  await rt.runUntilIdle();
  expect(greetings(rt)).toEqual([
    "Hello Alice! Nice to meet you.",
    "Hello Bob! Nice to meet you.",
    "Hello again Alice! Second time today.",
    "Welcome back Alice, visit number 3.",
  ]);
  expect(rt.state("example/person", "Alice", "visits")).toBe(3);
  expect(rt.egress(PLAYGROUND_EGRESS_ID).map((r) => r.kind)).toEqual(["playground", "playground", "playground", "playground"]);
});

test("visits are registered once, with a one-day TTL after the last write", async () => {
  const rt = new LocalRuntime({ functions: greeterApp(), egresses: [playground] });
  greetRequest(rt, "Bob");
  await rt.runUntilIdle();
  expect(rt.log.filter((e) => e.kind === "register")).toEqual([expect.objectContaining({ functionType: "example/person", states: ["visits"] })]);
  await rt.advance(DAY - 1);
  greetRequest(rt, "Bob");
  await rt.runUntilIdle();
  await rt.advance(DAY);
  greetRequest(rt, "Bob");
  await rt.runUntilIdle();
  expect(greetings(rt)).toEqual(["Hello Bob! Nice to meet you.", "Hello again Bob! Second time today.", "Hello Bob! Nice to meet you."]);
});

test("the greeting goes out as a playground EgressRecord", async () => {
  const rt = new LocalRuntime({ functions: greeterApp(), egresses: [playground] });
  greetRequest(rt, "Ann");
  await rt.runUntilIdle();
  const egress = rt.log.find((e) => e.kind === "egress");
  expect(egress).toMatchObject({ egress: PLAYGROUND_EGRESS_ID, record: { kind: "playground", topic: "greetings", payload: "Hello Ann! Nice to meet you." } });
  expect(EgressRecordType.typename).toBe("io.statefun.playground/EgressRecord");
});

test("a message that is not a GreetRequest greets the address's id", async () => {
  const rt = new LocalRuntime({ functions: greeterApp(), egresses: [playground] });
  rt.sendTypedValue({ typename: "example/person", id: "Zed" }, { typename: "io.statefun.types/string", hasValue: true, value: Buffer.from("raw text") });
  await rt.runUntilIdle();
  expect(greetings(rt)).toEqual(["Hello Zed! Nice to meet you."]);
});

test("served over HTTP by sf.listen(), the runtime reaches the same functions as a cluster would", async () => {
  const server = await greeterApp().listen({ port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger });
  try {
    const rt = new LocalRuntime({ endpoints: [{ functions: "example/*", url: server.url }], egresses: [playground] });
    for (const name of ["Alice", "Alice"]) greetRequest(rt, name);
    await rt.runUntilIdle();
    expect(greetings(rt)).toEqual(["Hello Alice! Nice to meet you.", "Hello again Alice! Second time today."]);
    rt.close();
  } finally {
    await server.close();
  }
});
