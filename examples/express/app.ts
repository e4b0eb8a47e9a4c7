/**
 * StateFun functions mounted in an existing express application, beside its own routes.
 *
 * `sf.expressHandler()` works with or without `express.raw()` in front; here the app's JSON
 * parser is global, which is fine: it only reads `application/json` bodies, and the cluster
 * posts `application/octet-stream`.
 */
import express, { type Express } from "express";
import { greeterApp } from "../greeter/functions";

export function createApp(): Express {
  const sf = greeterApp();
  const app = express();
  app.use(express.json());
  app.get("/", (_req, res) => {
    res.json({ service: "greeter", functions: sf.functionTypes });
  });
  app.post("/api/echo", (req, res) => {
    res.json({ echo: req.body as unknown });
  });
  app.post("/statefun", sf.expressHandler());
  return app;
}
