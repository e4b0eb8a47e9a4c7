/** What every view of the page is given, and what each one is. */
import type { Api } from "./api.js";
import type { EventLog } from "./event-log.js";
import type { EventView, InfoView } from "./protocol.js";

/** The page's routes: one per view. */
export type Route = "functions" | "addresses" | "timeline" | "egress" | "dead-letters" | "send";

export interface App {
  readonly api: Api;
  readonly log: EventLog;
  readonly info: InfoView;
  /** Shows a view, with arguments (they become the address bar's `#/<route>?<params>`). */
  navigate(route: Route, params?: Readonly<Record<string, string>>): void;
}

export interface View {
  readonly element: HTMLElement;
  /** The view is shown, or shown again with other arguments. */
  show(params: URLSearchParams): void;
  /** Events arrived (only called while the view is shown; `show` catches up on the rest). */
  update(added: readonly EventView[]): void;
}

/** How often a view asks the server again while events keep coming. */
export const REFRESH_MS = 400;
