/**
 * Every example application's functions on one StateFun: what `npm start` runs with
 * `statefun dev` and the repository's module.yaml.
 */
import { StateFun } from "../src";
import { greeterApp } from "./greeter/functions";
import { shoppingCartApp } from "./shopping-cart/functions";
import { showcaseApp } from "./showcase/functions";

export const sf: StateFun = showcaseApp(shoppingCartApp(greeterApp(new StateFun())));
export default sf;
