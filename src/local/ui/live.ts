/**
 * The inspector on a running LocalRuntime, through its public inspection API alone. The
 * runtime is taken by its shape ({@link RuntimeView}), so that this file, which the runtime
 * imports to serve `inspect()`, does not import the runtime.
 */
import type { AddressRef } from "../../base/address";
import type { WireTypedValue } from "../../wire/codec";
import type { DeadLetter } from "../dead-letters";
import type { RuntimeEvent } from "../events";
import type { AddressInspection, EgressInspection, FunctionInspection } from "../inspection";
import type { RoutingRow } from "../routing";
import type { DecodedEgressRecord } from "../values";
import type { StatesBefore } from "./recorder";
import type { InspectorSource } from "./source";

/** What the inspector reads and calls of a LocalRuntime: its public API. */
export interface RuntimeView {
  readonly now: number;
  readonly clock: "virtual" | "real";
  readonly log: readonly RuntimeEvent[];
  readonly deadLetters: readonly DeadLetter[];
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  addresses(): AddressRef[];
  inspectAddress(typename: string, id: string): AddressInspection;
  functions(): FunctionInspection[];
  routes(): RoutingRow[];
  egresses(): EgressInspection[];
  egress(id: string): DecodedEgressRecord[];
  sendTypedValue(to: AddressRef, value: WireTypedValue): void;
  retryDeadLetter(id: number): void;
  discardDeadLetter(id: number): void;
}

/** The inspector's view of a running runtime; `title` names it in the page. */
export function liveSource(rt: RuntimeView, title = "LocalRuntime"): InspectorSource {
  return {
    mode: "live",
    title,
    clock: rt.clock,
    now: () => rt.now,
    attach(record, capacity) {
      const log = rt.log;
      for (let i = Math.max(0, log.length - capacity); i < log.length; i++) record(log[i]);
      let batch = 0;
      return rt.subscribe((event) => {
        // A batch's deliveries are reported together as its request is made, before anything
        // of it is applied: the address's states now are those the batch begins with.
        if (event.kind !== "deliver" || event.batch === batch) {
          record(event);
          return;
        }
        batch = event.batch;
        const before: StatesBefore = new Map(rt.inspectAddress(event.to.typename, event.to.id).states.map((s) => [s.name, s.value]));
        record(event, before);
      });
    },
    functions: () => rt.functions(),
    routes: () => rt.routes(),
    addresses: () => rt.addresses(),
    inspectAddress: (typename, id) => rt.inspectAddress(typename, id),
    egresses: () => rt.egresses(),
    egress: (id) => rt.egress(id),
    deadLetters: () => rt.deadLetters,
    actions: {
      send: (to, value) => rt.sendTypedValue(to, value),
      retryDeadLetter: (id) => rt.retryDeadLetter(id),
      discardDeadLetter: (id) => rt.discardDeadLetter(id),
    },
  };
}
