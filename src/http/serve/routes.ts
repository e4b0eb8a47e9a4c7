/**
 * `serve()`'s routes: `POST <path>` runs a batch, `GET /health` and `GET /metrics` report, and
 * anything else is a 404 (or a 405 with `Allow` on a known path). Every refusal is logged once
 * and counted.
 */
import type http from "node:http";
import { pathOf } from "../../base/url";
import { answerText, notPost, serveRequest, type HttpServing } from "../answer";
import { refuseUnread } from "../body";
import type { EndpointMetrics } from "../metrics";

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

/** The request listener of a server serving `serving` at `path`. */
export function router(serving: HttpServing & { readonly metrics: EndpointMetrics; readonly closing: () => boolean }, path: string): http.RequestListener {
  const { logger, metrics, closing } = serving;

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string, allow?: string): void => {
    logger.warn({ status, method: req.method, url: req.url }, text);
    metrics.rejected(status);
    if (closing()) res.setHeader("Connection", "close");
    refuseUnread(req, () => answerText(res, status, text, allow ? { Allow: allow } : {}));
  };

  const report = (req: http.IncomingMessage, res: http.ServerResponse, requestPath: string): void => {
    if (closing()) res.setHeader("Connection", "close");
    const health = requestPath === "/health";
    const shuttingDown = closing();
    const body = health
      ? JSON.stringify({ status: shuttingDown ? "shutting_down" : "ok", functions: serving.endpoint.functionTypes })
      : metrics.render();
    const bytes = Buffer.from(body, "utf8");
    res.writeHead(health && shuttingDown ? 503 : 200, {
      "Content-Type": health ? "application/json" : PROMETHEUS_TEXT,
      "Content-Length": bytes.length,
    });
    res.end(req.method === "HEAD" ? undefined : bytes);
  };

  return (req, res) => {
    const requestPath = pathOf(req.url);
    const method = req.method;
    if (requestPath === path) {
      if (method === "POST") serveRequest(req, res, serving);
      else refuse(req, res, 405, notPost(String(method), path).message, "POST");
      return;
    }
    if (requestPath === "/health" || requestPath === "/metrics") {
      if (method !== "GET" && method !== "HEAD") refuse(req, res, 405, `${method} ${requestPath}: only GET and HEAD`, "GET, HEAD");
      else report(req, res, requestPath);
      return;
    }
    refuse(req, res, 404, `no route for ${method} ${requestPath}; the function endpoint is POST ${path}, and GET /health and /metrics report`);
  };
}
