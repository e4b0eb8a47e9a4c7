import { readDuration } from "./duration";
import { ASYNC_TRANSPORT, ENDPOINT_V1, OKHTTP_TRANSPORT, type Kind } from "./schemas";
import { isRecord } from "./validate";
import type { Path } from "./yaml";

/** The four timeouts a transport may have. */
export type TimeoutName = "call" | "connect" | "read" | "write";

/** One timeout of an endpoint: where it is written (if it is) and what applies when it is not. */
export interface TimeoutSetting {
  name: TimeoutName;
  path: Path;
  /** The value as written; `undefined` when absent. */
  written: unknown;
  defaultMs: number;
}

/** The transport an endpoint uses, as the cluster resolves it. */
export interface TransportView {
  type: typeof ASYNC_TRANSPORT | typeof OKHTTP_TRANSPORT;
  timeouts: TimeoutSetting[];
  /**
   * Whether the cluster refuses the endpoint when a timeout exceeds the call timeout (okhttp
   * checks this; the async transport just cuts the call short).
   */
  strict: boolean;
  /** Properties the transport reads from two places, where the first shadows the second. */
  shadowed: { winner: Path; loser: Path }[];
}

const OKHTTP_DEFAULTS: Record<TimeoutName, number> = { call: 60_000, connect: 10_000, read: 10_000, write: 10_000 };
const ASYNC_DEFAULTS = { call: 120_000, connect: 20_000 };

/**
 * How an endpoint's timeouts resolve. A v1 endpoint uses okhttp with `spec.timeouts`; a v2
 * endpoint uses `spec.transport`, whose type defaults to async. The async transport also takes
 * okhttp's `timeouts: { call, connect }`: when that mapping is present it replaces `call` and
 * `connect` entirely, with okhttp's defaults (1 min, 10s) for what it leaves out.
 */
export function transportOf(kind: Kind, spec: unknown): TransportView {
  const fields = isRecord(spec) ? spec : {};
  if (kind === ENDPOINT_V1) return okhttp(fields, ["spec"]);
  const transport = isRecord(fields["transport"]) ? fields["transport"] : {};
  if (transport["type"] === OKHTTP_TRANSPORT) return okhttp(transport, ["spec", "transport"]);
  const view: TransportView = { type: ASYNC_TRANSPORT, timeouts: [], strict: false, shadowed: [] };
  const nested = transport["timeouts"];
  for (const name of ["call", "connect"] as const) {
    if (isRecord(nested)) {
      if (transport[name] !== undefined) view.shadowed.push({ winner: ["spec", "transport", "timeouts"], loser: ["spec", "transport", name] });
      view.timeouts.push({ name, path: ["spec", "transport", "timeouts", name], written: nested[name], defaultMs: OKHTTP_DEFAULTS[name] });
    } else {
      view.timeouts.push({ name, path: ["spec", "transport", name], written: transport[name], defaultMs: ASYNC_DEFAULTS[name] });
    }
  }
  return view;
}

function okhttp(parent: Record<string, unknown>, parentPath: Path): TransportView {
  const timeouts = isRecord(parent["timeouts"]) ? parent["timeouts"] : {};
  return {
    type: OKHTTP_TRANSPORT,
    strict: true,
    shadowed: [],
    timeouts: (["call", "connect", "read", "write"] as const).map((name) => ({
      name,
      path: [...parentPath, "timeouts", name],
      written: timeouts[name],
      defaultMs: OKHTTP_DEFAULTS[name],
    })),
  };
}

/** A timeout's value in milliseconds: as written, its default when absent, `undefined` when unreadable. */
export function timeoutMs(setting: TimeoutSetting): number | undefined {
  if (setting.written === undefined) return setting.defaultMs;
  const ms = readDuration(setting.written);
  return typeof ms === "number" ? ms : undefined;
}
