import { InvalidArgumentError } from "../../src/base/errors";
import { endpointFor, endpointUrl, matchesFunctionPattern, parseModuleText, type EndpointComponent } from "../../src/module";

describe("matchesFunctionPattern", () => {
  test.each([
    ["example/*", "example/greeter", true],
    ["example/*", "other/greeter", false],
    ["example/*", "example.sub/greeter", false],
    ["example/*", "Example/greeter", false],
    ["com.example.fns/*", "com.example.fns/cart", true],
    ["example/greeter", "example/greeter", true],
    ["example/greeter", "example/person", false],
    ["example/greeter", "other/greeter", false],
  ])("%s covers %s: %s", (pattern, type, covers) => {
    expect(matchesFunctionPattern(pattern, type)).toBe(covers);
  });

  test.each([
    ["example/greet*", '"example/greet*" is not a function pattern: * must be the whole name'],
    ["*/greeter", '"*/greeter" is not a function pattern: a namespace cannot contain *'],
    ["example", '"example" is not a function pattern: it has no "/"'],
    ["a/b/*", '"a/b/*" is not a function pattern: it has more than one "/"'],
  ])("the pattern %s is refused", (pattern, message) => {
    expect(() => matchesFunctionPattern(pattern, "example/greeter")).toThrow(InvalidArgumentError);
    expect(() => matchesFunctionPattern(pattern, "example/greeter")).toThrow(message);
  });

  test("a malformed function type is refused", () => {
    expect(() => matchesFunctionPattern("example/*", "greeter")).toThrow('"greeter" is not a function type: it has no "/"');
  });
});

const TWO_ENDPOINTS = (first: string, second: string) => `
kind: io.statefun.endpoints.v2/http
spec:
  functions: ${first}
  urlPathTemplate: http://${first.replace(/[/*]/g, "")}:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: ${second}
  urlPathTemplate: http://${second.replace(/[/*]/g, "")}:8000/statefun
`;

describe("endpointFor", () => {
  test.each([
    ["wildcard first", TWO_ENDPOINTS("example/*", "example/greeter")],
    ["exact first", TWO_ENDPOINTS("example/greeter", "example/*")],
  ])("an exact pattern wins over a wildcard (%s)", (_, text) => {
    const module = parseModuleText(text, "module.yaml");
    expect(endpointFor(module, "example/greeter")?.urlPathTemplate).toBe("http://examplegreeter:8000/statefun");
    expect(endpointFor(module, "example/person")?.urlPathTemplate).toBe("http://example:8000/statefun");
  });

  test("a type no endpoint covers has none", () => {
    const module = parseModuleText(TWO_ENDPOINTS("example/*", "billing/invoice"), "module.yaml");
    expect(endpointFor(module, "other/greeter")).toBeUndefined();
    expect(endpointFor(module, "billing/refund")).toBeUndefined();
    expect(endpointFor(module, "billing/invoice")?.functions).toBe("billing/invoice");
  });
});

describe("endpointUrl", () => {
  const endpoint = (urlPathTemplate: string): EndpointComponent => ({
    kind: "io.statefun.endpoints.v2/http",
    functions: "example/*",
    urlPathTemplate,
    position: { file: "module.yaml", line: 1, column: 1 },
  });

  test("{function.name} becomes the function type's name", () => {
    expect(endpointUrl(endpoint("http://functions:8000/{function.name}"), "example/greeter")).toBe("http://functions:8000/greeter");
  });

  test("every {function.name} is replaced", () => {
    expect(endpointUrl(endpoint("http://{function.name}:8000/fn/{function.name}"), "example/cart")).toBe("http://cart:8000/fn/cart");
  });

  test("a template without the placeholder is the URL", () => {
    expect(endpointUrl(endpoint("http://functions:8000/statefun"), "example/greeter")).toBe("http://functions:8000/statefun");
  });
});
