/**
 * The express adapter. It needs nothing from express at run time: express's `Request` and
 * `Response` are node's `IncomingMessage` and `ServerResponse`, so the handler below is an
 * express `RequestHandler` as it stands.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { StateFunError } from "../base/errors";
import { answerBody, fail, serveRequest, type HttpServing } from "./answer";

/** A request as express hands it over, possibly after a body parser ran. */
export type ExpressRequest = IncomingMessage & { body?: unknown };

/**
 * An express request handler: `app.post("/statefun", sf.expressHandler())`. Assignable to
 * express's `RequestHandler`.
 */
export type ExpressHandler = (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/** A body parser other than `express.raw()` has read the body, so its bytes are gone. */
class BodyConsumedError extends StateFunError {
  readonly httpStatus = 500;
}

/**
 * Works with or without `express.raw()` in front: a Buffer in `req.body` (raw ran, and already
 * decompressed it) is used as is; an unread body is read here, with the endpoint's limit and
 * Content-Encoding handling. A body another parser consumed is a 500 that says how to mount it.
 */
export function expressHandler(serving: HttpServing): ExpressHandler {
  return (req, res) => {
    const parsed = req.body;
    if (Buffer.isBuffer(parsed)) {
      void answerBody(parsed, res, serving);
      return;
    }
    if (req.readableEnded) {
      fail(
        res,
        new BodyConsumedError(
          "a body parser read the request body before the StateFun handler, so its bytes are gone; mount " +
            'sf.expressHandler() before express.json()/text()/urlencoded(), or use express.raw({ type: "*/*", limit: "32mb" })',
        ),
        serving,
        req.method,
        req.url,
      );
      return;
    }
    serveRequest(req, res, serving);
  };
}
