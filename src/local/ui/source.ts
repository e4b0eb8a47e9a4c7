/**
 * What the inspector shows, wherever it comes from: a running LocalRuntime (live.ts) or a
 * recorded trace (trace-source.ts). Both answer with the runtime's own inspection types, so
 * the server does not know which it serves, except that a trace cannot be changed.
 */
import type { AddressRef } from "../../base/address";
import type { WireTypedValue } from "../../wire/codec";
import type { DeadLetter } from "../dead-letters";
import type { RuntimeEvent } from "../events";
import type { AddressInspection, EgressInspection, FunctionInspection } from "../inspection";
import type { RoutingRow } from "../routing";
import type { DecodedEgressRecord } from "../values";
import type { StatesBefore } from "./recorder";

/** What the page may change: present on a live runtime, absent on a trace. */
export interface InspectorActions {
  /**
   * Sends a value from an ingress.
   * @throws {@link JobFailedError} when nothing serves the function type, or the runtime failed
   */
  send(to: AddressRef, value: WireTypedValue): void;
  /** @throws {@link InvalidArgumentError} for an id not on the list */
  retryDeadLetter(id: number): void;
  /** @throws {@link InvalidArgumentError} for an id not on the list */
  discardDeadLetter(id: number): void;
}

export interface InspectorSource {
  readonly mode: "live" | "trace";
  /** What runs, for the page's header. */
  readonly title: string;
  readonly clock: "virtual" | "real";
  now(): number;
  /**
   * Calls `record` with the newest `capacity` events so far, then with each new one as it
   * happens (a batch's first delivery with the address's states as the batch began, when
   * known); returns what stops it.
   */
  attach(record: (event: RuntimeEvent, before?: StatesBefore) => void, capacity: number): () => void;
  functions(): FunctionInspection[];
  routes(): RoutingRow[];
  addresses(): AddressRef[];
  inspectAddress(typename: string, id: string): AddressInspection;
  egresses(): EgressInspection[];
  egress(id: string): DecodedEgressRecord[];
  deadLetters(): readonly DeadLetter[];
  readonly actions?: InspectorActions;
}
