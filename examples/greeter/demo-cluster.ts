/**
 * A few lines that stand in for the StateFun cluster in the demo: they send each message to the
 * endpoint over HTTP, register missing states and re-send, keep state per address, follow
 * function-to-function messages and print egress records.
 */
import { StateFun } from "../../src";
import {
  decodeFromFunction,
  decodeKafkaProducerRecord,
  encodeToFunction,
  typedValue,
  type WireAddress,
  type WireTypedValue,
} from "../../src/wire/codec";

export async function playCluster(url: string, names: string[]): Promise<string[]> {
  const lines: string[] = [];
  const registered = new Map<string, string[]>(); // function type → state names
  const stored = new Map<string, WireTypedValue>(); // "type/id/state" → value
  const queue: { target: WireAddress; argument: WireTypedValue }[] = names.map((name) => ({
    target: { namespace: "example", type: "person", id: name },
    argument: typedValue(StateFun.stringType().typename, StateFun.stringType().serialize(name)),
  }));

  while (queue.length > 0) {
    const { target, argument } = queue.shift()!;
    const fnType = `${target.namespace}/${target.type}`;
    const key = (state: string) => `${fnType}/${target.id}/${state}`;
    const state = (registered.get(fnType) ?? []).map((stateName) => {
      const value = stored.get(key(stateName));
      return value ? { stateName, stateValue: value } : { stateName };
    });
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: encodeToFunction({ invocation: { target, state, invocations: [{ argument }] } }),
    });
    if (res.status !== 200) throw new Error(`${fnType}: HTTP ${res.status} ${await res.text()}`);
    const reply = decodeFromFunction(Buffer.from(await res.arrayBuffer()));
    if (reply.incompleteInvocationContext) {
      const names = reply.incompleteInvocationContext.missingValues.map((s) => s.stateName);
      registered.set(fnType, [...(registered.get(fnType) ?? []), ...names]);
      lines.push(`${fnType} asked to register state ${names.join(", ")}; re-sending`);
      queue.unshift({ target, argument });
      continue;
    }
    const result = reply.invocationResult!;
    for (const m of result.outgoingMessages) {
      lines.push(`${fnType}(${target.id}) → ${m.target.namespace}/${m.target.type}(${m.target.id}): ${m.argument.value?.toString()}`);
      queue.push(m);
    }
    for (const e of result.outgoingEgresses) {
      const record = decodeKafkaProducerRecord(e.argument.value!);
      lines.push(`${fnType}(${target.id}) → egress ${e.egressNamespace}/${e.egressType} topic ${record.topic}: ${Buffer.from(record.valueBytes).toString()}`);
    }
    for (const m of result.stateMutations) {
      if (m.mutationType === 1) stored.set(key(m.stateName), m.stateValue!);
      else stored.delete(key(m.stateName));
    }
  }
  return lines;
}
