/**
 * Serves the greeter functions for a StateFun cluster with `sf.listen()` on $PORT (default
 * 8000): POST /statefun (module.yaml: `urlPathTemplate: http://<host>:8000/statefun`), GET
 * /health and GET /metrics. SIGTERM/SIGINT finish in-flight batches and exit. To run the
 * application on one machine without a cluster, use `npm start` (statefun dev).
 */
import { greeterApp } from "./functions";

greeterApp()
  .listen()
  .then(
    (server) => console.log(`greeter functions on ${server.url} (health: GET /health, metrics: GET /metrics)`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
