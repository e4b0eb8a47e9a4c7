/** JSON types with a JSON Schema: every value checked on the way out and on the way in. */
import { ConfigurationError, FunctionInvocationError, SerializationError, StateFun, messageBuilder, silentLogger } from "../../src";
import { addr, request, tv } from "../requests";

interface Order {
  id: string;
  quantity: number;
  tags?: string[];
}

const OrderType = StateFun.jsonType<Order>("example/Order", {
  schema: {
    type: "object",
    properties: {
      id: { type: "string", minLength: 1 },
      quantity: { type: "integer", minimum: 1 },
      tags: { type: "array", items: { type: "string" } },
    },
    required: ["id", "quantity"],
    additionalProperties: false,
  },
});

const failure = async (body: Buffer, sf: StateFun): Promise<FunctionInvocationError> => {
  const e = await sf.handleRequest(body).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FunctionInvocationError);
  return e as FunctionInvocationError;
};

test("valid values round-trip unchanged", () => {
  const order = { id: "o-1", quantity: 2, tags: ["gift"] };
  expect(OrderType.deserialize(OrderType.serialize(order))).toEqual(order);
});

test.each([
  [{ id: "o-1", quantity: 0 }, 'the value at /quantity must be >= 1 (schema rule "minimum" at #/properties/quantity/minimum)'],
  [{ id: "o-1", quantity: 1.5 }, 'the value at /quantity must be integer (schema rule "type" at #/properties/quantity/type)'],
  [{ quantity: 1 }, "the value must have required property 'id' (schema rule \"required\" at #/required)"],
  [{ id: "o-1", quantity: 1, tags: ["a", 2] }, 'the value at /tags/1 must be string (schema rule "type" at #/properties/tags/items/type)'],
  [{ id: "o-1", quantity: 1, colour: "red" }, 'the value must NOT have additional properties (schema rule "additionalProperties" at #/additionalProperties)'],
])("encoding %j fails naming the typename, the path and the rule", (value, problem) => {
  const encode = () => OrderType.serialize(value as Order);
  expect(encode).toThrow(SerializationError);
  expect(encode).toThrow(`example/Order cannot encode an object: ${problem}`);
});

test("a received message that breaks the schema fails the batch, naming the message's address, the typename, the path and the rule", async () => {
  const sf = new StateFun({ logger: silentLogger }).bind({
    typename: "example/shop",
    fn(_ctx, msg) {
      msg.as(OrderType);
    },
  });
  const bad = { typename: "example/Order", hasValue: true, value: Buffer.from(JSON.stringify({ id: "o-1", quantity: -3 })) };
  const e = await failure(request({ target: addr("example/shop", "s"), invocations: [{ argument: bad }] }), sf);
  expect(e.message).toBe(
    'function example/shop("s") failed at invocation 1 of 1: SerializationError: a message to example/shop("s"): example/Order: a received value ' +
      'does not satisfy the schema: the value at /quantity must be >= 1 (schema rule "minimum" at #/properties/quantity/minimum)',
  );
});

test("a state edited in place into something the schema refuses fails the batch, naming the state", async () => {
  const sf = new StateFun({ logger: silentLogger }).bind({
    typename: "example/shop",
    state: { order: OrderType },
    fn(ctx) {
      if (ctx.storage.order) ctx.storage.order.quantity = 0;
    },
  });
  const e = await failure(request({ target: addr("example/shop", "s"), state: { order: tv(OrderType, { id: "o", quantity: 3 }) }, invocations: [{ argument: tv(StateFun.stringType(), "x") }] }), sf);
  expect(e.message).toMatch(/state "order" of example\/shop\("s"\): example\/Order cannot encode an object: the value at \/quantity must be >= 1/);
});

test("sending a message with a schema-checked type checks it where it is built", () => {
  expect(() => messageBuilder({ typename: "example/shop", id: "s", value: { id: "", quantity: 1 }, valueType: OrderType })).toThrow(
    'a message to example/shop("s"): example/Order cannot encode an object: the value at /id must NOT have fewer than 1 characters',
  );
});

test("an invalid schema is a ConfigurationError when the type is made", () => {
  expect(() => StateFun.jsonType("example/Bad", { schema: { type: "object", properties: { a: { type: "nonsense" } } } })).toThrow(ConfigurationError);
  expect(() => StateFun.jsonType("example/Bad", { schema: { type: "object", propertiez: {} } })).toThrow(/jsonType\("example\/Bad"\): the schema is not valid: strict mode: unknown keyword: "propertiez"/);
});
