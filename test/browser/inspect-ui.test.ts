/**
 * The UI opened on a LocalRuntime in a test (`rt.inspect()`), in Debian's chromium: a dead
 * letter shown with its error and stack, retried from the page once the function is fixed;
 * and the UI read-only on the trace that runtime recorded (`statefun ui --trace`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { StateFun, silentLogger } from "../../src";
import { LocalRuntime, parseTrace } from "../../src/local";
import { startInspector } from "../../src/local/ui/server";
import { traceSource } from "../../src/local/ui/trace-source";
import { launch, screenshot, type Browser } from "./chromium";

jest.setTimeout(60_000);

const Order = StateFun.jsonType<{ item: string; quantity: number }>("example/Order");

/** `example/orders` adds each order to its total; while `broken.now`, an order of "poison" throws. */
function orders(broken: { now: boolean }): StateFun {
  return new StateFun({ logger: silentLogger }).bind({
    typename: "example/orders",
    state: { total: StateFun.intType() },
    handlers: [
      {
        type: Order,
        fn: (ctx, order) => {
          if (broken.now && order.item === "poison") throw new Error(`cannot take an order of ${order.item}`);
          ctx.storage.total = (ctx.storage.total ?? 0) + order.quantity;
        },
      },
    ],
  });
}

/** Waits for a condition of the runtime the page changed. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let browser: Browser;
let dir: string;
beforeAll(async () => {
  browser = await launch();
  dir = mkdtempSync(path.join(os.tmpdir(), "statefun-ui-inspect-"));
});
afterAll(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a dead letter: its message, error and stack in the page; Retry sends it again once the function is fixed", async () => {
  const broken = { now: true };
  const traceFile = path.join(dir, "trace.jsonl");
  const rt = new LocalRuntime({ functions: orders(broken), deadLetters: { maxAttempts: 2 }, traceFile });
  try {
    rt.send("example/orders", "ann", { item: "apple", quantity: 2 }, Order);
    rt.send("example/orders", "ann", { item: "poison", quantity: 3 }, Order);
    await rt.runUntilIdle();
    expect(rt.deadLetters.map((d) => d.id)).toEqual([1]);
    const url = await rt.inspect();
    const page = await browser.page();

    await page.goto(`${url}#/dead-letters`);
    const card = page.locator('.card[data-dead-letter="1"]');
    await card.waitFor();
    expect(await page.locator("header .badge").textContent()).toBe("1");
    expect(await card.locator("pre.error").textContent()).toContain("cannot take an order of poison");
    expect(await card.locator("pre.stack").textContent()).toMatch(/^Error: cannot take an order of poison\n\s+at .*inspect-ui\.test\.ts:\d+:\d+/);
    expect(await card.locator('pre.json[data-kind="json"]').textContent()).toBe('{\n  "item": "poison",\n  "quantity": 3\n}');
    await screenshot(page, "dead-letter");

    broken.now = false;
    await card.getByRole("button", { name: "Retry" }).click();
    await page.getByText('Dead letter #1 sent again to example/orders("ann").').waitFor();
    await until(() => rt.state("example/orders", "ann", "total") === 5, "the retried order to be applied");
    expect(rt.deadLetters).toEqual([]);
    await page.getByText("None: every message was delivered.").waitFor();
    await page.locator("header .badge").waitFor({ state: "hidden" });

    await page.goto(`${url}#/addresses?type=example/orders&id=ann`);
    const total = page.locator('.detail-pane tr[data-state="total"] code');
    await total.waitFor();
    expect(await total.textContent()).toBe("5");
    const history = await page.locator(".detail-pane .history .row").allTextContents();
    expect(history[0]).toContain('state example/orders("ann") total = io.statefun.types/int 5');
    expect(history.some((l) => l.includes("dead letter #1 → example/orders(\"ann\") sent again"))).toBe(true);
    await screenshot(page, "dead-letter-retried");
    expect(page.errors).toEqual([]);
  } finally {
    rt.close();
  }

  // The same run, read-only, from the trace it recorded.
  const inspector = await startInspector(traceSource("trace.jsonl", parseTrace(readFileSync(traceFile, "utf8")), [orders({ now: false })]));
  try {
    const page = await browser.page();
    await page.goto(`${inspector.url}#/addresses?type=example/orders&id=ann`);
    await page.getByText("trace, read-only").waitFor();
    const total = page.locator('.detail-pane tr[data-state="total"] code');
    await total.waitFor();
    expect(await total.textContent()).toBe("5");
    await page.goto(`${inspector.url}#/timeline?kind=failure`);
    await page.locator('[data-view="timeline"] .row[data-kind="failure"]').waitFor();
    await page.goto(`${inspector.url}#/send`);
    await page.getByText("Read-only: this is a recorded trace.").waitFor();
    expect(await page.locator('[data-testid="send-form"] button').isDisabled()).toBe(true);
    await screenshot(page, "trace-read-only");
    expect(page.errors).toEqual([]);
  } finally {
    await inspector.close();
  }
});
