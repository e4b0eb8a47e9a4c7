/**
 * Send: a message from an ingress to a function type and id, its value typed as one of the
 * types the function takes (its handlers'), was sent, or the functions declare, or a built-in
 * one; then its delivery and what the batch did (messages, records, state), as they happen.
 */
import type { App, View } from "./app.js";
import { REFRESH_MS } from "./app.js";
import { ApiError } from "./api.js";
import { fill, formatAddress, h, sameAddress, throttle } from "./dom.js";
import { eventRow } from "./event-row.js";
import type { AddressView, EventView, FunctionsView, FunctionView, SendRequest, SendResult, TypeOption } from "./protocol.js";
import { statesTable } from "./value.js";

const GROUPS: readonly { source: TypeOption["source"]; label: string }[] = [
  { source: "handler", label: "its handlers take" },
  { source: "seen", label: "sent to it before" },
  { source: "declared", label: "declared by the functions" },
  { source: "builtin", label: "built in" },
];

/** What to type for a value of a type. */
function hint(option: TypeOption | undefined): { placeholder: string; text: string } {
  if (option === undefined) return { placeholder: "", text: "" };
  if (option.kind === "json") return { placeholder: '{"name": "Bob"}', text: "JSON text (checked against the type's schema, if it has one)." };
  if (option.kind !== "builtin") return { placeholder: "", text: `A ${option.kind} value cannot be written here.` };
  const name = option.typename.slice(option.typename.indexOf("/") + 1);
  const texts: Readonly<Record<string, [string, string]>> = {
    int: ["42", "A whole number of 32 bits."],
    long: ["9007199254740993", "A whole number of 64 bits."],
    float: ["1.5", "A number (rounded to 32 bits)."],
    double: ["1.5", "A number."],
    bool: ["true", "true or false."],
    string: ["hello", "Any text, as it is."],
  };
  const [placeholder, text] = texts[name] ?? ["", ""];
  return { placeholder, text };
}

export function sendView(app: App): View {
  let functions: readonly FunctionView[] = [];
  let sent: SendResult | undefined;
  let edited = false;
  const typeSelect = h("select", { name: "typename", "aria-label": "function type" });
  const idInput = h("input", { name: "id", placeholder: "id, e.g. Bob", "aria-label": "id", required: true });
  const valueType = h("select", { name: "valueType", "aria-label": "value type" });
  const valueHint = h("div", { class: "hint" });
  const value = h("textarea", { name: "value", "aria-label": "value", spellcheck: "false" });
  const button = h("button", { class: "primary", type: "submit" }, "Send");
  const result = h("div", {});
  const effects = h("div", { class: "effects" });
  const stateAfter = h("div", {});
  const form = h(
    "form",
    { class: "form", "data-testid": "send-form" },
    h("label", {}, "function type"),
    typeSelect,
    h("label", {}, "id"),
    idInput,
    h("label", {}, "value type"),
    h("div", {}, valueType, valueHint),
    h("label", {}, "value"),
    value,
    h("span", {}),
    h("div", {}, button),
  );
  const element = h(
    "div",
    { class: "page" },
    h("h2", {}, "Send a message"),
    app.info.readOnly ? h("div", { class: "notice bad" }, "Read-only: this is a recorded trace.") : null,
    form,
    result,
    effects,
    stateAfter,
  );

  const option = (): TypeOption | undefined => functions.find((f) => f.typename === typeSelect.value)?.sendTypes.find((t) => t.typename === valueType.value);

  /** The last value of the chosen type sent anywhere, as a starting point. */
  const example = (typename: string): string | undefined => {
    const events = app.log.events;
    for (let i = events.length - 1; i >= 0; i--) {
      const v = events[i].value;
      if (v && v.typename === typename && v.json !== undefined && (v.kind === "json" || v.kind === "builtin") && (events[i].kind === "deliver" || events[i].kind === "ingress")) {
        return v.kind === "json" ? JSON.stringify(v.json) : String(v.json);
      }
    }
    return undefined;
  };

  const showHint = (): void => {
    const chosen = option();
    const { placeholder, text } = hint(chosen);
    value.placeholder = placeholder;
    valueHint.textContent = text;
    button.disabled = app.info.readOnly || chosen === undefined || (chosen.kind !== "json" && chosen.kind !== "builtin");
    if (!edited && chosen !== undefined) value.value = example(chosen.typename) ?? "";
  };

  const fillTypes = (): void => {
    const f = functions.find((fn) => fn.typename === typeSelect.value);
    const before = valueType.value;
    valueType.replaceChildren(
      ...GROUPS.map((g) => {
        const options = (f?.sendTypes ?? []).filter((t) => t.source === g.source);
        if (options.length === 0) return null;
        return h(
          "optgroup",
          { label: g.label },
          ...options.map((t) =>
            h("option", { value: t.typename, disabled: t.kind !== "json" && t.kind !== "builtin" }, t.kind === "json" || t.kind === "builtin" ? t.typename : `${t.typename} (${t.kind})`),
          ),
        );
      }).filter((g) => g !== null),
    );
    const sendable = (f?.sendTypes ?? []).filter((t) => t.kind === "json" || t.kind === "builtin");
    valueType.value = sendable.some((t) => t.typename === before) ? before : (sendable[0]?.typename ?? "");
    showHint();
  };

  typeSelect.addEventListener("change", () => {
    edited = false;
    fillTypes();
  });
  valueType.addEventListener("change", () => {
    edited = false;
    showHint();
  });
  value.addEventListener("input", () => (edited = true));

  const showEffects = (): void => {
    if (sent === undefined) return;
    const { address, seq } = sent;
    const events = app.log.events;
    const mine: EventView[] = [];
    let batch: number | undefined;
    for (const e of events) {
      if (e.seq < seq) continue;
      if (e.seq === seq) mine.push(e);
      else if (batch === undefined && e.kind === "deliver" && sameAddress(e.address, address) && e.from === null) {
        batch = e.batch;
        mine.push(e);
      } else if (batch !== undefined && e.batch === batch) mine.push(e);
    }
    fill(
      effects,
      h("h3", {}, batch === undefined ? "Waiting for its delivery…" : `Its delivery and what batch ${batch} did`),
      ...mine.map((e) => eventRow(e, app.info.clock, () => app.navigate("timeline", { seq: String(e.seq) }))),
    );
    if (batch !== undefined) void loadState();
  };

  const loadState = async (): Promise<void> => {
    const address = sent?.address;
    if (address === undefined) return;
    const view = await app.api.get<AddressView>(`/api/address?type=${encodeURIComponent(address.typename)}&id=${encodeURIComponent(address.id)}`);
    fill(stateAfter, h("h3", {}, `State of ${formatAddress(address)} now`), statesTable(view.states, app.info.clock, app.log.events.at(-1)?.at ?? app.info.now));
  };
  const refreshEffects = throttle(showEffects, REFRESH_MS / 4);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      button.disabled = true;
      fill(effects);
      fill(stateAfter);
      try {
        const request: SendRequest = { typename: typeSelect.value, id: idInput.value, valueType: valueType.value, value: value.value };
        sent = await app.api.post<SendResult>("/api/send", request);
        fill(result, h("div", { class: "notice ok" }, `Sent to ${formatAddress(sent.address)} (event #${sent.seq}).`));
        showEffects();
      } catch (e) {
        sent = undefined;
        fill(result, h("div", { class: "notice bad" }, e instanceof ApiError ? e.message : String(e)));
      } finally {
        showHint();
      }
    })();
  });

  return {
    element,
    show(params) {
      void (async () => {
        const view = await app.api.get<FunctionsView>("/api/functions");
        functions = view.functions.filter((f) => f.target !== null || app.info.readOnly);
        const before = params.get("type") ?? typeSelect.value;
        typeSelect.replaceChildren(...functions.map((f) => h("option", { value: f.typename }, f.typename)));
        if (functions.some((f) => f.typename === before)) typeSelect.value = before;
        const id = params.get("id");
        if (id !== null) idInput.value = id;
        fillTypes();
      })();
    },
    update: () => refreshEffects(),
  };
}
