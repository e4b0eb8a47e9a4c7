/**
 * The functions and scenarios of the local-runtime fidelity check (FidelityTest.java and
 * fidelity.ts): two deterministic scenarios, each a list of phases. A phase sends ingress
 * messages and ends when an egress has received a known number of records; within a phase,
 * every address is reached by at most one causal chain, so what each address sees, in order,
 * does not depend on timing — only where the runtime cuts its batches does.
 *
 * Scenario `messaging`: fid/counter (int state with an expire-after-call TTL, JSON history)
 * pings fid/echo (long state, string state with an expire-after-write TTL), which replies; the
 * counter writes each pong to the Kafka egress fid/out; delayed messages with and without a
 * cancellation token, one cancelled; a final report of every state.
 *
 * Scenario `fanout`: fid/hub sends to N fid/worker ids, each replies with the same value, the
 * hub sums the replies, writes the total to the Kinesis egress fid/kinesis when all arrived,
 * then deletes its in-progress count (a DELETE) and sets a string state to its default ""
 * (a stored value of zero bytes); a worker state written with the value it had.
 */
import { StateFun, kafkaEgressMessage, kinesisEgressMessage, type Context, type Message, type StorageOfState } from "../../src";

/** The Kafka egress of fid/counter's pongs and reports. */
export const FID_OUT = "fid/out";
/** The Kinesis egress of fid/hub's totals. */
export const FID_KINESIS = "fid/kinesis";

/** Commands of fid/counter and fid/hub (JSON, typename fid/Command). */
export type FidCommand =
  | { op: "add"; k: number }
  | { op: "later"; ms: number; token?: string }
  | { op: "cancel"; token: string }
  | { op: "report" }
  | { op: "fan"; workers: number; value: number };

/** The commands' JSON type. */
export const FidCommandType = StateFun.jsonType<FidCommand>("fid/Command");

const HOUR = 3_600_000;
const counterState = {
  n: { type: StateFun.intType(), expireAfterCall: HOUR },
  history: StateFun.jsonType<string[]>("fid/History"),
};
const echoState = {
  seen: StateFun.longType(),
  last: { type: StateFun.stringType(), expireAfterWrite: HOUR },
};
const hubState = {
  sum: StateFun.longType(),
  got: StateFun.intType(),
  want: StateFun.intType(),
  label: StateFun.stringType(),
};
const workerState = { total: StateFun.intType() };

function counter(ctx: Context<StorageOfState<typeof counterState>>, msg: Message): void {
  const history = ctx.storage.history ?? [];
  if (ctx.caller?.typename === "fid/echo") {
    const pong = msg.asString() ?? "";
    history.push(`pong:${pong}`);
    ctx.storage.history = history;
    ctx.send(kafkaEgressMessage({ typename: FID_OUT, topic: "pongs", key: ctx.self.id, value: `${ctx.self.id} ${pong} n=${ctx.storage.n ?? 0}` }));
    return;
  }
  const command = msg.as(FidCommandType);
  if (command === null) return;
  switch (command.op) {
    case "add": {
      const n = (ctx.storage.n ?? 0) + command.k;
      ctx.storage.n = n;
      history.push(`add:${command.k}`);
      ctx.storage.history = history;
      ctx.send({ typename: "fid/echo", id: ctx.self.id, value: `ping-${n}`, valueType: StateFun.stringType() });
      return;
    }
    case "later":
      ctx.sendAfter(command.ms, { typename: "fid/counter", id: ctx.self.id, value: { op: "add", k: 100 }, valueType: FidCommandType }, command.token);
      return;
    case "cancel":
      ctx.cancelDelayedMessage(command.token);
      return;
    case "report":
      ctx.send(
        kafkaEgressMessage({ typename: FID_OUT, topic: "reports", key: ctx.self.id, value: JSON.stringify({ n: ctx.storage.n, history }) }),
      );
      return;
    case "fan":
      return;
  }
}

function echo(ctx: Context<StorageOfState<typeof echoState>>, msg: Message): void {
  const text = msg.asString() ?? "";
  ctx.storage.seen = (ctx.storage.seen ?? 0n) + 1n;
  ctx.storage.last = text;
  ctx.reply(text.replace("ping", "pong"));
}

function hub(ctx: Context<StorageOfState<typeof hubState>>, msg: Message): void {
  if (ctx.caller?.typename === "fid/worker") {
    const sum = (ctx.storage.sum ?? 0n) + BigInt(msg.asInt() ?? 0);
    const got = (ctx.storage.got ?? 0) + 1;
    ctx.storage.sum = sum;
    if (got < (ctx.storage.want ?? 0)) {
      ctx.storage.got = got;
      ctx.storage.label = `${ctx.storage.label ?? ""}+`;
      return;
    }
    // The round is complete: report it, delete the count (a DELETE), keep the label at "" (zero bytes).
    ctx.send(kinesisEgressMessage({ typename: FID_KINESIS, stream: "totals", partitionKey: ctx.self.id, value: `${ctx.self.id} sum=${sum} got=${got}` }));
    ctx.storage.got = null;
    ctx.storage.label = "";
    return;
  }
  const command = msg.as(FidCommandType);
  if (command?.op !== "fan") return;
  for (let w = 0; w < command.workers; w++) ctx.send({ typename: "fid/worker", id: `w${w}`, value: command.value, valueType: StateFun.intType() });
  ctx.storage.want = command.workers;
}

function worker(ctx: Context<StorageOfState<typeof workerState>>, msg: Message): void {
  const value = msg.asInt() ?? 0;
  ctx.storage.total = (ctx.storage.total ?? 0) + value;
  ctx.reply(value, StateFun.intType());
}

/** Binds the fidelity functions on `sf`. */
export function fidelityApp(sf: StateFun = new StateFun()): StateFun {
  return sf
    .bind({ typename: "fid/counter", state: counterState, fn: counter })
    .bind({ typename: "fid/echo", state: echoState, fn: echo })
    .bind({ typename: "fid/hub", state: hubState, fn: hub })
    .bind({ typename: "fid/worker", state: workerState, fn: worker });
}

/** One ingress message of a phase. */
export interface FidSend {
  readonly to: string;
  readonly id: string;
  readonly value: FidCommand | string;
}

/** Ingress messages, then the record count of one egress (since the scenario began) that ends the phase. */
export interface FidPhase {
  readonly sends: readonly FidSend[];
  readonly egress: string;
  readonly until: number;
}

const add = (id: string, k: number): FidSend => ({ to: "fid/counter", id, value: { op: "add", k } });

/** The two scenarios. */
export const scenarios: Readonly<Record<string, readonly FidPhase[]>> = {
  messaging: [
    // Registration: the first request of each function type asks for its states.
    { sends: [add("a", 1), add("b", 2)], egress: FID_OUT, until: 2 },
    { sends: [add("a", 3)], egress: FID_OUT, until: 3 },
    {
      // b's delay (600 ms) outlasts a's cancelled one (300 ms): had the cancellation failed,
      // its message would have arrived before the phase ends.
      sends: [
        { to: "fid/counter", id: "a", value: { op: "later", ms: 200, token: "t1" } },
        { to: "fid/counter", id: "a", value: { op: "later", ms: 300, token: "t2" } },
        { to: "fid/counter", id: "a", value: { op: "cancel", token: "t2" } },
        { to: "fid/counter", id: "b", value: { op: "later", ms: 600 } },
      ],
      egress: FID_OUT,
      until: 5,
    },
    {
      sends: [
        { to: "fid/counter", id: "a", value: { op: "report" } },
        { to: "fid/counter", id: "b", value: { op: "report" } },
        { to: "fid/counter", id: "c", value: { op: "report" } },
      ],
      egress: FID_OUT,
      until: 8,
    },
  ],
  fanout: [
    { sends: [{ to: "fid/hub", id: "h1", value: { op: "fan", workers: 4, value: 5 } }], egress: FID_KINESIS, until: 1 },
    { sends: [{ to: "fid/hub", id: "h1", value: { op: "fan", workers: 3, value: 0 } }], egress: FID_KINESIS, until: 2 },
    { sends: [{ to: "fid/hub", id: "h2", value: { op: "fan", workers: 2, value: 7 } }], egress: FID_KINESIS, until: 3 },
  ],
};
