/**
 * Timeline: every event kept, newest first, filtered by function type, id, kind and batch. The
 * list is virtual (only the rows in sight are in the document) and a filter is applied to the
 * page's own copy of the events, so tens of thousands of them refilter within a frame. One
 * event selected shows its payload decoded, its caller, its batch and the address's states
 * before the batch and after its reply.
 */
import type { App, View } from "./app.js";
import { fill, formatAddress, formatTime, h } from "./dom.js";
import { eventRow } from "./event-row.js";
import { EVENT_KINDS, type BatchView, type EventKind, type EventView, type Json } from "./protocol.js";
import { recordElement, statesTable, typedValueElement } from "./value.js";
import { VirtualList } from "./virtual-list.js";

const ROW_HEIGHT = 28;

/** The index of the first event numbered `seq` or later in events ordered by number. */
function firstFrom(events: readonly EventView[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function detailValue(value: Json): HTMLElement {
  if (typeof value === "string") return value.includes("\n") ? h("pre", { class: "json" }, value) : h("span", { class: "mono" }, value);
  return h("span", { class: "mono" }, JSON.stringify(value));
}

export function timelineView(app: App): View {
  const filter = { type: "", id: "", kinds: new Set<EventKind>(EVENT_KINDS), batch: undefined as number | undefined };
  let matching: EventView[] = [];
  let selected: number | undefined;
  const types = new Set<string>();

  const typeSelect = h("select", { "aria-label": "function type" }, h("option", { value: "" }, "every function type"));
  const idInput = h("input", { class: "grow", type: "search", placeholder: "id contains…", "aria-label": "id" });
  const batchChip = h("span", {});
  const count = h("span", { class: "count" });
  const chips = EVENT_KINDS.map((kind) => {
    const box = h("input", { type: "checkbox", checked: true, value: kind });
    const label = h("label", { class: "on", "data-kind": kind }, box, kind);
    box.addEventListener("change", () => {
      if (box.checked) filter.kinds.add(kind);
      else filter.kinds.delete(kind);
      label.classList.toggle("on", box.checked);
      recompute();
    });
    return { kind, box, label };
  });
  const list = new VirtualList<EventView>(ROW_HEIGHT, (e) => eventRow(e, app.info.clock, () => select(e.seq), e.seq === selected));
  const detail = h("div", { class: "detail-pane" }, h("div", { class: "empty" }, "Select an event."));
  const element = h(
    "div",
    { class: "split" },
    h(
      "div",
      { class: "list-pane" },
      h("div", { class: "toolbar" }, typeSelect, idInput, batchChip, count),
      h("div", { class: "kinds" }, ...chips.map((c) => c.label)),
      list.element,
    ),
    detail,
  );

  const matches = (e: EventView): boolean => {
    if (!filter.kinds.has(e.kind)) return false;
    if (filter.batch !== undefined && e.batch !== filter.batch) return false;
    const { type, id } = filter;
    if (type === "" && id === "") return true;
    if (e.kind === "register" && id === "" && e.detail.functionType === type) return true;
    for (const a of [e.address, e.from, e.to]) {
      if (a && (type === "" || a.typename === type) && (id === "" || a.id.toLowerCase().includes(id))) return true;
    }
    return false;
  };

  const showCount = (): void => {
    count.textContent = `${matching.length.toLocaleString()} of ${app.log.events.length.toLocaleString()} events`;
  };

  const draw = (): void => {
    list.setItems(matching.length, (i) => matching[matching.length - 1 - i]);
    showCount();
  };

  const recompute = (): void => {
    matching = app.log.events.filter(matches);
    draw();
  };

  const learnTypes = (events: readonly EventView[]): void => {
    for (const e of events) {
      for (const a of [e.address, e.from, e.to]) {
        if (!a || types.has(a.typename)) continue;
        types.add(a.typename);
        const options = [...types].sort();
        const at = options.indexOf(a.typename);
        typeSelect.insertBefore(h("option", { value: a.typename }, a.typename), typeSelect.options[at + 1] ?? null);
      }
    }
  };

  const showBatchChip = (): void => {
    fill(
      batchChip,
      filter.batch === undefined
        ? null
        : h(
            "span",
            { class: "pill" },
            `batch ${filter.batch} `,
            h(
              "a",
              {
                title: "show every batch",
                onclick: () => {
                  filter.batch = undefined;
                  showBatchChip();
                  recompute();
                },
              },
              "×",
            ),
          ),
    );
  };

  typeSelect.addEventListener("change", () => {
    filter.type = typeSelect.value;
    recompute();
  });
  idInput.addEventListener("input", () => {
    filter.id = idInput.value.trim().toLowerCase();
    recompute();
  });

  const select = (seq: number): void => {
    selected = seq;
    list.draw();
    void showEvent(seq);
  };

  const showEvent = async (seq: number): Promise<void> => {
    let e = app.log.events[firstFrom(app.log.events, seq)];
    if (e === undefined || e.seq !== seq) {
      fill(detail, h("div", { class: "empty" }, `Event #${seq} is no longer kept.`));
      return;
    }
    if (e.value?.truncated || e.record?.value.truncated) e = await app.api.get<EventView>(`/api/event?seq=${seq}`);
    const clock = app.info.clock;
    const fields: HTMLElement[] = [];
    const field = (name: string, value: HTMLElement | string): void => {
      fields.push(h("dt", {}, name), h("dd", {}, value));
    };
    const addressLink = (a: { typename: string; id: string }): HTMLElement =>
      h("a", { class: "mono", onclick: () => app.navigate("addresses", { type: a.typename, id: a.id }) }, formatAddress(a));
    field("when", `${formatTime(e.at, clock)} (event #${e.seq})`);
    if (e.address) field(e.kind === "deliver" || e.kind === "ingress" ? "to" : "at", addressLink(e.address));
    if (e.from !== undefined) field("caller", e.from === null ? "ingress (no caller)" : addressLink(e.from));
    if (e.to) field("to", addressLink(e.to));
    if (e.batch !== undefined) {
      const batch = e.batch;
      field(
        "batch",
        h(
          "a",
          {
            onclick: () => {
              filter.batch = batch;
              showBatchChip();
              recompute();
            },
          },
          `${batch} (show its events only)`,
        ),
      );
    }
    for (const [name, value] of Object.entries(e.detail)) field(name, detailValue(value));
    const batchSection = h("div", {});
    fill(
      detail,
      h("div", { class: "head" }, h("span", { class: `kind-tag k-${e.kind}` }, e.kind), " ", h("span", { class: "mono" }, e.text)),
      h("h3", {}, "Details"),
      h("dl", { class: "fields" }, ...fields),
      e.value !== undefined || e.record !== undefined ? h("h3", {}, e.kind === "state" ? "New value" : e.record ? "Record" : "Payload") : null,
      e.record ? recordElement(e.record) : e.value !== undefined ? typedValueElement(e.value, "(deleted)") : null,
      batchSection,
    );
    if (e.batch === undefined) return;
    let batch: BatchView;
    try {
      batch = await app.api.get<BatchView>(`/api/batch?id=${e.batch}`);
    } catch {
      return;
    }
    if (selected !== seq) return;
    const now = app.log.events.at(-1)?.at ?? app.info.now;
    fill(
      batchSection,
      h("h3", {}, `State of ${formatAddress(batch.address)} before batch ${batch.batch}`),
      batch.before === undefined ? h("div", { class: "empty" }, "Not recorded: the batch ran before the UI was opened.") : statesTable(batch.before, clock, now),
      h("h3", {}, `After its reply${batch.before === undefined ? " (the states it changed)" : ""}`),
      statesTable(batch.after, clock, now),
    );
  };

  return {
    element,
    show(params) {
      const seq = params.get("seq");
      if (params.has("type") || params.has("id")) {
        filter.type = params.get("type") ?? "";
        filter.id = (params.get("id") ?? "").toLowerCase();
      }
      const batch = params.get("batch");
      if (batch !== null) filter.batch = Number(batch);
      const kind = params.get("kind");
      if (kind !== null) {
        filter.kinds = new Set(EVENT_KINDS.filter((k) => k === kind));
        for (const c of chips) {
          c.box.checked = c.kind === kind;
          c.label.classList.toggle("on", c.box.checked);
        }
      }
      learnTypes(app.log.events);
      typeSelect.value = filter.type;
      idInput.value = params.get("id") ?? idInput.value;
      showBatchChip();
      recompute();
      if (seq !== null) {
        select(Number(seq));
        const index = matching.length - 1 - firstFrom(matching, Number(seq));
        list.reveal(index);
      }
    },
    update(added) {
      learnTypes(added);
      const dropped = firstFrom(matching, app.log.first);
      if (dropped > 0) matching.splice(0, dropped);
      const fresh = added.filter(matches);
      matching.push(...fresh);
      draw();
      list.shiftBy(fresh.length);
    },
  };
}
