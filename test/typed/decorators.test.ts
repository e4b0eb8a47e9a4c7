/** `@fn` decorators: what they bind, and the errors for everything else. */
import ts from "typescript";
import * as sdk from "../../src";
import { ConfigurationError, Context, Message, StateFun, fn } from "../../src";
import { LocalRuntime } from "../../src/local";

test("register() binds each decorated method with `this` = the instance; undecorated methods are left alone", async () => {
  class Counter {
    constructor(readonly step: number) {}

    @fn("example/counter", { state: { n: StateFun.intType() } })
    count(ctx: Context<{ n: number | null }>): void {
      ctx.storage.n = (ctx.storage.n ?? 0) + this.step;
    }

    helper(): number {
      return this.step;
    }
  }
  const app = new StateFun().register(new Counter(5));
  expect(app.functionTypes).toEqual(["example/counter"]);
  const rt = new LocalRuntime({ functions: app });
  rt.send("example/counter", "a", "tick");
  rt.send("example/counter", "a", "tick");
  await rt.runUntilIdle();
  expect(rt.state("example/counter", "a", "n")).toBe(10);
});

test("two instances of one class register on two StateFun instances independently", () => {
  class Echo {
    @fn("example/echo")
    echo(): void {}
  }
  const [a, b] = [new StateFun().register(new Echo()), new StateFun().register(new Echo())];
  expect([a.functionTypes, b.functionTypes]).toEqual([["example/echo"], ["example/echo"]]);
});

test("an async method is awaited like any bound function", async () => {
  class Slow {
    @fn("example/slow", { state: { done: StateFun.booleanType() } })
    async slow(ctx: Context<{ done: boolean | null }>): Promise<void> {
      await new Promise((r) => setImmediate(r));
      ctx.storage.done = true;
    }
  }
  const rt = new LocalRuntime({ functions: new StateFun().register(new Slow()) });
  rt.send("example/slow", "a", "go");
  await rt.runUntilIdle();
  expect(rt.state("example/slow", "a", "done")).toBe(true);
});

describe("clear errors", () => {
  test("decorating a field", () => {
    const define = () => {
      class Bad {
        // A decorator for methods, forced onto a field to see the runtime check.
        @(fn("example/bad") as unknown as (value: undefined, context: ClassFieldDecoratorContext) => void)
        handler = 1;
      }
      return Bad;
    };
    expect(define).toThrow(ConfigurationError);
    expect(define).toThrow('@fn("example/bad") is on the field handler; it goes on instance methods');
  });

  test("decorating a static method", () => {
    const define = () => {
      class Bad {
        @fn("example/bad")
        static handler(): void {}
      }
      return Bad;
    };
    expect(define).toThrow('@fn("example/bad") is on the static method handler; it goes on instance methods, bound with sf.register(instance)');
  });

  test("the same typename on two methods", () => {
    class Twice {
      @fn("example/dup")
      first(): void {}

      @fn("example/dup")
      second(): void {}
    }
    expect(() => new Twice()).toThrow('@fn("example/dup") is on both first and second of Twice; each function type is bound to one method');
  });

  test("a malformed typename, at class definition", () => {
    expect(() => fn("nonamespace")).toThrow(ConfigurationError);
    expect(() => fn("nonamespace")).toThrow('@fn("nonamespace"): typename "nonamespace" must be of the form <namespace>/<name>');
  });

  test("registering an object with no decorated methods", () => {
    class Plain {
      handler(_ctx: Context, _msg: Message): void {}
    }
    expect(() => new StateFun().register(new Plain())).toThrow(
      "register(): Plain has no methods decorated with @fn(typename); decorate them, or bind functions with sf.bind()",
    );
  });

  test("a decorated type already bound on the StateFun", () => {
    class Echo {
      @fn("example/echo")
      echo(): void {}
    }
    const sf = new StateFun().bind({ typename: "example/echo", fn() {} });
    expect(() => sf.register(new Echo())).toThrow("bind(): function example/echo is already bound; bind each type once");
  });

  test("compiled with experimentalDecorators (legacy decorators): refused with a message that says what to change", () => {
    const source = `
      const { fn } = sdk;
      class Legacy {
        @fn("example/legacy")
        handler(ctx, msg) {}
      }
    `;
    const js = ts.transpileModule(source, {
      compilerOptions: { experimentalDecorators: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    }).outputText;
    expect(js).toContain("__decorate"); // the legacy helper, not the standard one
    const load = () => new Function("sdk", js)(sdk);
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(
      '@fn("example/legacy") was applied as a legacy decorator: statefun-ts decorators are standard (TC39) decorators; ' +
        "remove experimentalDecorators from tsconfig (TypeScript 5 compiles standard decorators without it), or bind the function with sf.bind()",
    );
  });

  test("compiled without experimentalDecorators, the same source works", () => {
    const source = `
      const { fn, StateFun } = sdk;
      class Standard {
        @fn("example/standard")
        handler(ctx, msg) {}
      }
      return new StateFun().register(new Standard()).functionTypes;
    `;
    const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
    expect(new Function("sdk", js)(sdk)).toEqual(["example/standard"]);
  });
});
