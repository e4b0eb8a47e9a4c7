/** One handler per message type: `bind({ handlers })` and `@fn(typename, { handles })`. */
import { ConfigurationError, Context, Message, StateFun, TypeMismatchError, fn, silentLogger, type StorageOfState } from "../../src";
import { JobFailedError, LocalRuntime } from "../../src/local";

interface AddItem {
  item: string;
  quantity: number;
}
const AddItemType = StateFun.jsonType<AddItem>("example/AddItem");
const CheckoutType = StateFun.jsonType<{ note: string }>("example/Checkout");
const cartState = { items: StateFun.jsonType<Record<string, number>>("example/Items"), log: StateFun.stringType() };

/** Appends to the `log` state, so a test sees which code ran in which order. */
function note(ctx: Context<StorageOfState<typeof cartState>>, line: string): void {
  ctx.storage.log = `${ctx.storage.log ?? ""}${line};`;
}

function cartApp(withFallback: boolean): StateFun {
  return new StateFun({ logger: silentLogger }).bind({
    typename: "example/cart",
    state: cartState,
    handlers: [
      {
        type: AddItemType,
        fn(ctx, add, message) {
          ctx.storage.items = { ...ctx.storage.items, [add.item]: add.quantity };
          note(ctx, `add ${add.item} (${message.valueTypeName})`);
        },
      },
      { type: CheckoutType, fn: async (ctx, checkout) => note(ctx, `checkout ${checkout.note}`) },
      { type: StateFun.intType(), fn: (ctx, n) => note(ctx, `int ${n + 1}`) },
    ],
    ...(withFallback ? { fn: (ctx: Context<StorageOfState<typeof cartState>>, message: Message) => note(ctx, `other ${message.valueTypeName}`) } : {}),
  });
}

test("each message goes to the handler of its type with its value decoded, in order, batched or not", async () => {
  const rt = new LocalRuntime({ functions: cartApp(true) });
  rt.send("example/cart", "ann", { item: "tea", quantity: 2 }, AddItemType);
  rt.send("example/cart", "ann", 41);
  rt.send("example/cart", "ann", { note: "now" }, CheckoutType);
  rt.send("example/cart", "ann", "a string");
  await rt.runUntilIdle();
  expect(rt.state("example/cart", "ann", "log")).toBe("add tea (example/AddItem);int 42;checkout now;other io.statefun.types/string;");
  expect(rt.state("example/cart", "ann", "items")).toEqual({ tea: 2 });
});

test("without fn, a message no handler takes fails, naming the typenames the handlers take (and the closest)", async () => {
  const rt = new LocalRuntime({ functions: cartApp(false) });
  rt.send("example/cart", "bob", { item: "tea", quantity: 1 }, StateFun.jsonType("example/AddItems"));
  const failure = await rt.runUntilIdle().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(JobFailedError);
  const cause = (failure as JobFailedError).cause;
  expect(cause).toBeInstanceOf(TypeMismatchError);
  expect((cause as Error).message).toBe(
    'example/cart("bob") got a message of type example/AddItems, which none of its handlers takes (they take example/AddItem, ' +
      "example/Checkout, io.statefun.types/int); did you mean example/AddItem?; add a handler for it, or an fn for messages of other types",
  );
});

test("a handler's value that does not decode fails like message.as() does", async () => {
  const rt = new LocalRuntime({ functions: cartApp(true), callTimeoutMs: 10 });
  rt.sendTypedValue({ typename: "example/cart", id: "cy" }, { typename: "example/AddItem", hasValue: true, value: Buffer.from("{not json") });
  await expect(rt.runUntilIdle()).rejects.toThrow(/SerializationError: a message to example\/cart\("cy"\): example\/AddItem/);
});

describe("bind() refuses malformed handlers", () => {
  const bind = (opts: object) => () => new StateFun().bind(opts as never);
  test.each([
    [{ typename: "a/b", handlers: {} }, "bind(): function a/b: handlers must be an array of { type, fn }, got an object"],
    [{ typename: "a/b", handlers: [] }, "bind(): function a/b has no handlers; give at least one { type, fn }, or fn(context, message)"],
    [{ typename: "a/b", handlers: [{ type: AddItemType }] }, "bind(): function a/b: handler 1 must be { type, fn(context, value, message) }, got an object"],
    [{ typename: "a/b", handlers: [{ type: "example/AddItem", fn() {} }] }, "handler 1 must be { type, fn(context, value, message) }"],
    [
      { typename: "a/b", handlers: [{ type: AddItemType, fn() {} }, { type: StateFun.jsonType("example/AddItem"), fn() {} }] },
      'bind(): function a/b has two handlers for "example/AddItem"; give each message type one',
    ],
    [{ typename: "a/b", handlers: [{ type: AddItemType, fn() {} }], fn: 3 }, "bind(): function a/b: fn, for the messages no handler takes, must be fn(context, message), got 3"],
  ])("%j", (opts, message) => {
    expect(bind(opts)).toThrow(ConfigurationError);
    expect(bind(opts)).toThrow(message);
  });

  test("an empty list with an fn is the plain form", async () => {
    const sf = new StateFun({ logger: silentLogger }).bind({ typename: "a/b", state: { n: StateFun.intType() }, handlers: [], fn: (ctx) => void (ctx.storage.n = 1) });
    const rt = new LocalRuntime({ functions: sf });
    rt.send("a/b", "x", "go");
    await rt.runUntilIdle();
    expect(rt.state("a/b", "x", "n")).toBe(1);
  });
});

describe("@fn with handles", () => {
  class Cart {
    readonly seen: string[] = [];

    @fn("example/cart", { state: cartState, handles: AddItemType })
    add(ctx: Context<StorageOfState<typeof cartState>>, add: AddItem): void {
      ctx.storage.items = { ...ctx.storage.items, [add.item]: add.quantity };
      this.seen.push(`add ${add.item}`);
    }

    @fn("example/cart", { handles: CheckoutType })
    checkout(_ctx: Context, checkout: { note: string }, message: Message): void {
      this.seen.push(`checkout ${checkout.note} ${message.valueTypeName}`);
    }

    @fn("example/cart")
    other(_ctx: Context, message: Message): void {
      this.seen.push(`other ${message.asString()}`);
    }
  }

  test("the methods of one typename make one function: a handler per type, the plain one for the rest; `this` is the instance", async () => {
    const cart = new Cart();
    const sf = new StateFun({ logger: silentLogger }).register(cart);
    expect(sf.functionTypes).toEqual(["example/cart"]);
    const rt = new LocalRuntime({ functions: sf });
    rt.send("example/cart", "ann", { item: "tea", quantity: 2 }, AddItemType);
    rt.send("example/cart", "ann", { note: "now" }, CheckoutType);
    rt.send("example/cart", "ann", "hello");
    await rt.runUntilIdle();
    expect(cart.seen).toEqual(["add tea", "checkout now example/Checkout", "other hello"]);
    expect(rt.registeredStates("example/cart")).toEqual(["items", "log"]); // declared on one method, the function's
  });

  test("two methods for one message type, two plain methods, or different states are refused at construction", () => {
    class SameType {
      @fn("example/x", { handles: AddItemType })
      a(): void {}
      @fn("example/x", { handles: AddItemType })
      b(): void {}
    }
    class TwoPlain {
      @fn("example/x", { handles: AddItemType })
      a(): void {}
      @fn("example/x")
      b(): void {}
      @fn("example/x")
      c(): void {}
    }
    class OtherStates {
      @fn("example/x", { state: { n: StateFun.intType() }, handles: AddItemType })
      a(): void {}
      @fn("example/x", { state: { n: StateFun.longType() }, handles: CheckoutType })
      b(): void {}
    }
    class SameStates {
      @fn("example/x", { state: { n: StateFun.intType() }, handles: AddItemType })
      a(): void {}
      @fn("example/x", { state: { n: StateFun.intType() }, handles: CheckoutType })
      b(): void {}
    }
    expect(() => new SameType()).toThrow('@fn("example/x") handling "example/AddItem" is on both a and b of SameType; each message type of a function is handled by one method');
    expect(() => new TwoPlain()).toThrow('@fn("example/x") is on both b and c of TwoPlain; each function type is bound to one method (or to one per message type it handles, with at most one for the others)');
    expect(() => new OtherStates()).toThrow('@fn("example/x") declares other states on b than on a of OtherStates; the methods of one function type declare the same states');
    expect(new StateFun().register(new SameStates()).functionTypes).toEqual(["example/x"]);
  });
});
