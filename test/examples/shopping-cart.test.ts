/**
 * examples/shopping-cart end to end through the local runtime, with the repository's
 * module.yaml (its Kafka ingresses and the receipts egress) and virtual time.
 */
import path from "node:path";
import { LocalRuntime, type KafkaRecord } from "../../src/local";
import { ABANDON_AFTER_MS, CartCommandType, RestockType, shoppingCartApp, type CartCommand, type Receipt } from "../../examples/shopping-cart/functions";

const MODULE = path.join(__dirname, "..", "..", "module.yaml");

function runtime(): LocalRuntime {
  return new LocalRuntime({ module: MODULE, functions: shoppingCartApp() });
}

/** What the Kafka ingresses deliver: the record key is the target id. */
function command(rt: LocalRuntime, user: string, c: CartCommand): void {
  rt.send("example/cart", user, c, CartCommandType);
}

function restock(rt: LocalRuntime, item: string, quantity: number): void {
  rt.send("example/inventory", item, { quantity }, RestockType);
}

function stock(rt: LocalRuntime, item: string): { available: unknown; reserved: unknown } {
  return { available: rt.state("example/inventory", item, "available"), reserved: rt.state("example/inventory", item, "reserved") };
}

function receipts(rt: LocalRuntime): Receipt[] {
  return rt.egress("example/receipts").map((r) => JSON.parse((r as KafkaRecord).value.toString("utf8")) as Receipt);
}

test("adding reserves stock; checkout turns reservations into sales and writes a receipt to the Kafka egress", async () => {
  const rt = runtime();
  restock(rt, "apple", 10);
  restock(rt, "pear", 3);
  await rt.runUntilIdle();
  command(rt, "ann", { type: "add", item: "apple", quantity: 4 });
  command(rt, "ann", { type: "add", item: "pear", quantity: 1 });
  await rt.runUntilIdle();
  expect(rt.state("example/cart", "ann", "items")).toEqual({ apple: 4, pear: 1 });
  expect(stock(rt, "apple")).toEqual({ available: 6, reserved: 4 });
  command(rt, "ann", { type: "checkout" });
  await rt.runUntilIdle();
  expect(receipts(rt)).toEqual([{ user: "ann", items: [{ item: "apple", quantity: 4 }, { item: "pear", quantity: 1 }] }]);
  expect(rt.egress("example/receipts")[0]).toMatchObject({ kind: "kafka", topic: "receipts", key: "ann" });
  expect(stock(rt, "apple")).toEqual({ available: 6, reserved: 0 });
  expect(rt.state("example/cart", "ann", "items")).toBeNull();
  expect(rt.pendingDelayed).toEqual([]); // the abandonment timer was cancelled
});

test("an item out of stock is not added", async () => {
  const rt = runtime();
  restock(rt, "plum", 1);
  await rt.runUntilIdle();
  command(rt, "bob", { type: "add", item: "plum", quantity: 2 });
  await rt.runUntilIdle();
  expect(rt.state("example/cart", "bob", "items")).toEqual({});
  expect(stock(rt, "plum")).toEqual({ available: 1, reserved: null }); // never reserved, never written
});

test("removing an item releases its reservation", async () => {
  const rt = runtime();
  restock(rt, "fig", 5);
  command(rt, "cy", { type: "add", item: "fig", quantity: 2 });
  await rt.runUntilIdle();
  command(rt, "cy", { type: "remove", item: "fig" });
  await rt.runUntilIdle();
  expect(rt.state("example/cart", "cy", "items")).toEqual({});
  expect(stock(rt, "fig")).toEqual({ available: 5, reserved: 0 });
});

test("a cart left alone for 30 minutes is abandoned: its reservations are released; each change re-arms the timer", async () => {
  const rt = runtime();
  restock(rt, "kiwi", 5);
  command(rt, "dee", { type: "add", item: "kiwi", quantity: 2 });
  await rt.runUntilIdle();
  await rt.advance(ABANDON_AFTER_MS - 60_000);
  command(rt, "dee", { type: "add", item: "kiwi", quantity: 1 }); // re-arms: the first timer is cancelled
  await rt.runUntilIdle();
  expect(rt.pendingDelayed).toHaveLength(1);
  await rt.advance(120_000); // past the first deadline: nothing happens
  expect(stock(rt, "kiwi")).toEqual({ available: 2, reserved: 3 });
  await rt.advance(ABANDON_AFTER_MS);
  expect(rt.state("example/cart", "dee", "items")).toBeNull();
  expect(stock(rt, "kiwi")).toEqual({ available: 5, reserved: 0 });
  expect(receipts(rt)).toEqual([]);
});

test("a command that breaks the CartCommand schema fails, naming the path and the rule", async () => {
  const rt = new LocalRuntime({ module: MODULE, functions: shoppingCartApp(), callTimeoutMs: 100 });
  rt.sendTypedValue(
    { typename: "example/cart", id: "eve" },
    { typename: "example/CartCommand", hasValue: true, value: Buffer.from(JSON.stringify({ type: "add", item: "x", quantity: 0 })) },
  );
  await expect(rt.runUntilIdle()).rejects.toThrow(
    'example/CartCommand: a received value does not satisfy the schema: the value at /quantity must be >= 1 (schema rule "minimum" at #/oneOf/0/properties/quantity/minimum)',
  );
});

test("the abandonment delay is an option (the cluster test uses 2 s)", async () => {
  const rt = new LocalRuntime({ module: MODULE, functions: shoppingCartApp(undefined, { abandonAfterMs: 2_000 }) });
  restock(rt, "lime", 4);
  command(rt, "fay", { type: "add", item: "lime", quantity: 3 });
  await rt.runUntilIdle();
  expect(rt.pendingDelayed.map((d) => d.due - rt.now)).toEqual([2_000]);
  await rt.advance(1_999);
  expect(stock(rt, "lime")).toEqual({ available: 1, reserved: 3 });
  await rt.advance(1);
  expect(rt.state("example/cart", "fay", "items")).toBeNull();
  expect(stock(rt, "lime")).toEqual({ available: 4, reserved: 0 });
  expect(() => shoppingCartApp(undefined, { abandonAfterMs: -1 })).toThrow(RangeError);
});
