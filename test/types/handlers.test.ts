/**
 * Type-level checks of per-message-type handlers: `npm run build` (tsc, strict) compiles this
 * file, so each `@ts-expect-error` fails the build if the error it expects disappears. The
 * behaviour is tested in test/typed/handlers.test.ts.
 */
import { Context, Message, StateFun, fn, type MessageHandler, type StorageOfState } from "../../src";

interface AddItem {
  item: string;
  quantity: number;
}
interface Checkout {
  at: string;
}
const AddItemType = StateFun.jsonType<AddItem>("example/AddItem");
const CheckoutType = StateFun.jsonType<Checkout>("example/Checkout");
const cartState = { items: StateFun.jsonType<Record<string, number>>("example/Items"), checkouts: StateFun.intType() };
type CartStorage = StorageOfState<typeof cartState>;

const sf = new StateFun();

// --- bind: each handler's value is typed from its type, ctx.storage from state -------------------

sf.bind({
  typename: "example/cart",
  state: cartState,
  handlers: [
    {
      type: AddItemType,
      fn(ctx, add, message) {
        const item: string = add.item;
        const quantity: number = add.quantity;
        const items: Record<string, number> | null = ctx.storage.items;
        ctx.storage.items = { ...items, [item]: quantity };
        const typename: string = message.valueTypeName;
        void typename;
        // @ts-expect-error: an AddItem has no `at`
        void add.at;
        // @ts-expect-error: a misspelled state name
        ctx.storage.item = null;
      },
    },
    {
      type: CheckoutType,
      fn: (ctx, checkout) => {
        const at: string = checkout.at;
        void at;
        ctx.storage.checkouts = (ctx.storage.checkouts ?? 0) + 1;
        // @ts-expect-error: an int state holds numbers
        ctx.storage.checkouts = "one";
        // @ts-expect-error: a Checkout is not an AddItem
        const wrong: AddItem = checkout;
        void wrong;
      },
    },
    { type: StateFun.intType(), fn: (_ctx, n) => void (n satisfies number) },
    { type: StateFun.longType(), fn: (_ctx, n) => void (n satisfies bigint) },
  ],
  fn(ctx, message) {
    // The function for every other message: the plain form.
    const storage: CartStorage = ctx.storage;
    void storage;
    void message.valueTypeName;
  },
});

// Without states, ctx.storage has no properties.
sf.bind({
  typename: "example/stateless",
  handlers: [
    {
      type: StateFun.stringType(),
      fn(ctx, text) {
        void (text satisfies string);
        // @ts-expect-error: no states declared
        void ctx.storage.anything;
      },
    },
  ],
});

// A handler written on its own, typed by MessageHandler.
const onAdd: MessageHandler<AddItem, CartStorage> = { type: AddItemType, fn: (ctx, add) => void (ctx.storage.items = { [add.item]: add.quantity }) };
sf.bind({ typename: "example/cart2", state: cartState, handlers: [onAdd] });

// A mistake in a handler fails the call (TypeScript reports "No overload matches this call" on
// bind, and the mismatch under "Overload 1 of 3").
function mistakes(): void {
  // @ts-expect-error: a long's value is a bigint, not a number
  sf.bind({ typename: "example/bad", handlers: [{ type: StateFun.longType(), fn: (_ctx, n: number) => void n }] });
  // @ts-expect-error: a handler needs a type
  sf.bind({ typename: "example/bad", state: cartState, handlers: [{ fn: () => undefined }] });
}
void mistakes;

// --- @fn with handles ----------------------------------------------------------------------------

class Cart {
  @fn("example/cart3", { state: cartState, handles: AddItemType })
  add(ctx: Context<CartStorage>, add: AddItem, message: Message): void {
    ctx.storage.items = { [add.item]: add.quantity };
    void message;
  }

  @fn("example/cart3", { state: cartState, handles: CheckoutType })
  checkout(ctx: Context<CartStorage>, checkout: Checkout): void {
    void checkout.at;
    ctx.storage.items = null;
  }

  @fn("example/cart3", { state: cartState })
  other(_ctx: Context<CartStorage>, message: Message): void {
    void message.valueTypeName;
  }
}
void Cart;

class Mismatched {
  // @ts-expect-error: the method takes a Checkout, the decorator hands it an AddItem
  @fn("example/x", { handles: AddItemType })
  wrongValue(_ctx: Context, _checkout: Checkout): void {}

  // @ts-expect-error: the method's storage has a state the decorator does not declare
  @fn("example/y", { state: cartState, handles: AddItemType })
  wrongState(_ctx: Context<{ item: number | null }>, _add: AddItem): void {}

  // @ts-expect-error: a plain method takes the message, not a value
  @fn("example/z", { state: cartState })
  plainTakesMessage(_ctx: Context<CartStorage>, _add: AddItem): void {}
}
void Mismatched;

test("handler types are checked by tsc (see the @ts-expect-error lines)", () => {
  expect(sf.functionTypes).toEqual(["example/cart", "example/stateless", "example/cart2"]);
});
