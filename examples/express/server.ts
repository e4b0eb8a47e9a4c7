/**
 * Serves the express example on $PORT (default 8000): the app's own routes, and the greeter
 * functions at POST /statefun (module.yaml: `urlPathTemplate: http://<host>:8000/statefun`).
 */
import { createApp } from "./app";

const port = Number(process.env.PORT ?? 8000);
const server = createApp().listen(port, () => {
  console.log(`express app with StateFun functions at http://localhost:${port}/statefun`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
