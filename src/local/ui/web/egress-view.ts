/** Egress: every egress, its records by topic or stream, newest first, decoded. */
import type { App, View } from "./app.js";
import { REFRESH_MS } from "./app.js";
import { fill, h, throttle } from "./dom.js";
import type { EgressView } from "./protocol.js";
import { valueElement } from "./value.js";

function recordsTable(records: EgressView["groups"][number]["records"]): HTMLElement {
  const keyed = records.some(({ record }) => record.key !== undefined);
  return h(
    "table",
    { class: "records" },
    h("thead", {}, h("tr", {}, h("th", { class: "n" }, "#"), keyed ? h("th", { class: "key" }, "key") : null, h("th", {}, "value"))),
    h(
      "tbody",
      {},
      ...records.map(({ n, record }) =>
        h("tr", { "data-record": n }, h("td", { class: "muted" }, String(n)), keyed ? h("td", { class: "mono" }, record.key ?? "") : null, h("td", {}, valueElement(record.value))),
      ),
    ),
  );
}

export function egressView(app: App): View {
  const element = h("div", { class: "page" });
  const load = async (): Promise<void> => {
    const egresses = await app.api.get<EgressView[]>("/api/egress");
    fill(
      element,
      h("h2", {}, "Egress"),
      egresses.length === 0 ? h("div", { class: "empty" }, "No egress is declared.") : null,
      ...egresses.map((egress) =>
        h(
          "div",
          { class: "card", "data-egress": egress.id },
          h("div", { class: "head" }, h("span", { class: "title" }, egress.id), h("span", { class: "pill" }, egress.kind), h("span", { class: "muted" }, `${egress.total} record${egress.total === 1 ? "" : "s"}`)),
          ...egress.groups.map((group) =>
            h(
              "div",
              { "data-topic": group.topic },
              h("h4", { class: "topic" }, group.topic === "" ? "records" : `${egress.kind === "kinesis" ? "stream" : "topic"} ${group.topic} (${group.total})`),
              group.records.length === 0 ? h("div", { class: "empty" }, "No records yet.") : recordsTable(group.records),
              group.total > group.records.length ? h("div", { class: "muted" }, `the newest ${group.records.length} of ${group.total} shown`) : null,
            ),
          ),
        ),
      ),
    );
  };
  const refresh = throttle(() => void load(), REFRESH_MS);
  return {
    element,
    show: () => void load(),
    update: (added) => {
      if (added.some((e) => e.kind === "egress" || e.kind === "restore")) refresh();
    },
  };
}
