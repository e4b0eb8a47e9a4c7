/**
 * Serves examples/cluster.ts's functions for a StateFun cluster (the functions container of
 * deploy/): POST /statefun on $PORT (default 8000), GET /health, GET /metrics; SIGTERM
 * finishes in-flight batches and exits. `npm start` runs the examples locally instead.
 */
import { sf } from "./cluster";

sf.listen().then(
  (server) => console.log(`example functions ${sf.functionTypes.join(", ")} on ${server.url}`),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
