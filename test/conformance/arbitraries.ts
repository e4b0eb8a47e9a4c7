/**
 * fast-check generators of requests for the conformance program: a target (function and id),
 * a random mix of declared states (absent, registered without a value, or with a valid value),
 * undeclared extra states, and a batch of 1–20 invocations, each with an optional caller and a
 * random script.
 *
 * The domain leaves out inputs where the official SDK is known to be defective or where the two
 * SDKs differ on purpose (NaN floats, ints outside int32, negative delays, empty tokens,
 * all-empty callers, in-place edits of read objects, an extra state named `hasOwnProperty`,
 * lone surrogates in strings); those are covered by the named tests in differences.test.ts.
 */
import fc from "fast-check";
import { StateFun } from "../../src";
import { typedValue, type WireAddress, type WireTypedValue } from "../../src/wire/codec";
import { addr, request, tv } from "../requests";
import {
  FUNCTIONS,
  SCRIPT_TYPENAME,
  type Action,
  type FloatRepr,
  type FunctionDecl,
  type JsonValue,
  type Payload,
  type RecordValue,
  type Script,
  type StateDecl,
  type StateValue,
  type Target,
} from "./program";

/** A declared state's presence in the request. */
export type Presence =
  | { kind: "absent" }
  | { kind: "registered" } // state_name only, as the runtime sends a state with no value
  | { kind: "value"; value: WireTypedValue }
  | { kind: "hasValueFalse"; typename: string }; // never sent by the runtime; both SDKs read null

export interface GeneratedInvocation {
  caller: WireAddress | null;
  script: Script;
  /** Send the script as an io.statefun.types/string holding the JSON instead of conf/Script. */
  asString: boolean;
}

export interface GeneratedRequest {
  fn: FunctionDecl;
  id: string;
  /** One per declared state, in declaration order. */
  presence: Presence[];
  /** Undeclared states: name → value (null: registered without a value). */
  extras: [string, WireTypedValue | null][];
  /** Permutation seed for the order of the state list. */
  order: number[];
  invocations: GeneratedInvocation[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// ---------------------------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------------------------

export const int32Arb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, INT32_MIN, INT32_MAX, 255, 256, -256) },
);

/** Valid Unicode text (lone surrogates are a named difference test). */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.constantFrom("", "a", "ü", "日本", "😀", "\u0000", "a/b"),
);

export const nonEmptyTextArb: fc.Arbitrary<string> = textArb.filter((s) => s.length > 0);

/** A float32 value, never NaN and never -0. */
export const float32Arb: fc.Arbitrary<number> = fc
  .oneof(
    { weight: 4, arbitrary: fc.float({ noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 0.5, 1.5, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45) },
  )
  .map((v) => v + 0); // -0 + 0 === +0

export const floatReprArb: fc.Arbitrary<FloatRepr> = float32Arb.map((v): FloatRepr =>
  v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v,
);

/** JSON data that survives JSON.stringify/parse unchanged (no -0, canonical numbers). */
export const jsonArb: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

export function stateValueArb(s: StateDecl): fc.Arbitrary<StateValue> {
  switch (s.kind) {
    case "int":
      return int32Arb;
    case "string":
      return textArb;
    case "bool":
      return fc.boolean();
    case "float":
      return floatReprArb;
    case "json":
      return jsonArb;
  }
}

/** The bytes a cluster would hold for a state (any SDK may have written them). */
function storedValueArb(s: StateDecl): fc.Arbitrary<WireTypedValue> {
  switch (s.kind) {
    case "int":
      return int32Arb.map((v) => tv(StateFun.intType(), v));
    case "string":
      return textArb.map((v) => tv(StateFun.stringType(), v));
    case "bool":
      return fc.boolean().map((v) => tv(StateFun.booleanType(), v));
    case "float":
      return float32Arb.map((v) => tv(StateFun.floatType(), v));
    case "json": {
      const typename = s.typename as string;
      // Canonical JSON, or JSON written with other spacing (as another SDK might).
      return fc
        .tuple(jsonArb, fc.constantFrom(0, 0, 1, 2))
        .map(([v, indent]) => typedValue(typename, Buffer.from(JSON.stringify(v, null, indent), "utf8")));
    }
  }
}

export const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ t: fc.constant("string" as const), v: textArb, typed: fc.boolean() }),
  fc.record({ t: fc.constant("int" as const), v: int32Arb, typed: fc.boolean() }),
  fc.record({ t: fc.constant("bool" as const), v: fc.boolean() }),
  fc.record({ t: fc.constant("float" as const), v: floatReprArb }),
  // Both SDKs reject a null message value ("Missing value"), so payloads are never null.
  fc.record({ t: fc.constant("json" as const), v: jsonArb.filter((v) => v !== null) }),
);

const hexArb: fc.Arbitrary<string> = fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString("hex"));

export const recordValueArb: fc.Arbitrary<RecordValue> = fc.oneof(
  fc.record({ t: fc.constant("utf8" as const), v: textArb }),
  fc.record({ t: fc.constant("bytes" as const), hex: hexArb }),
  fc.record({ t: fc.constant("int32" as const), v: int32Arb }),
  fc.record({ t: fc.constant("typed" as const), payload: payloadArb }),
);

// ---------------------------------------------------------------------------------------------
// actions and scripts
// ---------------------------------------------------------------------------------------------

const targetArb: fc.Arbitrary<Target> = fc.record({
  typename: fc.constantFrom("conf/peer", "conf.other/sink", "conf/fn", "a.b.c/d", "ns/with/slash"),
  id: nonEmptyTextArb,
});

const delayArb: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.nat({ max: 86_400_000 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

const optionalTextArb: fc.Arbitrary<string | undefined> = fc.option(textArb, { nil: undefined });

const egressTypenameArb = fc.constantFrom("conf/out", "io.egress/kafka", "io.egress/kinesis");

function stateActionArbs(states: readonly StateDecl[]): fc.WeightedArbitrary<Action>[] {
  if (states.length === 0) return [];
  const state = fc.constantFrom(...states);
  const rmwArg = (s: StateDecl): fc.Arbitrary<Extract<Action, { op: "rmw" }>["arg"]> => {
    switch (s.kind) {
      case "int":
        return int32Arb;
      case "string":
        return fc.string({ maxLength: 3 });
      case "bool":
        return fc.constant(null);
      case "float":
        return floatReprArb;
      case "json":
        return fc.record({ key: fc.string({ maxLength: 4 }), value: jsonArb });
    }
  };
  return [
    { weight: 5, arbitrary: fc.record({ op: fc.constant("read" as const), state: state.map((s) => s.name), echo: fc.boolean() }) },
    {
      weight: 5,
      arbitrary: state.chain((s) =>
        stateValueArb(s).map((value): Action => ({ op: "set", state: s.name, value })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("clear" as const),
        state: state.map((s) => s.name),
        how: fc.constantFrom("null" as const, "undefined" as const),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("touch" as const), state: state.map((s) => s.name) }) },
    {
      weight: 4,
      arbitrary: state.chain((s) => rmwArg(s).map((arg): Action => ({ op: "rmw", state: s.name, arg }))),
    },
  ];
}

function actionArb(fn: FunctionDecl): fc.Arbitrary<Action> {
  const sendAfter: fc.Arbitrary<Action> = fc
    .record({ delay: delayArb, token: fc.option(nonEmptyTextArb, { nil: undefined }), to: targetArb, payload: payloadArb })
    .map(({ delay, token, to, payload }): Action =>
      token === undefined ? { op: "sendAfter", delay, to, payload } : { op: "sendAfter", delay, token, to, payload },
    );
  const kafka: fc.Arbitrary<Action> = fc
    .record({ typename: egressTypenameArb, topic: nonEmptyTextArb, key: optionalTextArb, value: recordValueArb })
    .map(({ typename, topic, key, value }): Action =>
      key === undefined ? { op: "kafka", typename, topic, value } : { op: "kafka", typename, topic, key, value },
    );
  const kinesis: fc.Arbitrary<Action> = fc
    .record({
      typename: egressTypenameArb,
      stream: nonEmptyTextArb,
      partitionKey: nonEmptyTextArb,
      hashKey: optionalTextArb,
      value: recordValueArb,
    })
    .map(({ hashKey, ...rest }): Action =>
      hashKey === undefined ? { op: "kinesis", ...rest } : { op: "kinesis", hashKey, ...rest },
    );
  return fc.oneof(
    ...stateActionArbs(fn.states),
    { weight: 3, arbitrary: fc.record({ op: fc.constant("send" as const), to: targetArb, payload: payloadArb }) },
    { weight: 2, arbitrary: sendAfter },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), token: nonEmptyTextArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("egress" as const), typename: egressTypenameArb, payload: payloadArb }) },
    { weight: 1, arbitrary: kafka },
    { weight: 1, arbitrary: kinesis },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("whoami" as const), to: targetArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("report" as const), to: targetArb }) },
    { weight: 2, arbitrary: fc.constant<Action>({ op: "await" }) },
  );
}

function scriptArb(fn: FunctionDecl): fc.Arbitrary<Script> {
  return fc.array(actionArb(fn), { maxLength: 8 }).map((actions) => ({ actions }));
}

// ---------------------------------------------------------------------------------------------
// requests
// ---------------------------------------------------------------------------------------------

/** A caller with at least one non-empty part (an all-empty one is a named difference). */
const callerArb: fc.Arbitrary<WireAddress> = fc.oneof(
  fc.record({ typename: fc.constantFrom(...FUNCTIONS.map((f) => f.typename), "conf/peer"), id: textArb }).map(({ typename, id }) =>
    addr(typename, id),
  ),
  fc
    .record({ namespace: textArb, type: textArb, id: textArb })
    .filter((a) => a.namespace !== "" || a.type !== "" || a.id !== ""),
);

function presenceArb(s: StateDecl): fc.Arbitrary<Presence> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Presence>({ kind: "absent" }) },
    { weight: 4, arbitrary: fc.constant<Presence>({ kind: "registered" }) },
    { weight: 12, arbitrary: storedValueArb(s).map((value): Presence => ({ kind: "value", value })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("io.statefun.types/string", "conf/Other").map((typename): Presence => ({ kind: "hasValueFalse", typename })),
    },
  );
}

const ALL_STATE_NAMES = FUNCTIONS.flatMap((f) => f.states.map((s) => s.name));

function extrasArb(fn: FunctionDecl): fc.Arbitrary<[string, WireTypedValue | null][]> {
  const declared = new Set(fn.states.map((s) => s.name));
  const name = fc
    .oneof(
      fc.constantFrom(...ALL_STATE_NAMES, "Count", "cart_v2", "constructor", "__proto__", "toString", "valueOf", ""),
      fc.string({ maxLength: 10 }),
    )
    // "hasOwnProperty" crashes the official SDK: a named difference test covers it.
    .filter((n) => !declared.has(n) && n !== "hasOwnProperty");
  const value = fc.option(
    fc
      .record({
        typename: fc.constantFrom("io.statefun.types/int", "io.statefun.types/string", "conf/Other", "x/y/z"),
        bytes: fc.uint8Array({ maxLength: 8 }),
      })
      .map(({ typename, bytes }) => typedValue(typename, Buffer.from(bytes))),
    { nil: null },
  );
  return fc.uniqueArray(fc.tuple(name, value), { maxLength: 4, selector: ([n]) => n });
}

const invocationArb = (fn: FunctionDecl): fc.Arbitrary<GeneratedInvocation> =>
  fc.record({
    caller: fc.option(callerArb, { nil: null }),
    script: scriptArb(fn),
    asString: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))), // ~25%
  });

/** Where to insert a throwing action, if anywhere (about 1 request in 20). */
const throwAtArb = fc.oneof(
  { weight: 19, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record({ invocation: fc.nat(), position: fc.nat(), message: fc.string({ maxLength: 10 }) }),
  },
);

export const requestArb: fc.Arbitrary<GeneratedRequest> = fc
  .constantFrom(...FUNCTIONS)
  .chain((fn) =>
    fc.record({
      fn: fc.constant(fn),
      id: textArb,
      // Now and then the first request after a restart: no state registered at all.
      presence: fc.oneof(
        { weight: 12, arbitrary: fc.tuple(...fn.states.map(presenceArb)) },
        { weight: 1, arbitrary: fc.constant(fn.states.map((): Presence => ({ kind: "absent" }))) },
      ),
      extras: extrasArb(fn),
      order: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
      invocations: fc.array(invocationArb(fn), { minLength: 1, maxLength: 20, size: "max" }),
      throwAt: throwAtArb,
    }),
  )
  .map(({ throwAt, ...r }): GeneratedRequest => {
    if (throwAt === null) return r;
    const invocations = r.invocations.map((inv) => ({ ...inv, script: { actions: [...inv.script.actions] } }));
    const target = invocations[throwAt.invocation % invocations.length].script.actions;
    target.splice(throwAt.position % (target.length + 1), 0, { op: "throw", message: throwAt.message });
    return { ...r, invocations };
  });

// ---------------------------------------------------------------------------------------------
// expectations and bytes
// ---------------------------------------------------------------------------------------------

/** The declared states the request lacks, in declaration order. */
export function missingStates(r: GeneratedRequest): StateDecl[] {
  return r.fn.states.filter((_, i) => r.presence[i].kind === "absent");
}

/** Whether some invocation's script throws (the batch must then fail as a whole). */
export function throws(r: GeneratedRequest): boolean {
  return r.invocations.some((inv) => inv.script.actions.some((a) => a.op === "throw"));
}

/** The state list: declared states that are present plus the extras, in a generated order. */
function stateEntries(r: GeneratedRequest): [string, WireTypedValue | null][] {
  const entries: [string, WireTypedValue | null][] = [];
  r.fn.states.forEach((s, i) => {
    const p = r.presence[i];
    if (p.kind === "registered") entries.push([s.name, null]);
    else if (p.kind === "value") entries.push([s.name, p.value]);
    else if (p.kind === "hasValueFalse") entries.push([s.name, { typename: p.typename, hasValue: false }]);
  });
  entries.push(...r.extras);
  // Deterministic shuffle driven by the generated numbers.
  for (let i = entries.length - 1; i > 0; i--) {
    const j = r.order[i % r.order.length] % (i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return entries;
}

function scriptArgument(inv: GeneratedInvocation): WireTypedValue {
  const json = JSON.stringify(inv.script);
  return inv.asString ? tv(StateFun.stringType(), json) : typedValue(SCRIPT_TYPENAME, Buffer.from(json, "utf8"));
}

/** The ToFunction bytes of a generated request. */
export function requestBytes(r: GeneratedRequest): Buffer {
  return request({
    target: addr(r.fn.typename, r.id),
    // fromEntries defines own properties, so a "__proto__" state stays a state.
    state: Object.fromEntries(stateEntries(r)),
    invocations: r.invocations.map((inv) =>
      inv.caller === null ? { argument: scriptArgument(inv) } : { caller: inv.caller, argument: scriptArgument(inv) },
    ),
  });
}

