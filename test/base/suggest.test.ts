/** The one "did you mean" of the SDK, the local runtime, module validation and the CLI. */
import { closest, didYouMean } from "../../src/base/suggest";
import { listOf } from "../../src/base/text";

test("closest: a plausible misspelling (case aside, up to a quarter of the characters) finds its name", () => {
  expect(closest("vists", ["visits", "name"])).toBe("visits");
  expect(closest("EXAMPLE/Greeter", ["example/person", "example/greeter"])).toBe("example/greeter");
  expect(closest("example/gretr", ["example/greeter"])).toBe("example/greeter");
  expect(closest("cart", ["visits", "name"])).toBeUndefined();
  expect(closest("visits", ["visits"])).toBeUndefined(); // the name itself is no suggestion
  expect(closest("x".repeat(10_000), ["x".repeat(9_999)])).toBeUndefined(); // names from requests may be huge: no quadratic work
});

test("didYouMean: the end of an error sentence, quoted by default", () => {
  expect(didYouMean("vists", ["visits"])).toBe('; did you mean "visits"?');
  expect(didYouMean("example/gretr", ["example/greeter"], (t) => t)).toBe("; did you mean example/greeter?");
  expect(didYouMean("zzz", ["visits"])).toBe("");
});

test("listOf: names for an error line, at most twenty, each cut short", () => {
  expect(listOf([])).toBe("none");
  expect(listOf(["a", "b"])).toBe("a, b");
  expect(listOf(Array.from({ length: 25 }, (_, i) => `s${i}`))).toBe(`${Array.from({ length: 20 }, (_, i) => `s${i}`).join(", ")}, … and 5 more`);
  expect(listOf(["y".repeat(500)])).toBe(`${"y".repeat(120)}…(500 characters)`);
});
