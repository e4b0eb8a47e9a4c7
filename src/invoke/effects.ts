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

export class Effects {
  readonly messages: WireOutgoingMessage[] = [];
  readonly delayed: WireDelayedInvocation[] = [];
  readonly egress: WireEgressMessage[] = [];

  message(target: Address, argument: WireTypedValue): void {
    this.messages.push({ target: toWire(target), argument });
  }

  delayedMessage(delayMs: number, target: Address, argument: WireTypedValue, cancellationToken: string | undefined): void {
    const delayed: WireDelayedInvocation = { delayInMs: delayMs, target: toWire(target), argument };
    if (cancellationToken !== undefined) delayed.cancellationToken = cancellationToken;
    this.delayed.push(delayed);
  }

  cancellation(cancellationToken: string): void {
    this.delayed.push({ isCancellationRequest: true, cancellationToken });
  }

  egressMessage(egressNamespace: string, egressType: string, argument: WireTypedValue): void {
    this.egress.push({ egressNamespace, egressType, argument });
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
