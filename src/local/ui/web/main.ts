/**
 * The inspector's page: a header with the views and the stream's state, and the view the
 * address bar names (`#/<view>?<arguments>`). Events stream in from the server and go to the
 * page's copy of them, then to the view shown; views that show the server's state ask it again
 * as events come, at most a few times a second.
 */
import { addressesView } from "./addresses-view.js";
import { Api } from "./api.js";
import type { App, Route, View } from "./app.js";
import { deadLettersView } from "./dead-letters-view.js";
import { h } from "./dom.js";
import { egressView } from "./egress-view.js";
import { EventLog } from "./event-log.js";
import { functionsView } from "./functions-view.js";
import type { DeadLetterView, InfoView } from "./protocol.js";
import { sendView } from "./send-view.js";
import { timelineView } from "./timeline-view.js";

const ROUTES: readonly { route: Route; label: string }[] = [
  { route: "functions", label: "Functions" },
  { route: "addresses", label: "Addresses" },
  { route: "timeline", label: "Timeline" },
  { route: "egress", label: "Egress" },
  { route: "dead-letters", label: "Dead letters" },
  { route: "send", label: "Send" },
];

function parseHash(): { route: Route; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const route = ROUTES.find((r) => r.route === path)?.route ?? "functions";
  return { route, params: new URLSearchParams(query ?? "") };
}

async function start(root: HTMLElement): Promise<void> {
  const token = document.querySelector<HTMLMetaElement>('meta[name="statefun-token"]')?.content ?? "";
  const api = new Api(token);
  const info = await api.get<InfoView>("/api/info");
  const log = new EventLog(info.capacity);
  const app: App = {
    api,
    log,
    info,
    navigate(route, params = {}) {
      const query = new URLSearchParams(params).toString();
      const hash = `#/${route}${query === "" ? "" : `?${query}`}`;
      if (location.hash === hash) showRoute();
      else location.hash = hash;
    },
  };

  const deadBadge = h("span", { class: "badge", hidden: true });
  function showDeadCount(n: number): void {
    deadBadge.hidden = n === 0;
    deadBadge.textContent = String(n);
  }
  const links = new Map(
    ROUTES.map(({ route, label }) => [route, h("a", { href: `#/${route}`, "data-route": route }, label, route === "dead-letters" ? deadBadge : null)] as const),
  );
  const dot = h("span", { class: `dot${info.mode === "trace" ? " trace" : ""}` });
  const stream = h("span", {}, dot, info.mode === "trace" ? "trace, read-only" : "connecting…");
  const counter = h("span", { "data-testid": "event-count" }, "0 events");
  const views: Record<Route, View> = {
    functions: functionsView(app),
    addresses: addressesView(app),
    timeline: timelineView(app),
    egress: egressView(app),
    "dead-letters": deadLettersView(app, showDeadCount),
    send: sendView(app),
  };
  const containers = new Map(
    ROUTES.map(({ route }) => {
      const container = h("section", { class: "view", "data-view": route, hidden: true }, views[route].element);
      return [route, container] as const;
    }),
  );
  root.replaceChildren(
    h(
      "div",
      { class: "app" },
      h(
        "header",
        {},
        h("span", { class: "brand" }, "statefun", h("small", {}, info.title)),
        h("nav", {}, ...links.values()),
        h("span", { class: "status" }, counter, stream),
      ),
      h("main", {}, ...containers.values()),
    ),
  );

  let current: Route = "functions";
  function showRoute(): void {
    const { route, params } = parseHash();
    current = route;
    for (const [r, container] of containers) container.hidden = r !== route;
    for (const [r, link] of links) link.classList.toggle("active", r === route);
    views[route].show(params);
  }
  window.addEventListener("hashchange", showRoute);
  showRoute();

  log.onAdd((added) => {
    counter.textContent = `${log.events.length.toLocaleString()} event${log.events.length === 1 ? "" : "s"}`;
    if (current !== "dead-letters" && added.some((e) => e.kind.startsWith("dead-letter"))) views["dead-letters"].update(added);
    views[current].update(added);
  });
  void api.get<DeadLetterView[]>("/api/dead-letters").then((letters) => showDeadCount(letters.length));

  let lost = false;
  api.events(
    (events) => log.add(events),
    (connected) => {
      if (info.mode === "trace") return;
      dot.classList.toggle("off", !connected);
      stream.lastChild?.replaceWith(connected ? "live" : "reconnecting…");
      if (connected && lost) {
        // Another server now (statefun dev restarted): its events are numbered afresh.
        void api.get<InfoView>("/api/info").then((now) => {
          if (now.started !== info.started) location.reload();
        });
      }
      lost = !connected;
    },
  );
}

const root = document.getElementById("app");
if (root !== null) {
  start(root).catch((e: unknown) => {
    root.replaceChildren(h("p", { class: "problem" }, `The UI could not start: ${e instanceof Error ? e.message : String(e)}`));
  });
}
