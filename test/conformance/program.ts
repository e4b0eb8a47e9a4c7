/**
 * The shared function program: the same functions, bound on either SDK through its own module.
 *
 * Every function interprets its incoming message as a JSON script of actions (typename
 * `conf/Script`, or the same JSON inside an `io.statefun.types/string`), so randomized requests
 * drive everything a function can do: read, write, delete and read-modify-write state, send
 * messages (now and delayed), cancel delayed messages, emit egress records, echo its caller and
 * itself, await between actions, and throw.
 *
 * The program is deterministic: the same request bytes make it do the same thing in both SDKs.
 */
import type { Program, SdkBindOpts, SdkContext, SdkMessage, SdkModule, SdkSpec, SdkType } from "./sdk";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type StateKind = "int" | "string" | "bool" | "float" | "json";

/** A declared state of a program function. At most one TTL (ours rejects both). */
export interface StateDecl {
  readonly name: string;
  readonly kind: StateKind;
  /** The typename of a json state. */
  readonly typename?: string;
  readonly expireAfterCall?: number;
  readonly expireAfterWrite?: number;
}

export interface FunctionDecl {
  readonly typename: string;
  readonly states: readonly StateDecl[];
}

/**
 * The functions of the program. State names follow the official SDK's rule (`^[_a-z]+$`) so
 * both SDKs accept them.
 */
export const FUNCTIONS: readonly FunctionDecl[] = [
  {
    typename: "conf/fn",
    states: [
      { name: "count", kind: "int" },
      { name: "seen", kind: "int", expireAfterCall: 60_000 },
      { name: "name", kind: "string", expireAfterWrite: 86_400_000 },
      { name: "flag", kind: "bool" },
      { name: "ratio", kind: "float", expireAfterCall: 1_500 },
      { name: "profile", kind: "json", typename: "conf/Profile", expireAfterWrite: 3_600_000 },
      { name: "tags", kind: "json", typename: "conf/Tags" },
    ],
  },
  {
    typename: "conf/counter",
    states: [
      { name: "total", kind: "int", expireAfterWrite: 10_000 },
      { name: "last_caller", kind: "string" },
    ],
  },
  { typename: "conf.stateless/echo", states: [] },
];

export const SCRIPT_TYPENAME = "conf/Script";
export const PAYLOAD_TYPENAME = "conf/Payload";
export const REPORT_TYPENAME = "conf/Reads";
export const WHOAMI_TYPENAME = "conf/WhoAmI";

/** A float32 value as JSON can carry it. */
export type FloatRepr = number | "Infinity" | "-Infinity";

/** A value of a state, as the script carries it. */
export type StateValue = number | string | boolean | JsonValue;

/** A message value and how it is typed. `typed: false` lets the SDK infer the type. */
export type Payload =
  | { t: "string"; v: string; typed: boolean }
  | { t: "int"; v: number; typed: boolean }
  | { t: "bool"; v: boolean }
  | { t: "float"; v: FloatRepr }
  | { t: "json"; v: JsonValue };

/** The value of a Kafka/Kinesis record: untyped (string, bytes, int32) or typed. */
export type RecordValue =
  | { t: "utf8"; v: string }
  | { t: "bytes"; hex: string }
  | { t: "int32"; v: number }
  | { t: "typed"; payload: Payload };

export interface Target {
  typename: string;
  id: string;
}

export type Action =
  | { op: "read"; state: string; echo: boolean }
  | { op: "set"; state: string; value: StateValue }
  | { op: "clear"; state: string; how: "null" | "undefined" }
  | { op: "touch"; state: string }
  | { op: "rmw"; state: string; arg: number | string | FloatRepr | { key: string; value: JsonValue } | null }
  | { op: "send"; to: Target; payload: Payload }
  | { op: "sendAfter"; delay: number; token?: string; to: Target; payload: Payload }
  | { op: "cancel"; token: string }
  | { op: "egress"; typename: string; payload: Payload }
  | { op: "kafka"; typename: string; topic: string; key?: string; value: RecordValue }
  | { op: "kinesis"; typename: string; stream: string; partitionKey: string; hashKey?: string; value: RecordValue }
  | { op: "whoami"; to: Target }
  | { op: "report"; to: Target }
  | { op: "await" }
  | { op: "throw"; message: string };

export interface Script {
  actions: Action[];
}

export function fromFloatRepr(v: FloatRepr): number {
  return v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

/** A number as JSON can carry it (non-finite numbers as strings). */
function jsonSafe(value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

function isScript(value: unknown): value is Script {
  return typeof value === "object" && value !== null && Array.isArray((value as Script).actions);
}

function isPlainObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function addressJson(a: { namespace: string; name: string; id: string; typename: string } | null): JsonValue {
  return a === null ? null : { namespace: a.namespace, name: a.name, id: a.id, typename: a.typename };
}

/** The program's functions, bound with `sdk`'s own types and builders. */
export const conformanceProgram: Program = <Ty extends SdkType>(sdk: SdkModule<Ty>): SdkBindOpts<Ty>[] => {
  const T = sdk.StateFun;
  const prim: Record<Exclude<StateKind, "json">, Ty> = {
    int: T.intType(),
    string: T.stringType(),
    bool: T.booleanType(),
    float: T.floatType(),
  };
  const scriptType = T.jsonType(SCRIPT_TYPENAME);
  const payloadType = T.jsonType(PAYLOAD_TYPENAME);
  const reportType = T.jsonType(REPORT_TYPENAME);
  const whoamiType = T.jsonType(WHOAMI_TYPENAME);

  const typeOf = (s: StateDecl): Ty => (s.kind === "json" ? T.jsonType(s.typename as string) : prim[s.kind]);

  const payloadValue = (p: Payload): { value: unknown; valueType?: Ty } => {
    switch (p.t) {
      case "string":
        return p.typed ? { value: p.v, valueType: prim.string } : { value: p.v };
      case "int":
        return p.typed ? { value: p.v, valueType: prim.int } : { value: p.v };
      case "bool":
        return { value: p.v, valueType: prim.bool };
      case "float":
        return { value: fromFloatRepr(p.v), valueType: prim.float };
      case "json":
        return { value: p.v, valueType: payloadType };
    }
  };

  const recordValue = (r: RecordValue): { value: unknown; valueType?: Ty } => {
    switch (r.t) {
      case "utf8":
        return { value: r.v };
      case "bytes":
        return { value: Buffer.from(r.hex, "hex") };
      case "int32":
        return { value: r.v };
      case "typed": {
        const { value, valueType } = payloadValue(r.payload);
        return { value, valueType: valueType ?? (r.payload.t === "int" ? prim.int : prim.string) };
      }
    }
  };

  const message = (to: Target, p: Payload): object => sdk.messageBuilder({ typename: to.typename, id: to.id, ...payloadValue(p) });

  const bindOne = (decl: FunctionDecl): SdkBindOpts<Ty> => {
    const states = new Map(decl.states.map((s) => [s.name, s]));
    const specs: SdkSpec<Ty>[] = decl.states.map((s) => ({
      name: s.name,
      type: typeOf(s),
      ...(s.expireAfterCall !== undefined ? { expireAfterCall: s.expireAfterCall } : {}),
      ...(s.expireAfterWrite !== undefined ? { expireAfterWrite: s.expireAfterWrite } : {}),
    }));

    const stateOf = (name: string): StateDecl => {
      const s = states.get(name);
      if (s === undefined) throw new Error(`program bug: ${decl.typename} has no state ${name}`);
      return s;
    };

    const fromScript = (s: StateDecl, v: StateValue): unknown => (s.kind === "float" ? fromFloatRepr(v as FloatRepr) : v);

    const readModifyWrite = (storage: Record<string, unknown>, s: StateDecl, arg: Extract<Action, { op: "rmw" }>["arg"]): void => {
      const old = storage[s.name];
      switch (s.kind) {
        case "int":
          storage[s.name] = (((old as number | null) ?? 0) + (arg as number)) | 0;
          return;
        case "string":
          storage[s.name] = ((old as string | null) ?? "") + (arg as string);
          return;
        case "bool":
          storage[s.name] = !((old as boolean | null) ?? false);
          return;
        case "float": {
          // Not rounded here: both SDKs read back what the float32 bytes hold. Never NaN, whose
          // bit pattern differs in the official SDK (see the named difference tests).
          const next = ((old as number | null) ?? 0) + fromFloatRepr(arg as FloatRepr);
          storage[s.name] = Number.isNaN(next) ? 0 : next;
          return;
        }
        case "json": {
          const { key, value } = arg as { key: string; value: JsonValue };
          const base = isPlainObject(old) ? old : { prev: (old ?? null) as JsonValue };
          storage[s.name] = { ...base, [key]: value };
          return;
        }
      }
    };

    const step = (ctx: SdkContext, a: Action, reads: [string, unknown][]): void => {
      const storage = ctx.storage as Record<string, unknown>;
      switch (a.op) {
        case "read": {
          const s = stateOf(a.state);
          const value = storage[s.name];
          reads.push([s.name, value]);
          if (a.echo) {
            ctx.send(
              value === null
                ? sdk.messageBuilder({ typename: "conf/echo", id: s.name, value: `${s.name} is null` })
                : sdk.messageBuilder({ typename: "conf/echo", id: s.name, value, valueType: typeOf(s) }),
            );
          }
          return;
        }
        case "set":
          storage[a.state] = fromScript(stateOf(a.state), a.value);
          return;
        case "clear":
          stateOf(a.state);
          storage[a.state] = a.how === "null" ? null : undefined;
          return;
        case "touch":
          stateOf(a.state);
          // An explicit assignment of the value just read: both SDKs treat it as a write.
          storage[a.state] = storage[a.state];
          return;
        case "rmw":
          readModifyWrite(storage, stateOf(a.state), a.arg);
          return;
        case "send":
          ctx.send(message(a.to, a.payload));
          return;
        case "sendAfter":
          if (a.token === undefined) ctx.sendAfter(a.delay, message(a.to, a.payload));
          else ctx.sendAfter(a.delay, message(a.to, a.payload), a.token);
          return;
        case "cancel":
          ctx.cancelDelayedMessage(a.token);
          return;
        case "egress": {
          const { value, valueType } = payloadValue(a.payload);
          const type = valueType ?? (a.payload.t === "int" ? prim.int : prim.string);
          ctx.send(sdk.egressMessageBuilder({ typename: a.typename, value, valueType: type }));
          return;
        }
        case "kafka":
          ctx.send(
            sdk.kafkaEgressMessage({
              typename: a.typename,
              topic: a.topic,
              ...(a.key !== undefined ? { key: a.key } : {}),
              ...recordValue(a.value),
            }),
          );
          return;
        case "kinesis":
          ctx.send(
            sdk.kinesisEgressMessage({
              typename: a.typename,
              stream: a.stream,
              partitionKey: a.partitionKey,
              ...(a.hashKey !== undefined ? { hashKey: a.hashKey } : {}),
              ...recordValue(a.value),
            }),
          );
          return;
        case "whoami":
          ctx.send(
            sdk.messageBuilder({
              typename: a.to.typename,
              id: a.to.id,
              value: { self: addressJson(ctx.self), caller: addressJson(ctx.caller) },
              valueType: whoamiType,
            }),
          );
          return;
        case "report":
          ctx.send(
            sdk.messageBuilder({
              typename: a.to.typename,
              id: a.to.id,
              value: reads.map(([name, v]) => [name, jsonSafe(v)]),
              valueType: reportType,
            }),
          );
          return;
        case "await":
          throw new Error("program bug: await is handled by run()");
        case "throw":
          throw new Error(a.message);
      }
    };

    /** Runs the actions from `i`; returns a promise once an action awaits. */
    const run = (ctx: SdkContext, actions: Action[], i: number, reads: [string, unknown][]): void | Promise<void> => {
      for (; i < actions.length; i++) {
        const a = actions[i];
        if (a.op === "await") {
          const next = i + 1;
          return Promise.resolve().then(() => run(ctx, actions, next, reads));
        }
        step(ctx, a, reads);
      }
    };

    const decodeScript = (msg: SdkMessage<Ty>): Script => {
      const raw = msg.is(prim.string) ? JSON.parse(msg.as(prim.string) as string) : msg.as(scriptType);
      if (!isScript(raw)) throw new Error("program bug: the message is not a script");
      return raw;
    };

    return {
      typename: decl.typename,
      specs,
      fn: (ctx, msg) => run(ctx, decodeScript(msg).actions, 0, []),
    };
  };

  return FUNCTIONS.map(bindOne);
};
