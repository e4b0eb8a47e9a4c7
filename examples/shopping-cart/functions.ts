/**
 * A shopping cart: `example/cart` (one per user) reserves items at `example/inventory` (one
 * per item), forgets an abandoned cart after 30 minutes without activity (a delayed message
 * to itself, re-armed on every change by cancelling and re-sending it; the delay is an option
 * of {@link shoppingCartApp}), and on checkout turns the reservations into sales and writes a
 * receipt to the Kafka egress `example/receipts`.
 *
 * Ingress (module.yaml): Kafka topic `cart-commands` (key = user id) carries CartCommand JSON,
 * topic `restocks` (key = item id) carries Restock JSON.
 */
import { StateFun, kafkaEgressMessage, type Context, type Message, type StorageOfState } from "../../src";

/** A user's command: add or remove an item, or check out. */
export type CartCommand = { type: "add"; item: string; quantity: number } | { type: "remove"; item: string } | { type: "checkout" };

export const CartCommandType = StateFun.jsonType<CartCommand>("example/CartCommand", {
  schema: {
    oneOf: [
      {
        type: "object",
        properties: { type: { const: "add" }, item: { type: "string", minLength: 1 }, quantity: { type: "integer", minimum: 1 } },
        required: ["type", "item", "quantity"],
        additionalProperties: false,
      },
      {
        type: "object",
        properties: { type: { const: "remove" }, item: { type: "string", minLength: 1 } },
        required: ["type", "item"],
        additionalProperties: false,
      },
      { type: "object", properties: { type: { const: "checkout" } }, required: ["type"], additionalProperties: false },
    ],
  },
});

/** New stock for an item. */
export interface Restock {
  quantity: number;
}

export const RestockType = StateFun.jsonType<Restock>("example/Restock", {
  schema: { type: "object", properties: { quantity: { type: "integer", minimum: 1 } }, required: ["quantity"], additionalProperties: false },
});

/** What a cart asks of an item's inventory. */
export interface StockRequest {
  action: "reserve" | "release" | "commit";
  quantity: number;
}

export const StockRequestType = StateFun.jsonType<StockRequest>("example/StockRequest");

/** The inventory's answer to a reservation. */
export interface Reservation {
  item: string;
  quantity: number;
  ok: boolean;
}

export const ReservationType = StateFun.jsonType<Reservation>("example/Reservation");

/** The cart's reminder to itself that it has been left alone. */
export const AbandonType = StateFun.jsonType<Record<string, never>>("example/Abandon");

/** What goes to the receipts topic. */
export interface Receipt {
  user: string;
  items: { item: string; quantity: number }[];
}

/** How long a cart may sit unchanged before its reservations are released, by default. */
export const ABANDON_AFTER_MS = 30 * 60 * 1000;

/** Options of {@link shoppingCartApp}. */
export interface ShoppingCartOptions {
  /** How long a cart may sit unchanged before its reservations are released, ms; default {@link ABANDON_AFTER_MS}. */
  abandonAfterMs?: number;
}
const ABANDON_TOKEN = "abandon";

type Items = Record<string, number>;


const cartState = { items: StateFun.jsonType<Items>("example/CartItems") };
type StorageOfCart = StorageOfState<typeof cartState>;

function stock(ctx: Context<StorageOfCart>, item: string, action: StockRequest["action"], quantity: number): void {
  ctx.send({ typename: "example/inventory", id: item, value: { action, quantity }, valueType: StockRequestType });
}

/** Re-arms the abandonment timer: the cluster applies the cancellation before the new message. */
function touch(ctx: Context<StorageOfCart>, abandonAfterMs: number): void {
  ctx.cancelDelayedMessage(ABANDON_TOKEN);
  ctx.sendAfter(abandonAfterMs, { typename: "example/cart", id: ctx.self.id, value: {}, valueType: AbandonType }, ABANDON_TOKEN);
}

function cart(ctx: Context<StorageOfCart>, message: Message, abandonAfterMs: number): void {
  const items = ctx.storage.items ?? {};
  if (message.is(ReservationType)) {
    const r = message.as(ReservationType);
    if (r?.ok) items[r.item] = (items[r.item] ?? 0) + r.quantity;
    ctx.storage.items = items;
    return;
  }
  if (message.is(AbandonType)) {
    for (const [item, quantity] of Object.entries(items)) stock(ctx, item, "release", quantity);
    ctx.storage.items = null;
    return;
  }
  const command = message.as(CartCommandType);
  if (command === null) return;
  switch (command.type) {
    case "add":
      stock(ctx, command.item, "reserve", command.quantity);
      touch(ctx, abandonAfterMs);
      return;
    case "remove": {
      const quantity = items[command.item];
      if (quantity === undefined) return;
      stock(ctx, command.item, "release", quantity);
      delete items[command.item];
      ctx.storage.items = items;
      touch(ctx, abandonAfterMs);
      return;
    }
    case "checkout": {
      const lines = Object.entries(items).map(([item, quantity]) => ({ item, quantity }));
      if (lines.length === 0) return;
      for (const { item, quantity } of lines) stock(ctx, item, "commit", quantity);
      const receipt: Receipt = { user: ctx.self.id, items: lines };
      ctx.send(kafkaEgressMessage({ typename: "example/receipts", topic: "receipts", key: ctx.self.id, value: JSON.stringify(receipt) }));
      ctx.storage.items = null;
      ctx.cancelDelayedMessage(ABANDON_TOKEN);
      return;
    }
  }
}

const inventoryState = { available: StateFun.intType(), reserved: StateFun.intType() };

function inventory(ctx: Context<StorageOfState<typeof inventoryState>>, message: Message): void {
  const available = ctx.storage.available ?? 0;
  const reserved = ctx.storage.reserved ?? 0;
  if (message.is(RestockType)) {
    ctx.storage.available = available + (message.as(RestockType)?.quantity ?? 0);
    return;
  }
  const request = message.as(StockRequestType);
  if (request === null) return;
  switch (request.action) {
    case "reserve": {
      const ok = available >= request.quantity;
      if (ok) {
        ctx.storage.available = available - request.quantity;
        ctx.storage.reserved = reserved + request.quantity;
      }
      ctx.reply({ item: ctx.self.id, quantity: request.quantity, ok }, ReservationType);
      return;
    }
    case "release":
      ctx.storage.available = available + request.quantity;
      ctx.storage.reserved = Math.max(0, reserved - request.quantity);
      return;
    case "commit":
      ctx.storage.reserved = Math.max(0, reserved - request.quantity);
      return;
  }
}

/** Binds the shopping cart's functions on `sf` (a new StateFun by default). */
export function shoppingCartApp(sf: StateFun = new StateFun(), options: ShoppingCartOptions = {}): StateFun {
  const abandonAfterMs = options.abandonAfterMs ?? ABANDON_AFTER_MS;
  if (!Number.isSafeInteger(abandonAfterMs) || abandonAfterMs < 0) {
    throw new RangeError(`shoppingCartApp(): abandonAfterMs must be a non-negative whole number of ms, got ${String(abandonAfterMs)}`);
  }
  return sf
    .bind({ typename: "example/cart", state: cartState, fn: (ctx, message) => cart(ctx, message, abandonAfterMs) })
    .bind({ typename: "example/inventory", state: inventoryState, fn: inventory });
}
