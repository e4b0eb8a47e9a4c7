/** `Context`: what a function receives besides the message. */
import { Address } from "../base/address";
import { InvalidArgumentError } from "../base/errors";
import { describe } from "../base/text";
import type { BatchSession } from "../invoke/function-spec";
import type { Type } from "../serde/type";
import type { WireAddress } from "../wire/codec";
import { egressAddressOf, EgressMessage, egressMessageBuilder, Message, messageBuilder, wireValueOf, type MessageOpts } from "./message";

function isMessageOpts(value: unknown): value is MessageOpts<unknown> {
  return value !== null && typeof value === "object" && "typename" in value && "id" in value && "value" in value;
}

/**
 * `ctx.storage` when the compiler does not know the function's states: a function declared as
 * `fn(context: Context, message: Message)`, as code written for `apache-flink-statefun` is.
 * Its properties are `any`, exactly as the official SDK types the whole of `storage`, so such
 * code compiles unchanged after switching the import. This is the one deliberate `any` of the
 * public API; pass specs to `bind` inline (or write `Context<{ visits: number | null }>`) to get
 * checked state types.
 */
export type UntypedStorage = Record<string, any>;

let makeContext: (session: BatchSession) => Context<object>;

/** The context of one batch (the SDK's own constructor of contexts). */
export function contextOf(session: BatchSession): Context<object> {
  return makeContext(session);
}

/**
 * What a function receives besides the message: its own address, the caller, the
 * address-scoped storage and the means to send messages. Effects take place only if the whole
 * batch succeeds.
 *
 * @typeParam S - the storage's shape, inferred from the specs passed to `bind`; without it,
 *   {@link UntypedStorage}, as in the official SDK
 */
export class Context<S extends object = UntypedStorage> {
  readonly #self: Address;
  readonly #session: BatchSession;
  #callerWire: WireAddress | null | undefined = null;
  #caller: Address | null = null;

  /** Contexts are made by the SDK, one per batch. */
  private constructor(session: BatchSession) {
    this.#self = session.self;
    this.#session = session;
  }

  static {
    makeContext = (session) => new Context(session);
  }

  /**
   * The state of this address, one property per declared state: read it, assign it, assign
   * null (or `delete` it) to clear it. Objects read from it may be edited in place.
   */
  get storage(): S {
    return this.#session.storage as S;
  }

  /** The address of the function instance running. */
  get self(): Address {
    return this.#self;
  }

  /** The address of the function that sent the current message; null for an ingress message. */
  get caller(): Address | null {
    const wire = this.#session.caller;
    if (wire !== this.#callerWire) {
      this.#callerWire = wire;
      this.#caller = wire && (wire.namespace || wire.type || wire.id) ? Address.fromWire(wire) : null;
    }
    return this.#caller;
  }

  /**
   * Sends a message to a function or an egress: a message from `messageBuilder` or an egress
   * builder, or the options `messageBuilder` takes (`{ typename, id, value, valueType }`).
   */
  send<T>(message: Message | EgressMessage | MessageOpts<T>): void {
    if (message instanceof Message) {
      this.#message(message);
    } else if (message instanceof EgressMessage) {
      this.#egressMessage(message);
    } else if (isMessageOpts(message)) {
      this.#message(messageBuilder(message));
    } else {
      throw new InvalidArgumentError(
        `${this.#self}: send() takes a message from messageBuilder(), { typename, id, value, valueType }, or an egress ` +
          `message from egressMessageBuilder()/kafkaEgressMessage()/kinesisEgressMessage() of statefun-ts, got ${describe(message)}`,
      );
    }
  }

  /**
   * Replies to the sender of the current message (`ctx.caller`). Without `type`, the value is
   * typed as `messageBuilder` would type it.
   * @throws {@link InvalidArgumentError} when the message has no caller (it came from an ingress)
   */
  reply<T>(value: NoInfer<T>, type?: Type<T>): void {
    const caller = this.caller;
    if (caller === null) {
      throw new InvalidArgumentError(
        `${this.#self}: reply() needs a caller, but the current message came from an ingress (ctx.caller is null); ` +
          "send to an address with ctx.send({ typename, id, value }) instead",
      );
    }
    this.#message(messageBuilder({ typename: caller.typename, id: caller.id, value, ...(type ? { valueType: type } : {}) }));
  }

  /** Sends `value`, encoded with `type`, to the egress `typename` (as `egressMessageBuilder` does). */
  egress<T>(typename: string, value: NoInfer<T>, type: Type<T>): void {
    this.#egressMessage(egressMessageBuilder({ typename, value, valueType: type }));
  }

  /**
   * Sends a message after `delay` milliseconds (a non-negative integer): a message from
   * `messageBuilder`, or its options (`{ typename, id, value, valueType }`). With a
   * `cancellationToken`, the message can be cancelled while pending.
   */
  sendAfter<T>(delay: number, message: Message | MessageOpts<T>, cancellationToken?: string): void {
    if (!(message instanceof Message)) {
      if (!isMessageOpts(message)) {
        throw new InvalidArgumentError(
          `${this.#self}: sendAfter() takes a message from messageBuilder() or { typename, id, value, valueType }, got ${describe(message)}`,
        );
      }
      message = messageBuilder(message);
    }
    if (typeof delay !== "number" || !Number.isSafeInteger(delay) || delay < 0) {
      throw new InvalidArgumentError(
        `${this.#self}: sendAfter() delay must be a non-negative whole number of milliseconds, got ` +
          `${describe(delay)} (the cluster fails the job on a negative delay)`,
      );
    }
    if (cancellationToken !== undefined && (typeof cancellationToken !== "string" || cancellationToken === "")) {
      throw new InvalidArgumentError(
        `${this.#self}: sendAfter() cancellation token must be a non-empty string when given, got ${describe(cancellationToken)}`,
      );
    }
    this.#session.effects.delayedMessage(delay, message.targetAddress, wireValueOf(message), cancellationToken);
  }

  /**
   * Cancels a pending delayed message sent by this address with `cancellationToken`.
   * A no-op when it was already delivered or never existed.
   */
  cancelDelayedMessage(cancellationToken: string): void {
    if (typeof cancellationToken !== "string" || cancellationToken === "") {
      throw new InvalidArgumentError(
        `${this.#self}: cancelDelayedMessage() needs a non-empty token, got ${describe(cancellationToken)}`,
      );
    }
    this.#session.effects.cancellation(cancellationToken);
  }

  #message(message: Message): void {
    this.#session.effects.message(message.targetAddress, wireValueOf(message));
  }

  #egressMessage(message: EgressMessage): void {
    const { namespace, type } = egressAddressOf(message);
    this.#session.effects.egressMessage(namespace, type, wireValueOf(message));
  }
}
