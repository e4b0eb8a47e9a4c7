/**
 * `npm run test:browser`: the UI in a real browser (Debian's chromium, driven by playwright-core),
 * one test file at a time; kept out of `npm test`, which needs no browser.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test/browser"],
  testMatch: ["**/*.test.ts"],
  maxWorkers: 1,
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true } }] },
};
