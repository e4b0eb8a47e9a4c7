/**
 * Type-level checks of the typed API: `npm run build` (tsc, strict) compiles this file, so each
 * `@ts-expect-error` fails the build if the error it expects disappears. The runtime tests
 * check that the typed code also behaves.
 */
import { Context, Message, StateFun, fn, messageBuilder, type StorageOfState } from "../../src";
import { LocalRuntime } from "../../src/local";

interface GreetRequest {
  name: string;
  visits?: number;
}
const GreetRequestType = StateFun.jsonType<GreetRequest>("example/GreetRequest");

// --- bind with states in the record form -------------------------------------------------------

const sf = new StateFun();
sf.bind({
  typename: "example/typed",
  state: {
    visits: StateFun.intType(),
    total: StateFun.longType(),
    last: { type: GreetRequestType, expireAfterWrite: 60_000 },
  },
  fn(ctx, msg) {
    const visits: number | null = ctx.storage.visits;
    const total: bigint | null = ctx.storage.total;
    const last: GreetRequest | null = ctx.storage.last;
    ctx.storage.visits = (visits ?? 0) + 1;
    ctx.storage.total = (total ?? 0n) + 1n;
    ctx.storage.last = msg.as(GreetRequestType);
    void last;
    if (visits === -1) storageTypeErrors(ctx);
  },
});

/** Checked by tsc, never run. */
function storageTypeErrors(ctx: Context<{ visits: number | null; last: GreetRequest | null }>): void {
  // @ts-expect-error: a misspelled state name
  ctx.storage.visit = 1;
  // @ts-expect-error: the wrong value type for an int state
  ctx.storage.visits = "one";
  // @ts-expect-error: a JSON state holds its declared shape
  ctx.storage.last = { nom: "x" };
}

// --- typed messages (checked by tsc, never run) ------------------------------------------------

function messages(ctx: Context, msg: Message): void {
  const request: GreetRequest | null = msg.as(GreetRequestType);
  // @ts-expect-error: as() is typed by the type
  const wrong: number | null = msg.as(GreetRequestType);
  void request;
  void wrong;
  ctx.send(messageBuilder({ typename: "example/greeter", id: "a", value: { name: "Ann" }, valueType: GreetRequestType }));
  // @ts-expect-error: the value must be a GreetRequest when valueType says so
  ctx.send(messageBuilder({ typename: "example/greeter", id: "a", value: { nom: "Ann" }, valueType: GreetRequestType }));
  ctx.send({ typename: "example/greeter", id: "a", value: { name: "Ann", visits: 2 }, valueType: GreetRequestType });
  // @ts-expect-error: the shorthand checks the value against valueType too
  ctx.send({ typename: "example/greeter", id: "a", value: 42, valueType: GreetRequestType });
  ctx.reply({ name: "Ann" }, GreetRequestType);
  // @ts-expect-error: reply() checks the value against its type
  ctx.reply("Ann", GreetRequestType);
  ctx.egress("example/out", 7, StateFun.intType());
  // @ts-expect-error: egress() checks the value against its type
  ctx.egress("example/out", "seven", StateFun.intType());
}
void messages;

// --- decorators ------------------------------------------------------------------------------

const personState = { visits: StateFun.intType() };

class Greeting {
  greeted: string[] = [];

  @fn("example/person", { state: personState })
  person(ctx: Context<StorageOfState<typeof personState>>, msg: Message): void {
    const visits = (ctx.storage.visits ?? 0) + 1;
    ctx.storage.visits = visits;
    ctx.send({ typename: "example/greeter", id: ctx.self.id, value: { name: msg.as(GreetRequestType)?.name ?? ctx.self.id, visits }, valueType: GreetRequestType });
  }

  @fn("example/greeter")
  greeter(_ctx: Context, msg: Message): void {
    const request = msg.as(GreetRequestType);
    if (request) this.greeted.push(`${request.name} #${request.visits}`);
  }
}

class Mismatched {
  // @ts-expect-error: the method's storage has a state the decorator does not declare
  @fn("example/x", { state: { visits: StateFun.intType() } })
  misspelled(_ctx: Context<{ visit: number | null }>, _msg: Message): void {}

  // @ts-expect-error: the method's storage holds another type than the decorator declares
  @fn("example/y", { state: { visits: StateFun.intType() } })
  wrongType(_ctx: Context<{ visits: string | null }>, _msg: Message): void {}
}
void Mismatched;

test("record-form states and decorated methods run as declared", async () => {
  const greeting = new Greeting();
  const app = new StateFun().register(greeting);
  expect(app.functionTypes).toEqual(["example/person", "example/greeter"]);
  const rt = new LocalRuntime({ functions: app });
  rt.send("example/person", "Ann", { name: "Ann" }, GreetRequestType);
  rt.send("example/person", "Ann", { name: "Ann" }, GreetRequestType);
  await rt.runUntilIdle();
  expect(greeting.greeted).toEqual(["Ann #1", "Ann #2"]); // `this` is the registered instance
  expect(rt.state("example/person", "Ann", "visits")).toBe(2);
});

test("the record form registers the same specs as the list form, TTLs included", async () => {
  const rt = new LocalRuntime({ functions: sf });
  rt.send("example/typed", "a", { name: "Bo" }, GreetRequestType);
  await rt.runUntilIdle();
  expect(rt.registeredStates("example/typed")).toEqual(["visits", "total", "last"]);
  expect(rt.state("example/typed", "a", "last")).toEqual({ name: "Bo" });
  await rt.advance(60_000);
  expect(rt.state("example/typed", "a", "last")).toBeNull();
  expect(rt.state("example/typed", "a", "total")).toBe(1n);
});
