/** The inspector's server, from the page: its JSON API, and its stream of events. */
import { TOKEN_HEADER, type ErrorView, type EventView } from "./protocol.js";

/** A request the server refused, with its reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T | ErrorView;
  if (!response.ok) throw new ApiError(response.status, (body as ErrorView).error ?? response.statusText);
  return body as T;
}

export class Api {
  readonly #token: string;

  /** @param token - what the page was served with; every change carries it */
  constructor(token: string) {
    this.#token = token;
  }

  async get<T>(path: string): Promise<T> {
    return answer<T>(await fetch(path, { headers: { Accept: "application/json" } }));
  }

  async post<T>(path: string, body: object): Promise<T> {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", [TOKEN_HEADER]: this.#token },
      body: JSON.stringify(body),
    });
    return answer<T>(response);
  }

  /**
   * Follows the server's events: `onEvents` gets them in order, in batches, from the first the
   * server still keeps; after a lost connection the browser reconnects and the server goes on
   * after the last one received. `onStatus` says whether the stream is connected.
   */
  events(onEvents: (events: EventView[]) => void, onStatus: (connected: boolean) => void): EventSource {
    const source = new EventSource("/api/events");
    source.addEventListener("events", (e) => onEvents(JSON.parse((e as MessageEvent<string>).data) as EventView[]));
    source.addEventListener("open", () => onStatus(true));
    source.addEventListener("error", () => onStatus(false));
    return source;
  }
}
