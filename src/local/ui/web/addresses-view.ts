/**
 * Addresses: every address the runtime knows, searchable; one address's states decoded, its
 * messages in flight and queued, its pending delayed messages, its dead letters and history.
 */
import type { App, View } from "./app.js";
import { REFRESH_MS } from "./app.js";
import { fill, formatAddress, formatTime, h, sameAddress, throttle } from "./dom.js";
import { eventRow, involves } from "./event-row.js";
import type { AddressJson, AddressSummary, AddressView, MessageView } from "./protocol.js";
import { statesTable, valueElement } from "./value.js";
import { VirtualList } from "./virtual-list.js";

const ROW_HEIGHT = 30;
/** How much of an address's history the page lists, newest first. */
const HISTORY = 300;

function messagesTable(messages: readonly MessageView[]): HTMLElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, h("th", {}, "from"), h("th", {}, "value"))),
    h("tbody", {}, ...messages.map((m) => h("tr", {}, h("td", { class: "mono" }, m.from ? formatAddress(m.from) : "ingress"), h("td", {}, h("div", { class: "typename" }, m.value.typename), valueElement(m.value))))),
  );
}

export function addressesView(app: App): View {
  let all: readonly AddressSummary[] = [];
  let shown: AddressSummary[] = [];
  let selected: AddressJson | undefined;
  const search = h("input", { class: "grow", type: "search", placeholder: "search: type or id", "aria-label": "search addresses" });
  const count = h("span", { class: "count" });
  const list = new VirtualList<AddressSummary>(ROW_HEIGHT, (a) =>
    h(
      "div",
      { class: `row${sameAddress(a.address, selected) ? " selected" : ""}`, role: "listitem", "data-address": formatAddress(a.address), onclick: () => select(a.address) },
      h("span", { class: "addr" }, formatAddress(a.address)),
      h(
        "span",
        { class: "nums" },
        [a.states > 0 ? `${a.states} state${a.states === 1 ? "" : "s"}` : "", a.inFlight > 0 ? "in flight" : "", a.queued > 0 ? `${a.queued} queued` : "", a.delayed > 0 ? `${a.delayed} delayed` : ""]
          .filter((p) => p !== "")
          .join(" · "),
      ),
    ),
  );
  const detail = h("div", { class: "detail-pane" }, h("div", { class: "empty" }, "Select an address."));
  const element = h("div", { class: "split" }, h("div", { class: "list-pane" }, h("div", { class: "toolbar" }, search, count), list.element), detail);

  const applySearch = (): void => {
    const q = search.value.trim().toLowerCase();
    shown = q === "" ? [...all] : all.filter((a) => formatAddress(a.address).toLowerCase().includes(q));
    count.textContent = `${shown.length} of ${all.length}`;
    list.setItems(shown.length, (i) => shown[i]);
  };
  search.addEventListener("input", applySearch);

  const loadList = async (): Promise<void> => {
    all = await app.api.get<AddressSummary[]>("/api/addresses");
    applySearch();
  };

  const loadDetail = async (): Promise<void> => {
    const address = selected;
    if (address === undefined) return;
    const view = await app.api.get<AddressView>(`/api/address?type=${encodeURIComponent(address.typename)}&id=${encodeURIComponent(address.id)}`);
    if (!sameAddress(address, selected)) return;
    const clock = app.info.clock;
    const now = app.log.events.at(-1)?.at ?? app.info.now;
    const history = app.log.events.filter((e) => involves(e, address.typename, address.id));
    const recent = history.slice(-HISTORY).reverse();
    fill(
      detail,
      h(
        "div",
        { class: "head" },
        h("h2", {}, h("span", { class: "mono" }, formatAddress(address))),
        h("a", { onclick: () => app.navigate("send", { type: address.typename, id: address.id }) }, "send a message"),
        " · ",
        h("a", { onclick: () => app.navigate("timeline", { type: address.typename, id: address.id }) }, "in the timeline"),
      ),
      h("h3", {}, "State"),
      statesTable(view.states, clock, now),
      view.inFlight.length > 0 ? h("h3", {}, `In flight (batch ${view.inFlightBatch ?? ""})`) : null,
      view.inFlight.length > 0 ? messagesTable(view.inFlight) : null,
      h("h3", {}, "Queued"),
      view.queued.length > 0 ? messagesTable(view.queued) : h("div", { class: "empty" }, "Nothing queued."),
      h("h3", {}, "Delayed messages pending"),
      view.delayed.length > 0
        ? h(
            "table",
            { class: "delayed" },
            h("thead", {}, h("tr", {}, h("th", {}, "due"), h("th", {}, "from → to"), h("th", {}, "token"), h("th", {}, "value"))),
            h(
              "tbody",
              {},
              ...view.delayed.map((d) =>
                h(
                  "tr",
                  {},
                  h("td", { class: "mono" }, formatTime(d.due, clock)),
                  h("td", { class: "mono" }, `${formatAddress(d.from)} → ${formatAddress(d.to)}`),
                  h("td", { class: "mono" }, d.token ?? ""),
                  h("td", {}, valueElement(d.value)),
                ),
              ),
            ),
          )
        : h("div", { class: "empty" }, "None."),
      view.deadLetters.length > 0 ? h("h3", {}, "Dead letters") : null,
      ...view.deadLetters.map((d) => h("div", {}, h("a", { onclick: () => app.navigate("dead-letters") }, `#${d.id}`), ` ${d.error}`)),
      h("h3", {}, `History (${history.length} event${history.length === 1 ? "" : "s"} kept${history.length > HISTORY ? `, the last ${HISTORY} shown` : ""})`),
      h(
        "div",
        { class: "history" },
        ...recent.map((e) => eventRow(e, clock, () => app.navigate("timeline", { seq: String(e.seq) }))),
      ),
    );
  };

  const select = (address: AddressJson): void => {
    app.navigate("addresses", { type: address.typename, id: address.id });
  };

  const refreshList = throttle(() => void loadList(), REFRESH_MS);
  const refreshDetail = throttle(() => void loadDetail(), REFRESH_MS);
  return {
    element,
    show(params) {
      const typename = params.get("type");
      const id = params.get("id");
      const q = params.get("q");
      if (q !== null) search.value = q;
      selected = typename !== null && id !== null ? { typename, id } : selected;
      void loadList();
      void loadDetail();
    },
    update(added) {
      refreshList();
      const address = selected;
      if (address !== undefined && added.some((e) => involves(e, address.typename, address.id))) refreshDetail();
    },
  };
}
