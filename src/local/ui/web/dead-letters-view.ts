/** Dead letters: each with its message, error and stack, and Retry and Discard. */
import type { App, View } from "./app.js";
import { REFRESH_MS } from "./app.js";
import { ApiError } from "./api.js";
import { fill, formatAddress, formatTime, h, throttle } from "./dom.js";
import type { DeadLetterView } from "./protocol.js";
import { typedValueElement } from "./value.js";

export function deadLettersView(app: App, onCount: (count: number) => void): View {
  const element = h("div", { class: "page" });
  const notice = h("div", {});
  const render = (letters: readonly DeadLetterView[]): void => {
    onCount(letters.length);
    const readOnly = app.info.readOnly;
    fill(
      element,
      h("h2", {}, "Dead letters"),
      notice,
      readOnly ? h("div", { class: "muted" }, "A trace does not record dead letters: a batch given up on is a failure event in the timeline.") : null,
      letters.length === 0 && !readOnly ? h("div", { class: "empty" }, "None: every message was delivered.") : null,
      ...letters.map((d) => {
        const act = (what: "retry" | "discard") => async (): Promise<void> => {
          try {
            render(await app.api.post<DeadLetterView[]>(`/api/dead-letters/${d.id}/${what}`, {}));
            fill(notice, h("div", { class: "notice ok" }, what === "retry" ? `Dead letter #${d.id} sent again to ${formatAddress(d.to)}.` : `Dead letter #${d.id} discarded.`));
          } catch (e) {
            fill(notice, h("div", { class: "notice bad" }, e instanceof ApiError ? e.message : String(e)));
          }
        };
        return h(
          "div",
          { class: "card", "data-dead-letter": d.id },
          h(
            "div",
            { class: "head" },
            h("span", { class: "title" }, `#${d.id}`),
            h("span", { class: "mono" }, `${d.from ? formatAddress(d.from) : "ingress"} → `),
            h("a", { class: "mono", onclick: () => app.navigate("addresses", { type: d.to.typename, id: d.to.id }) }, formatAddress(d.to)),
            h("span", { class: "muted" }, `set aside at ${formatTime(d.at, app.info.clock)}${d.attempts > 0 ? ` after ${d.attempts} failed attempt${d.attempts === 1 ? "" : "s"}` : ""}`),
          ),
          h("h3", {}, "Message"),
          typedValueElement(d.value),
          h("h3", {}, "Error"),
          h("pre", { class: "error" }, d.error),
          d.stack !== undefined ? h("h3", {}, "Stack") : null,
          d.stack !== undefined ? h("pre", { class: "json stack" }, d.stack) : null,
          h(
            "div",
            { class: "actions" },
            h("button", { class: "primary", disabled: readOnly, onclick: act("retry"), title: "send it again, to the end of its address's queue" }, "Retry"),
            h("button", { disabled: readOnly, onclick: act("discard"), title: "drop it for good" }, "Discard"),
          ),
        );
      }),
    );
  };
  const load = async (): Promise<void> => render(await app.api.get<DeadLetterView[]>("/api/dead-letters"));
  const refresh = throttle(() => void load(), REFRESH_MS);
  return {
    element,
    show: () => {
      fill(notice);
      void load();
    },
    update: (added) => {
      if (added.some((e) => e.kind.startsWith("dead-letter") || e.kind === "restore")) refresh();
    },
  };
}
