/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The UI's tests in a browser: `npm run test:browser` (jest.browser.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/browser/"],
  // Type checking is `npm run build`'s job (tsc); tests are only transpiled, which keeps them fast.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true } }] },
};
