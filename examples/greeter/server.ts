/**
 * Serves the greeter functions with `sf.listen()` on $PORT (default 8000): POST /statefun for
 * the cluster (module.yaml: `urlPathTemplate: http://<host>:8000/statefun`), GET /health and
 * GET /metrics for operators. SIGTERM/SIGINT finish in-flight batches and exit.
 *
 * `--demo` first plays the cluster's part for a few messages over HTTP, so the application can
 * be seen working with nothing else installed; `--once` exits after the demo.
 */
import { greeterApp } from "./functions";
import { playCluster } from "./demo-cluster";

async function main(): Promise<void> {
  const sf = greeterApp();
  const once = process.argv.includes("--once");
  const server = await sf.listen({ handleSignals: !once });
  if (process.argv.includes("--demo")) {
    console.log(`greeter functions (${sf.functionTypes.join(", ")}) serving on ${server.url}; playing the cluster:`);
    for (const line of await playCluster(server.url, ["Alice", "Bob", "Alice", "Alice"])) console.log(`  ${line}`);
  }
  if (once) {
    await server.close();
    return;
  }
  console.log(`serving on ${server.url} (health: GET /health, metrics: GET /metrics); Ctrl-C stops`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
