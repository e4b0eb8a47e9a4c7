/**
 * The exactly-once smoke test's function, `smoke/cmd`: a command interpreter with one int state
 * `count`, written once against the API both SDKs share, so that statefun-ts and the official
 * apache-flink-statefun run the same logic (ExactlyOnceSmokeTest.java generates the commands
 * and the expected counts).
 *
 * Commands (JSON, typename `smoke/Command`):
 *   {"op":"inc","n":N}                       count += N
 *   {"op":"send","to":ID,"n":N}              sends {"op":"inc","n":N} to smoke/cmd ID
 *   {"op":"delay","to":ID,"n":N,"ms":M}      the same, after M ms
 *   {"op":"delayc","to":ID,"n":N,"ms":M,"token":T}  the same with cancellation token T (cancelled later)
 *   {"op":"cancel","token":T}                cancels the delayed message with token T
 *   {"op":"egress","seq":S}                  writes "ID:S" to the Kafka egress smoke/out (topic out, key ID)
 *   {"op":"verify","round":R}                writes {"id","count","round"} to the Kafka egress smoke/reports
 */

/** A smoke command, as the feed sends it. */
export type SmokeCommand =
  | { op: "inc"; n: number }
  | { op: "send"; to: string; n: number }
  | { op: "delay"; to: string; n: number; ms: number }
  | { op: "delayc"; to: string; n: number; ms: number; token: string }
  | { op: "cancel"; token: string }
  | { op: "egress"; seq: number }
  | { op: "verify"; round: number };

/** The typename of a command. */
export const SMOKE_COMMAND_TYPENAME = "smoke/Command";
/** The command interpreter's function type. */
export const SMOKE_FUNCTION = "smoke/cmd";
/** The Kafka egress the "egress" command writes to. */
export const SMOKE_OUT_EGRESS = "smoke/out";
/** The Kafka egress the "verify" command reports to. */
export const SMOKE_REPORTS_EGRESS = "smoke/reports";

/** The part of an SDK's `Message` the smoke function uses. */
export interface SmokeMessage<T> {
  as(type: T): unknown;
}

/** The part of an SDK's `Context` the smoke function uses (`M`: its messages, `E`: its egress messages). */
export interface SmokeContext<M, E> {
  readonly self: { readonly id: string };
  readonly storage: { count?: unknown };
  send(message: M | E): void;
  sendAfter(delay: number, message: M, cancellationToken?: string): void;
  cancelDelayedMessage(cancellationToken: string): void;
}

/** What the smoke function needs from an SDK: its builders and the command's JSON type. */
export interface SmokeSdk<T, M, E> {
  readonly commandType: T;
  messageBuilder(opts: { typename: string; id: string; value: SmokeCommand; valueType: T }): M;
  kafkaEgressMessage(opts: { typename: string; topic: string; key: string; value: string }): E;
}

function isCommand(value: unknown): value is SmokeCommand {
  return typeof value === "object" && value !== null && typeof (value as { op?: unknown }).op === "string";
}

/** The function body both SDKs bind as `smoke/cmd`. */
export function smokeFunction<T, M, E>(sdk: SmokeSdk<T, M, E>): (context: SmokeContext<M, E>, message: SmokeMessage<T>) => void {
  const inc = (to: string, n: number): M => sdk.messageBuilder({ typename: SMOKE_FUNCTION, id: to, value: { op: "inc", n }, valueType: sdk.commandType });
  return (context, message) => {
    const command = message.as(sdk.commandType);
    // A command this function does not know is a bug in the test: fail the batch loudly.
    if (!isCommand(command)) throw new Error(`smoke/cmd: not a command: ${JSON.stringify(command)}`);
    const count = typeof context.storage.count === "number" ? context.storage.count : 0;
    switch (command.op) {
      case "inc":
        context.storage.count = count + command.n;
        return;
      case "send":
        context.send(inc(command.to, command.n));
        return;
      case "delay":
        context.sendAfter(command.ms, inc(command.to, command.n));
        return;
      case "delayc":
        context.sendAfter(command.ms, inc(command.to, command.n), command.token);
        return;
      case "cancel":
        context.cancelDelayedMessage(command.token);
        return;
      case "egress":
        context.send(sdk.kafkaEgressMessage({ typename: SMOKE_OUT_EGRESS, topic: "out", key: context.self.id, value: `${context.self.id}:${command.seq}` }));
        return;
      case "verify":
        context.send(
          sdk.kafkaEgressMessage({
            typename: SMOKE_REPORTS_EGRESS,
            topic: "reports",
            key: context.self.id,
            value: JSON.stringify({ id: context.self.id, count, round: command.round }),
          }),
        );
        return;
    }
  };
}
