/**
 * The browser the UI's tests run in: Debian's chromium (`apt-get install -y chromium`), never a
 * downloaded one, driven by playwright-core; headless, without a sandbox (CI runs as root), on
 * a fresh profile each launch, with nothing of its own going to the network. Screenshots go to
 * dist/ui-screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where the tests' screenshots go. */
export const SCREENSHOTS = path.join(__dirname, "..", "..", "dist", "ui-screenshots");

export interface Browser {
  readonly context: BrowserContext;
  /** A new page, with its script errors failing the test that reads `errors`. */
  page(): Promise<Page & { errors: string[] }>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: the browser tests need Debian's chromium (apt-get install -y chromium)`);
  // A fresh profile: playwright passes it to chromium as --user-data-dir.
  const profile = mkdtempSync(path.join(os.tmpdir(), "statefun-ui-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 860 },
  });
  return {
    context,
    async page() {
      const page = (await context.newPage()) as Page & { errors: string[] };
      page.errors = [];
      page.on("pageerror", (e) => page.errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") page.errors.push(m.text());
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of the page as dist/ui-screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
