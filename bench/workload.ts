/**
 * The benchmarks' workload, shared by bench/core.ts (in process) and bench/http.ts (over
 * loopback): the same function code bound on statefun-ts and on apache-flink-statefun, and the
 * request shapes with a check of the right answer.
 */
import { isDeepStrictEqual } from "node:util";
import * as official from "apache-flink-statefun";
import { FunctionSpec as OfficialFunctionSpec } from "apache-flink-statefun/dist/core";
import { StateFun, messageBuilder, type UntypedStorage } from "../src";
import { typedValue, type WireFromFunction } from "../src/wire/codec";
import { addr, request, tv } from "../test/requests";

// ------------------------------------------------------------------------------------------------
// The function code, shared verbatim by both SDKs
// ------------------------------------------------------------------------------------------------

/** The part of either SDK's context the benchmark functions use. */
interface BenchContext {
  storage: UntypedStorage;
  self: { id: string };
  send(message: never): void;
}
interface BenchMessage {
  asString(): string | null;
}
type MessageBuilder = (opts: { typename: string; id: string; value: string }) => unknown;

interface Doc {
  owner: string;
  counter: number;
  records: { id: number; sku: string; name: string; qty: number; price: number; tags: string[]; hits: number }[];
}

const COUNTER_TYPENAME = "bench/counter";
const SINK_TYPENAME = "bench/sink";
const DOC_TYPENAME = "bench/doc";
const DOC_STATE_TYPENAME = "bench/Doc";

/** Shapes (a)/(b): read an int state, increment it, send one message. */
function makeCounterFn(mb: MessageBuilder) {
  return (context: BenchContext, message: BenchMessage): void => {
    const seen = ((context.storage.seen as number | null) ?? 0) + 1;
    context.storage.seen = seen;
    context.send(mb({ typename: SINK_TYPENAME, id: context.self.id, value: `hello ${message.asString()} #${seen}` }) as never);
  };
}

/** Shape (c): read a JSON document, update one record and the counter, write it back. */
function makeDocFn() {
  return (context: BenchContext, message: BenchMessage): void => {
    const doc = context.storage.doc as Doc;
    doc.counter += 1;
    const record = doc.records[doc.counter % doc.records.length];
    record.hits += 1;
    record.qty += message.asString() === "touch" ? 1 : 0;
    context.storage.doc = doc; // write back (the official SDK saves only assigned values)
  };
}

export function bindOurs(): StateFun {
  const sf = new StateFun();
  sf.bind({
    typename: COUNTER_TYPENAME,
    specs: [{ name: "seen", type: StateFun.intType() }],
    fn: makeCounterFn(messageBuilder as MessageBuilder) as never,
  });
  sf.bind({
    typename: DOC_TYPENAME,
    specs: [{ name: "doc", type: StateFun.jsonType<Doc>(DOC_STATE_TYPENAME) }],
    fn: makeDocFn() as never,
  });
  return sf;
}

type OfficialOpts = Parameters<official.StateFun["bind"]>[0];

function officialOpts(): OfficialOpts[] {
  const S = official.StateFun;
  return [
    {
      typename: COUNTER_TYPENAME,
      specs: [{ name: "seen", type: S.intType() }],
      fn: makeCounterFn(official.messageBuilder as MessageBuilder) as never,
    },
    {
      typename: DOC_TYPENAME,
      specs: [{ name: "doc", type: S.jsonType(DOC_STATE_TYPENAME) }],
      fn: makeDocFn() as never,
    },
  ];
}

export function bindOfficial(): official.StateFun {
  const sf = new official.StateFun();
  for (const opts of officialOpts()) sf.bind(opts);
  return sf;
}

/** What the official `bind()` stores in its private `#fns`, built the same way. */
export function officialFns(): Record<string, OfficialFunctionSpec> {
  const fns: Record<string, OfficialFunctionSpec> = {};
  for (const opts of officialOpts()) {
    const spec = OfficialFunctionSpec.fromOpts(opts);
    fns[spec.typename] = spec;
  }
  return fns;
}

// ------------------------------------------------------------------------------------------------
// Request shapes
// ------------------------------------------------------------------------------------------------

const INITIAL_SEEN = 41;

function makeDoc(): Doc {
  const records: Doc["records"] = [];
  for (let i = 0; i < 100; i++) {
    records.push({
      id: i,
      sku: `SKU-${String(i).padStart(5, "0")}`,
      name: `item number ${i}`,
      qty: i % 7,
      price: Math.round(((i * 37) % 1000) * 1.25) / 100,
      tags: i % 3 === 0 ? ["red", "sale"] : ["blue"],
      hits: 0,
    });
  }
  return { owner: "bench-user", counter: 0, records };
}

export interface Shape {
  key: string;
  label: string;
  bytes: Buffer;
  invocations: number;
  /** Checks the decoded reply is the right answer, not just the same on both SDKs. */
  expect(reply: WireFromFunction): string | null;
}

const STRING_TYPENAME = "io.statefun.types/string";

export function counterShape(key: string, label: string, n: number): Shape {
  const invocations = [];
  for (let i = 0; i < n; i++) {
    invocations.push({ caller: addr("bench/caller", `c${i}`), argument: tv(StateFun.stringType(), `world-${i}`) });
  }
  const bytes = request({
    target: addr(COUNTER_TYPENAME, "user-1"),
    state: { seen: tv(StateFun.intType(), INITIAL_SEEN) },
    invocations,
  });
  return {
    key,
    label,
    bytes,
    invocations: n,
    expect(reply) {
      const r = reply.invocationResult;
      if (!r) return "no invocation result";
      const muts = r.stateMutations ?? [];
      if (muts.length !== 1 || muts[0].stateName !== "seen" || !muts[0].stateValue) return "expected one mutation of seen";
      const seen = StateFun.intType().deserialize(Buffer.from(muts[0].stateValue.value ?? []));
      if (seen !== INITIAL_SEEN + n) return `seen = ${seen}, expected ${INITIAL_SEEN + n}`;
      const out = r.outgoingMessages ?? [];
      if (out.length !== n) return `${out.length} outgoing messages, expected ${n}`;
      for (let i = 0; i < n; i++) {
        const m = out[i];
        const text = StateFun.stringType().deserialize(Buffer.from(m.argument.value ?? []));
        const want = `hello world-${i} #${INITIAL_SEEN + i + 1}`;
        if (m.argument.typename !== STRING_TYPENAME || text !== want) return `message ${i}: ${JSON.stringify(text)}, expected ${JSON.stringify(want)}`;
        if (m.target.namespace !== "bench" || m.target.type !== "sink" || m.target.id !== "user-1") return `message ${i}: wrong target`;
      }
      return null;
    },
  };
}

/**
 * Shapes (c) and (d): `n` invocations to one address, each reading the ~10 KB JSON document,
 * editing it in place and writing it back (the official SDK saves only assigned values).
 */
export function docShape(key = "c", n = 1): Shape {
  const docType = StateFun.jsonType<Doc>(DOC_STATE_TYPENAME);
  const doc = makeDoc();
  const bytes = request({
    target: addr(DOC_TYPENAME, "doc-1"),
    state: { doc: typedValue(DOC_STATE_TYPENAME, docType.serialize(doc)) },
    invocations: Array.from({ length: n }, () => ({ argument: tv(StateFun.stringType(), "touch") })),
  });
  const want = makeDoc();
  want.counter = n;
  for (let i = 1; i <= n; i++) {
    want.records[i % want.records.length].hits += 1;
    want.records[i % want.records.length].qty += 1;
  }
  const size = docType.serialize(doc).length.toLocaleString("en-US");
  return {
    key,
    label: n === 1 ? `(${key}) 1 inv, JSON state ${size} B` : `(${key}) ${n}-inv batch, JSON state ${size} B edited in place`,
    bytes,
    invocations: n,
    expect(reply) {
      const r = reply.invocationResult;
      if (!r) return "no invocation result";
      const muts = r.stateMutations ?? [];
      if (muts.length !== 1 || muts[0].stateName !== "doc" || !muts[0].stateValue) return "expected one mutation of doc";
      if (muts[0].stateValue.typename !== DOC_STATE_TYPENAME) return `doc typename ${muts[0].stateValue.typename}`;
      const got = JSON.parse(Buffer.from(muts[0].stateValue.value ?? []).toString("utf8")) as unknown;
      if (!isDeepStrictEqual(got, want)) return "the written document is not the expected one";
      if ((r.outgoingMessages ?? []).length !== 0) return "unexpected outgoing messages";
      return null;
    },
  };
}

/** The requests bench:http sends: (a) one invocation, and a batch of 10 of them. */
export function httpShapes(): Shape[] {
  return [counterShape("a", "(a) 1 invocation, int state + 1 message", 1), counterShape("b10", "batch of 10 such invocations", 10)];
}
