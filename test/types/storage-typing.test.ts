/**
 * Type-level checks: `npm run build` (tsc) compiles this file, so each `@ts-expect-error` below
 * fails the build if the error it expects disappears. The runtime test only keeps jest happy.
 */
import { StateFun, messageBuilder, type Context } from "../../src";

const sf = new StateFun();

sf.bind({
  typename: "example/typed",
  specs: [
    { name: "visits", type: StateFun.intType() },
    { name: "total", type: StateFun.longType() },
    { name: "profile", type: StateFun.jsonType<{ name: string }>("example/Profile") },
  ],
  fn(context, message) {
    const visits: number | null = context.storage.visits;
    const total: bigint | null = context.storage.total;
    const name: string | undefined = context.storage.profile?.name;
    context.storage.visits = (visits ?? 0) + 1;
    context.storage.total = (total ?? 0n) + 1n;
    context.storage.profile = null;
    // @ts-expect-error: a misspelled state name
    context.storage.visit = 1;
    // @ts-expect-error: the wrong value type
    context.storage.visits = "one";
    // @ts-expect-error: a long state holds bigints
    context.storage.total = "1";
    const long: bigint | null = message.asLong();
    context.send(messageBuilder({ typename: "example/other", id: name ?? "x", value: long ?? 0n }));
  },
});

// A function written against the untyped default Context still binds.
function untyped(context: Context, message: { asString(): string | null }): void {
  void context.storage;
  void message.asString();
}
sf.bind({ typename: "example/untyped", fn: untyped });

test("storage types are checked by tsc (see the @ts-expect-error lines)", () => {
  expect(sf.functionTypes).toEqual(["example/typed", "example/untyped"]);
});
