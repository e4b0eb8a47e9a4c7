/**
 * The example functions as the functions container serves them to a StateFun cluster (see
 * deploy/): the greeter with its greetings on the Kafka egress `example/greets` (the plain
 * StateFun image has no playground egress), and the shopping cart. The showcase writes to the
 * playground egress, so it only runs locally (examples/index.ts).
 */
import { StateFun } from "../src";
import { greeterApp } from "./greeter/functions";
import { shoppingCartApp } from "./shopping-cart/functions";

export const sf: StateFun = shoppingCartApp(greeterApp(new StateFun(), { kafkaEgress: "example/greets", topic: "greetings" }));
export default sf;
