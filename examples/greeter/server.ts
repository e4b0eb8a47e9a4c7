/**
 * Serves the greeter functions on http://0.0.0.0:$PORT/ (default 8000) for a StateFun cluster
 * (module.yaml: `urlPathTemplate: http://<host>:8000/statefun`).
 *
 * `--demo` first plays the cluster's part for a few messages over HTTP, so the application can
 * be seen working with nothing else installed; `--once` exits after the demo.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { greeterApp } from "./functions";
import { playCluster } from "./demo-cluster";

async function main(): Promise<void> {
  const sf = greeterApp();
  const server = http.createServer(sf.handler());
  const port = Number(process.env.PORT ?? 8000);
  await new Promise<void>((resolve) => server.listen(port, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun`;

  if (process.argv.includes("--demo")) {
    console.log(`greeter functions (${sf.functionTypes.join(", ")}) serving on ${url}; playing the cluster:`);
    for (const line of await playCluster(url, ["Alice", "Bob", "Alice", "Alice"])) console.log(`  ${line}`);
  }
  if (process.argv.includes("--once")) {
    server.close();
    return;
  }
  console.log(`serving ${sf.functionTypes.join(", ")} on ${url} — point module.yaml's urlPathTemplate here; Ctrl-C stops`);
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
