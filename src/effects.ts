/**
 * The effects a batch produces, kept in wire form as the function calls the context, and
 * assembled into one `InvocationResponse` when the batch has completed.
 */
import type { Address } from "./address";
import { egressParts, type EgressMessage, type Message } from "./message";
import type {
  WireAddress,
  WireDelayedInvocation,
  WireEgressMessage,
  WireInvocationResponse,
  WireOutgoingMessage,
  WireStateMutation,
} from "./wire/codec";

function wireAddress(address: Address): WireAddress {
  return { namespace: address.namespace, type: address.name, id: address.id };
}

export class Effects {
  readonly messages: WireOutgoingMessage[] = [];
  readonly delayed: WireDelayedInvocation[] = [];
  readonly egress: WireEgressMessage[] = [];

  message(message: Message): void {
    this.messages.push({ target: wireAddress(message.targetAddress), argument: message.typedValue });
  }

  delayedMessage(delayMs: number, message: Message, cancellationToken: string | undefined): void {
    const delayed: WireDelayedInvocation = {
      delayInMs: delayMs,
      target: wireAddress(message.targetAddress),
      argument: message.typedValue,
    };
    if (cancellationToken !== undefined) delayed.cancellationToken = cancellationToken;
    this.delayed.push(delayed);
  }

  cancellation(cancellationToken: string): void {
    this.delayed.push({ isCancellationRequest: true, cancellationToken });
  }

  egressMessage(message: EgressMessage): void {
    this.egress.push({ ...egressParts(message), argument: message.typedValue });
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
