/**
 * Code written for apache-flink-statefun 3.3.0, in the styles its users write it, with only the
 * import changed. `npm run build` (tsc, strict) type-checks this file, so a change to our public
 * types that would break such code fails the build; the tests check that it also behaves the same.
 *
 * The official SDK types `context.storage` as `any`, so its users read and write state without
 * annotations (`context.storage.seen || 0`, `profile.visits += 1`).
 */
import * as http from "node:http";
import {
  Address,
  Context,
  FunctionOpts,
  Message,
  StateFun,
  Type,
  ValueSpecOpts,
  egressMessageBuilder,
  kafkaEgressMessage,
  messageBuilder,
} from "../../src";
import { addr, request, result, tv } from "../requests";

interface UserLogin {
  user_id: string;
  user_name: string;
}
const UserLoginType = StateFun.jsonType<UserLogin>("my.com/UserLogin");

// A function declared on its own, typed with the official `Context` and `Message`.
async function greeter(context: Context, message: Message): Promise<void> {
  const login = message.as(UserLoginType);
  const name = login === null ? context.self.id : login.user_name;
  let seen = context.storage.seen || 0;
  seen = seen + 1;
  context.storage.seen = seen;
  const profile = context.storage.profile || { visits: 0 };
  profile.visits += 1;
  context.storage.profile = profile;
  const caller: Address | null = context.caller;
  context.send(messageBuilder({ typename: "com.example.fns/inbox", id: name, value: `Hello ${name} for the ${seen}th time!` }));
  context.send(kafkaEgressMessage({ typename: "com.example/greets", topic: "greetings", key: name, value: `hi ${name}` }));
  context.send(egressMessageBuilder({ typename: "com.example/log", value: String(caller?.id), valueType: StateFun.stringType() }));
  context.sendAfter(1000, messageBuilder({ typename: "com.example.fns/inbox", id: name, value: seen }), "reminder");
}

const specs: ValueSpecOpts[] = [
  { name: "seen", type: StateFun.intType() },
  { name: "profile", type: StateFun.jsonType("my.com/Profile"), expireAfterCall: 60_000 },
];
const greeterOpts: FunctionOpts = { typename: "com.example.fns/greeter", fn: greeter, specs };

function app(): StateFun {
  const statefun = new StateFun();
  statefun.bind(greeterOpts);
  statefun.bind({
    typename: "com.example.fns/annotated",
    fn(context: Context, message: Message) {
      let seen = context.storage.seen || 0;
      seen = seen + 1;
      context.storage.seen = seen;
      const asString: Type<string> = StateFun.stringType();
      if (message.is(asString)) context.storage.last = message.asString();
    },
    specs: [
      { name: "seen", type: StateFun.intType() },
      { name: "last", type: StateFun.stringType() },
    ],
  });
  return statefun;
}

test("official-style code compiles against statefun-ts and serves through handler()", () => {
  const server = http.createServer(app().handler());
  expect(typeof server.listen).toBe("function");
});

test("official-style code behaves as it did: state, messages, egress, delayed messages", async () => {
  const reply = result(
    await app().handleRequest(
      request({
        target: addr("com.example.fns/greeter", "u1"),
        state: { seen: tv(StateFun.intType(), 2), profile: null },
        invocations: [
          { caller: addr("com.example.fns/login", "l"), argument: tv(UserLoginType, { user_id: "u1", user_name: "Ann" }) },
        ],
      }),
    ),
  );
  expect(reply.stateMutations.map((m) => [m.stateName, m.stateValue?.value?.toString("hex")])).toEqual([
    ["seen", "0d03000000"],
    ["profile", Buffer.from('{"visits":1}').toString("hex")],
  ]);
  expect(reply.outgoingMessages.map((m) => StateFun.stringType().deserialize(m.argument.value as Buffer))).toEqual([
    "Hello Ann for the 3th time!",
  ]);
  expect(reply.outgoingEgresses.map((e) => `${e.egressNamespace}/${e.egressType}`)).toEqual(["com.example/greets", "com.example/log"]);
  expect(reply.delayedInvocations).toMatchObject([{ delayInMs: 1000, cancellationToken: "reminder" }]);
});

test("an inline function annotated with the untyped Context still reads and writes its states", async () => {
  const reply = result(
    await app().handleRequest(
      request({
        target: addr("com.example.fns/annotated", "x"),
        state: { seen: null, last: null },
        invocations: [{ argument: tv(StateFun.stringType(), "hey") }],
      }),
    ),
  );
  expect(reply.stateMutations.map((m) => m.stateName)).toEqual(["seen", "last"]);
});
