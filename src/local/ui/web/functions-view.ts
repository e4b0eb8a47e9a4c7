/** Functions: the traffic graph, then every function type with where it runs, its states and what it takes. */
import type { App, View } from "./app.js";
import { fill, formatDuration, h, throttle } from "./dom.js";
import { drawGraph } from "./graph.js";
import type { FunctionsView, FunctionView } from "./protocol.js";

function functionCard(f: FunctionView, app: App): HTMLElement {
  const handled = f.sendTypes.filter((t) => t.source === "handler").map((t) => t.typename);
  return h(
    "div",
    { class: "card", "data-function": f.typename },
    h(
      "div",
      { class: "head" },
      h("span", { class: "title" }, f.typename),
      h("span", { class: "pill" }, f.target ?? "not served"),
      h("a", { onclick: () => app.navigate("addresses", { q: `${f.typename}(` }) }, `${f.addresses} address${f.addresses === 1 ? "" : "es"}`),
      h("a", { onclick: () => app.navigate("send", { type: f.typename }) }, "send a message"),
    ),
    f.states.length === 0
      ? h("div", { class: "muted" }, "No states.")
      : h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", {}, "state"), h("th", {}, "type"), h("th", {}, "TTL"), h("th", {}, ""))),
          h(
            "tbody",
            {},
            ...f.states.map((st) =>
              h(
                "tr",
                {},
                h("td", { class: "mono" }, st.name),
                h("td", { class: "mono" }, st.typename),
                h("td", {}, st.expiration ? `${formatDuration(st.expiration.afterMs)} after ${st.expiration.mode === "after-write" ? "a write" : "a call"}` : "none"),
                h("td", {}, st.registered ? "" : h("span", { class: "pill", title: "declared, not registered yet: the function has not been called since the start" }, "not registered yet")),
              ),
            ),
          ),
        ),
    h(
      "div",
      { class: "muted" },
      handled.length > 0 ? `Handles ${handled.join(", ")}${f.takesAnyMessage ? ", and any other message" : " only"}.` : "Takes any message.",
    ),
  );
}

export function functionsView(app: App): View {
  const element = h("div", { class: "page" });
  const load = async (): Promise<void> => {
    const view = await app.api.get<FunctionsView>("/api/functions");
    const graph = drawGraph(view.graph.nodes, view.graph.edges, (node) => {
      if (node.kind === "function") app.navigate("addresses", { q: `${node.id}(` });
      else if (node.kind === "egress") app.navigate("egress");
      else app.navigate("timeline", { kind: "ingress" });
    });
    fill(
      element,
      h("h2", {}, "Functions"),
      h("div", { class: "graph", "data-testid": "graph" }, graph),
      ...view.functions.map((f) => functionCard(f, app)),
      view.routes.length > 0 ? h("h3", {}, "Routing (first match first)") : null,
      view.routes.length > 0
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "functions"), h("th", {}, "goes to"), h("th", {}, "from"))),
            h("tbody", {}, ...view.routes.map((r) => h("tr", {}, h("td", { class: "mono" }, r.functions), h("td", { class: "mono" }, r.target), h("td", {}, r.from)))),
          )
        : null,
    );
  };
  const refresh = throttle(() => void load(), 1_000);
  return {
    element,
    show: () => void load(),
    update: (added) => {
      if (added.some((e) => e.kind === "deliver" || e.kind === "egress" || e.kind === "register" || e.kind === "message" || e.kind === "delayed")) refresh();
    },
  };
}
