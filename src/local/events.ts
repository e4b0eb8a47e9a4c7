/**
 * What the local runtime reports as it works: the message log of `LocalRuntime.log`, the lines
 * `statefun dev` prints, and what `onEvent` receives.
 */
import { formatAddress, type AddressRef } from "../base/address";
import { clip, quote } from "../base/text";
import type { WireTypedValue } from "../wire/codec";
import type { DeadLetter } from "./dead-letters";
import { decodeValue, describeEgressRecord, describeValue, utf8Text, type DecodedEgressRecord } from "./values";

/**
 * Everything the runtime reports; `at` is the runtime clock (ms). `batch` numbers the batches:
 * the invocations the runtime took in flight together for one address (from 1, never reused by
 * the runtime). A delivery, the retries and faults of its request, the state registration it
 * asked for, and what its reply applied (messages, delayed messages and their cancellations,
 * egress records, state changes) all carry the number of their batch, which is sent again as
 * it was on a retry (and one invocation per request when it is isolated for dead-lettering).
 */
export type RuntimeEvent =
  | { readonly kind: "ingress"; readonly at: number; readonly to: AddressRef; readonly value: WireTypedValue }
  | {
      readonly kind: "deliver";
      readonly at: number;
      readonly batch: number;
      readonly to: AddressRef;
      readonly from: AddressRef | null;
      readonly value: WireTypedValue;
    }
  | { readonly kind: "register"; readonly at: number; readonly batch: number; readonly functionType: string; readonly states: readonly string[] }
  | { readonly kind: "message"; readonly at: number; readonly batch: number; readonly from: AddressRef; readonly to: AddressRef; readonly value: WireTypedValue }
  | {
      readonly kind: "delayed";
      readonly at: number;
      readonly batch: number;
      readonly from: AddressRef;
      readonly to: AddressRef;
      readonly dueAt: number;
      readonly token?: string;
      readonly value: WireTypedValue;
    }
  | { readonly kind: "cancel"; readonly at: number; readonly batch: number; readonly from: AddressRef; readonly token: string; readonly cancelled: boolean }
  | {
      readonly kind: "egress";
      readonly at: number;
      readonly batch: number;
      readonly from: AddressRef;
      readonly egress: string;
      readonly record: DecodedEgressRecord;
    }
  | {
      readonly kind: "state";
      readonly at: number;
      readonly batch: number;
      readonly address: AddressRef;
      readonly name: string;
      readonly value: WireTypedValue | null;
    }
  | {
      readonly kind: "retry";
      readonly at: number;
      readonly batch: number;
      readonly to: AddressRef;
      readonly attempt: number;
      readonly reason: string;
      readonly backoffMs: number;
    }
  | { readonly kind: "fault"; readonly at: number; readonly batch: number; readonly to: AddressRef; readonly fault: "duplicate" | "lost-reply" }
  | { readonly kind: "restore"; readonly at: number; readonly checkpointAt: number; readonly replayed: number }
  | { readonly kind: "failure"; readonly at: number; readonly reason: string }
  | ({ readonly kind: "dead-letter" } & DeadLetter)
  | { readonly kind: "dead-letter-retry"; readonly at: number; readonly id: number; readonly to: AddressRef }
  | { readonly kind: "dead-letter-discard"; readonly at: number; readonly id: number; readonly to: AddressRef };

/** A value as one line of the event log, cut to a readable length. */
function valueLine(value: WireTypedValue): string {
  return clip(describeValue(value), VALUE_CHARS);
}

/** How much of a value an event line shows. */
const VALUE_CHARS = 400;

/** `[12.500s]` on the virtual clock, `[14:03:07.123]` (local time) on the wall clock. */
function clock(at: number, wallClock: boolean): string {
  if (!wallClock) return `[${(at / 1000).toFixed(3)}s]`;
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `[${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}]`;
}

/**
 * One readable line per event.
 * @param options.wallClock - the runtime runs on the real clock: show times of day
 */
export function formatEvent(e: RuntimeEvent, options: { wallClock?: boolean } = {}): string {
  const wall = options.wallClock ?? false;
  const t = clock(e.at, wall);
  switch (e.kind) {
    case "ingress":
      return `${t} ingress → ${formatAddress(e.to)}: ${valueLine(e.value)}`;
    case "deliver":
      return `${t} deliver ${e.from ? formatAddress(e.from) : "ingress"} → ${formatAddress(e.to)}: ${valueLine(e.value)}`;
    case "register":
      return `${t} register ${e.functionType} states ${e.states.join(", ")}`;
    case "message":
      return `${t} message ${formatAddress(e.from)} → ${formatAddress(e.to)}: ${valueLine(e.value)}`;
    case "delayed":
      return `${t} delayed ${formatAddress(e.from)} → ${formatAddress(e.to)} at ${clock(e.dueAt, wall)}${e.token ? ` token ${quote(e.token)}` : ""}: ${valueLine(e.value)}`;
    case "cancel":
      return `${t} cancel ${formatAddress(e.from)} token ${quote(e.token)}${e.cancelled ? "" : " (nothing pending)"}`;
    case "egress":
      return `${t} egress ${formatAddress(e.from)} → ${e.egress} ${clip(describeEgressRecord(e.record), VALUE_CHARS)}`;
    case "state":
      return `${t} state ${formatAddress(e.address)} ${e.name} = ${e.value === null ? "(deleted)" : valueLine(e.value)}`;
    case "retry":
      return `${t} retry ${formatAddress(e.to)} attempt ${e.attempt} in ${e.backoffMs} ms: ${clip(e.reason, VALUE_CHARS)}`;
    case "fault":
      return `${t} fault ${e.fault} ${formatAddress(e.to)}`;
    case "restore":
      return `${t} restore from the checkpoint of ${clock(e.checkpointAt, wall)}, ${e.replayed} ingress message(s) replayed`;
    case "failure":
      return `${t} JOB FAILED: ${clip(e.reason, 2_000)}`;
    case "dead-letter":
      return (
        `${t} DEAD LETTER #${e.id} ${e.from ? formatAddress(e.from) : "ingress"} → ${formatAddress(e.to)} set aside` +
        `${e.attempts === 0 ? "" : ` after ${e.attempts} failed attempt${e.attempts === 1 ? "" : "s"}`}: ${valueLine(e.value)}; ${clip(e.error, 2_000)}`
      );
    case "dead-letter-retry":
      return `${t} dead letter #${e.id} → ${formatAddress(e.to)} sent again`;
    case "dead-letter-discard":
      return `${t} dead letter #${e.id} → ${formatAddress(e.to)} discarded`;
  }
}

/** Bytes as text when they are UTF-8, base64 otherwise. */
function jsonBytes(bytes: Buffer): { text: string } | { base64: string } {
  const text = utf8Text(bytes);
  return text !== undefined ? { text } : { base64: bytes.toString("base64") };
}

function jsonValue(v: WireTypedValue | null): unknown {
  if (v === null) return null;
  let decoded: unknown;
  try {
    decoded = decodeValue(v);
  } catch {
    decoded = Buffer.from(v.value ?? []);
  }
  const value = Buffer.isBuffer(decoded) ? jsonBytes(decoded) : typeof decoded === "bigint" ? decoded.toString() : decoded;
  return { typename: v.typename, value };
}

/** An event as plain JSON: values decoded (bytes as UTF-8 text or base64, longs as strings). */
export function eventToJson(e: RuntimeEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e };
  if ("value" in e) out.value = jsonValue(e.value);
  if (e.kind === "egress") {
    const r = e.record;
    out.record = r.kind === "kafka" || r.kind === "kinesis" || r.kind === "typed" ? { ...r, value: jsonBytes(r.value) } : r;
  }
  return out;
}
