#!/usr/bin/env node
// Regenerates src/wire/descriptor.json from protos/*.proto, so the SDK loads a precompiled
// protobufjs root (no .proto parsing or file reads at run time; bundlers can inline it).
// test/wire/descriptor.test.ts fails when the two drift apart.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const protobuf = require("protobufjs");

const root = path.join(__dirname, "..");
const files = ["request-reply.proto", "types.proto", "kafka-egress.proto", "kinesis-egress.proto"];

function descriptor() {
  const parsed = new protobuf.Root().loadSync(files.map((f) => path.join(root, "protos", f)));
  return JSON.stringify(parsed.toJSON(), null, 1) + "\n";
}

module.exports = { descriptor };

if (require.main === module) {
  fs.writeFileSync(path.join(root, "src", "wire", "descriptor.json"), descriptor());
}
