/**
 * The effects a batch produces, kept in wire form as the function calls the context, and
 * assembled into one `InvocationResponse` when the batch has completed.
 */
import { toWire, type Address } from "../base/address";
import type {
  WireDelayedInvocation,
  WireEgressMessage,
  WireInvocationResponse,
  WireOutgoingMessage,
  WireStateMutation,
  WireTypedValue,
} from "../wire/codec";

/** The list of an effect no invocation produced: shared, so an unused kind costs no array. */
const NONE: never[] = [];
Object.freeze(NONE);

export class Effects {
  messages: WireOutgoingMessage[] = NONE;
  delayed: WireDelayedInvocation[] = NONE;
  egress: WireEgressMessage[] = NONE;

  message(target: Address, argument: WireTypedValue): void {
    if (this.messages === NONE) this.messages = [];
    this.messages.push({ target: toWire(target), argument });
  }

  delayedMessage(delayMs: number, target: Address, argument: WireTypedValue, cancellationToken: string | undefined): void {
    const delayed: WireDelayedInvocation = { delayInMs: delayMs, target: toWire(target), argument };
    if (cancellationToken !== undefined) delayed.cancellationToken = cancellationToken;
    this.#delay(delayed);
  }

  cancellation(cancellationToken: string): void {
    this.#delay({ isCancellationRequest: true, cancellationToken });
  }

  egressMessage(egressNamespace: string, egressType: string, argument: WireTypedValue): void {
    if (this.egress === NONE) this.egress = [];
    this.egress.push({ egressNamespace, egressType, argument });
  }

  #delay(delayed: WireDelayedInvocation): void {
    if (this.delayed === NONE) this.delayed = [];
    this.delayed.push(delayed);
  }

  /** The reply to the batch: the recorded effects plus the storage's final mutations. */
  response(stateMutations: WireStateMutation[]): WireInvocationResponse {
    return {
      stateMutations,
      outgoingMessages: this.messages,
      delayedInvocations: this.delayed,
      outgoingEgresses: this.egress,
    };
  }
}
