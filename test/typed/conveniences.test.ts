/** ctx.reply, the ctx.send shorthand and ctx.egress. */
import { InvalidArgumentError, StateFun, silentLogger } from "../../src";
import { LocalRuntime } from "../../src/local";

const Ping = StateFun.jsonType<{ n: number }>("example/Ping");

function app(): StateFun {
  return new StateFun({ logger: silentLogger })
    .bind({
      typename: "example/client",
      state: { answers: StateFun.intType() },
      fn(ctx, msg) {
        if (msg.is(Ping)) {
          ctx.storage.answers = (ctx.storage.answers ?? 0) + (msg.as(Ping)?.n ?? 0);
          ctx.egress("example/log", `answer ${msg.as(Ping)?.n}`, StateFun.stringType());
        } else if (msg.isInt()) {
          ctx.storage.answers = (ctx.storage.answers ?? 0) + (msg.asInt() ?? 0);
        } else {
          ctx.send({ typename: "example/server", id: "s", value: { n: 1 }, valueType: Ping });
          ctx.send({ typename: "example/server", id: "s", value: "plain" });
        }
      },
    })
    .bind({
      typename: "example/server",
      fn(ctx, msg) {
        if (msg.is(Ping)) ctx.reply({ n: (msg.as(Ping)?.n ?? 0) * 10 }, Ping);
        else ctx.reply(msg.asString() === "plain" ? 5 : 0);
      },
    });
}

test("reply() answers the caller; the send() shorthand builds the message; egress() writes a record", async () => {
  const rt = new LocalRuntime({ functions: app(), egresses: ["example/log"] });
  rt.send("example/client", "c", "start");
  await rt.runUntilIdle();
  const replies = rt.log.filter((e) => e.kind === "message" && e.from.typename === "example/server");
  expect(replies.map((e) => (e.kind === "message" ? [e.to, e.value.typename] : null))).toEqual([
    [{ typename: "example/client", id: "c" }, "example/Ping"],
    [{ typename: "example/client", id: "c" }, "io.statefun.types/int"],
  ]);
  expect(rt.state("example/client", "c", "answers")).toBe(15);
  expect(rt.egress("example/log")).toEqual([{ kind: "typed", typename: "io.statefun.types/string", value: StateFun.stringType().serialize("answer 10") }]);
});

test("reply() to a message from an ingress is an error that says why and what to do instead", async () => {
  const rt = new LocalRuntime({ functions: app(), callTimeoutMs: 50 });
  rt.send("example/server", "s", "plain");
  const failure = rt.runUntilIdle();
  await expect(failure).rejects.toThrow(InvalidArgumentError.name);
  await expect(failure).rejects.toThrow(
    'example/server("s"): reply() needs a caller, but the current message came from an ingress (ctx.caller is null); send to an address with ctx.send({ typename, id, value }) instead',
  );
});
