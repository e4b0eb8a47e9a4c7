import descriptorJson from "../../src/wire/descriptor.json";

// The SDK loads a precompiled root; it must be exactly what protos/ compile to.
test("src/wire/descriptor.json is generated from protos/ (run `npm run protos` after editing a .proto)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { descriptor } = require("../../scripts/protos-to-json.js") as { descriptor: () => string };
  expect(JSON.parse(descriptor())).toEqual(descriptorJson);
});
