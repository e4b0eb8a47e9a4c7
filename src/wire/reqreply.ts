/**
 * A purpose-built codec for the two messages on the request path: it decodes
 * `io.statefun.sdk.reqreply.ToFunction` and encodes `io.statefun.sdk.reqreply.FromFunction`, and
 * nothing else. It is a drop-in for `decodeToFunction` / `encodeFromFunction` in `./codec`
 * (protobufjs stays the codec for every other message) and is held to protobufjs' behaviour, not
 * just to the protobuf spec: test/wire/reqreply.test.ts checks that it decodes what protobufjs
 * decodes, rejects what protobufjs rejects and encodes protobufjs' bytes.
 *
 * Decoding matches protobufjs 8 (`Type.decode` on a Buffer, unknown fields discarded):
 * - fields in any order; a known field with another wire type is skipped as an unknown field;
 * - a singular scalar given twice: the last one wins (an empty string / empty bytes / false
 *   given last resets the field to its default);
 * - a singular message given twice: the occurrences are merged, as protobuf specifies
 *   (scalars of the later one win, repeated fields are appended);
 * - unknown fields of wire types 0, 1, 2, 5 and groups (3 ... 4, nested, matching end tag) are
 *   skipped; wire types 4, 6, 7 and field number 0 are rejected; as in protobufjs an unknown
 *   varint may be longer than 10 bytes, and groups may nest 100 deep counting from the message;
 * - a tag is a varint of at most 5 bytes (5th byte ≤ 0x0f), a length at most 5 bytes (5th byte
 *   ≤ 0x07, so below 2^31); a `bool` at most 10 bytes, true when any payload bit is set;
 * - strings must be well-formed UTF-8 (protobufjs 8 decodes proto3 strings with a fatal
 *   TextDecoder); a BOM is kept;
 * - the oneof `request` has one member, so "last one wins" needs nothing more.
 *
 * Decoded objects are built like protobufjs' messages, so they read and compare like them: a
 * field is an own property only when the request sets it to something other than its default,
 * and the defaults come from the prototype ("" / false, `null` for an absent message — so
 * `caller` absent is `null`, an all-empty caller an Address of empty strings —, `undefined`
 * for empty bytes); repeated fields are own arrays. Bytes are zero-copy views into the request
 * buffer, exactly as protobufjs' BufferReader returns them: the SDK never writes into nor
 * reuses a request body (each HTTP body is a fresh chunk, `Buffer.concat` result or inflated
 * buffer), and the views are only read, or copied where a user gets to keep them
 * (`Message.rawValueBytes`); a caller of `handleRequest(bytes)` must not reuse its buffer while
 * the request runs, as today.
 *
 * Encoding writes the bytes protobufjs writes for the objects the request path builds (plain
 * objects with own properties; `$unknowns` never set): fields in field-number order, proto3
 * defaults ("" / false / 0 / empty bytes, null or undefined) left out, sub-messages written
 * whenever present (even empty), every element of a repeated field, both members of the
 * `response` oneof if both are set (protobufjs does not enforce oneofs on encode), lone UTF-16
 * surrogates as U+FFFD (as the SDK's WellFormedWriter does), enums as int32 varints and int64
 * numbers converted the way protobufjs converts them (fractions truncated, 10 bytes for a
 * negative value, modulo 2^64 beyond, NaN and ±Infinity as 0). It writes back to front, in
 * one pass, into one `Buffer.allocUnsafe` buffer (Node's pool for small replies), sized exactly
 * by a first pass over lengths when every string is ASCII, else by an upper bound.
 *
 * Both directions are synchronous and keep their cursor in module state, which is safe because
 * nothing here calls out to user code.
 */
import { isUtf8 } from "node:buffer";

// The message types, declared here rather than imported from ./codec: codec.ts delegates to this
// file, and the project allows no import cycle, type-only imports included. They are the shapes
// of codec.ts' Wire* interfaces — a decoded request is a WireToFunction, a WireFromFunction is a
// reply to encode — and the compiler checks that at the delegation (and test/wire/reqreply.test.ts
// checks it too).

/** `io.statefun.sdk.reqreply.Address`, decoded. */
export interface DecodedAddress {
  namespace: string;
  type: string;
  id: string;
}

/** `TypedValue`, decoded; `value` is undefined when the bytes are empty. */
export interface DecodedTypedValue {
  typename: string;
  hasValue: boolean;
  value: Buffer | undefined;
}

/** `ToFunction.PersistedValue`, decoded; `stateValue` is null when absent. */
export interface DecodedPersistedValue {
  stateName: string;
  stateValue: DecodedTypedValue | null;
}

/** `ToFunction.Invocation`, decoded; `caller` is null when absent. */
export interface DecodedInvocation {
  caller: DecodedAddress | null;
  argument: DecodedTypedValue | null;
}

/** `ToFunction.InvocationBatchRequest`, decoded. */
export interface DecodedInvocationBatchRequest {
  target: DecodedAddress | null;
  state: DecodedPersistedValue[];
  invocations: DecodedInvocation[];
}

/** `ToFunction`, decoded. */
export interface DecodedToFunction {
  invocation: DecodedInvocationBatchRequest | null;
}

// A reply to encode: every field optional, a null or undefined one left out, as protobufjs does.

/** `Address` in a reply. */
export interface ReplyAddress {
  namespace?: string | null;
  type?: string | null;
  id?: string | null;
}

/** `TypedValue` in a reply. */
export interface ReplyTypedValue {
  typename?: string | null;
  hasValue?: boolean | null;
  value?: Uint8Array | null;
}

/** `FromFunction.PersistedValueMutation`. */
export interface ReplyStateMutation {
  mutationType?: number | null;
  stateName?: string | null;
  stateValue?: ReplyTypedValue | null;
}

/** `FromFunction.Invocation`. */
export interface ReplyOutgoingMessage {
  target?: ReplyAddress | null;
  argument?: ReplyTypedValue | null;
}

/** `FromFunction.DelayedInvocation`; `delayInMs` is an int64 as a number. */
export interface ReplyDelayedInvocation {
  isCancellationRequest?: boolean | null;
  cancellationToken?: string | null;
  delayInMs?: number | null;
  target?: ReplyAddress | null;
  argument?: ReplyTypedValue | null;
}

/** `FromFunction.EgressMessage`. */
export interface ReplyEgressMessage {
  egressNamespace?: string | null;
  egressType?: string | null;
  argument?: ReplyTypedValue | null;
}

/** `FromFunction.InvocationResponse`. */
export interface ReplyInvocationResponse {
  stateMutations?: readonly ReplyStateMutation[] | null;
  outgoingMessages?: readonly ReplyOutgoingMessage[] | null;
  delayedInvocations?: readonly ReplyDelayedInvocation[] | null;
  outgoingEgresses?: readonly ReplyEgressMessage[] | null;
}

/** `FromFunction.PersistedValueSpec`; `expireAfterMillis` is an int64 as a number. */
export interface ReplyPersistedValueSpec {
  stateName?: string | null;
  expirationSpec?: { mode?: number | null; expireAfterMillis?: number | null } | null;
  typeTypename?: string | null;
}

/** `FromFunction.IncompleteInvocationContext`. */
export interface ReplyIncompleteInvocationContext {
  missingValues?: readonly ReplyPersistedValueSpec[] | null;
}

/** `FromFunction`. */
export interface ReplyFromFunction {
  invocationResult?: ReplyInvocationResponse | null;
  incompleteInvocationContext?: ReplyIncompleteInvocationContext | null;
}

const EMPTY = Buffer.alloc(0);

// ------------------------------------------------------------------------------------------------
// Decoding ToFunction
// ------------------------------------------------------------------------------------------------

// Like protobufjs' message classes: defaults on the prototype, own properties only for fields
// set to something else (see the module note), repeated fields own arrays.

class Address implements DecodedAddress {
  declare namespace: string;
  declare type: string;
  declare id: string;
}
Address.prototype.namespace = "";
Address.prototype.type = "";
Address.prototype.id = "";

class TypedValue implements DecodedTypedValue {
  declare typename: string;
  declare hasValue: boolean;
  declare value: Buffer | undefined;
}
TypedValue.prototype.typename = "";
TypedValue.prototype.hasValue = false;
TypedValue.prototype.value = undefined;

class PersistedValue implements DecodedPersistedValue {
  declare stateName: string;
  declare stateValue: TypedValue | null;
}
PersistedValue.prototype.stateName = "";
PersistedValue.prototype.stateValue = null;

class Invocation implements DecodedInvocation {
  declare caller: Address | null;
  declare argument: TypedValue | null;
}
Invocation.prototype.caller = null;
Invocation.prototype.argument = null;

class InvocationBatchRequest implements DecodedInvocationBatchRequest {
  declare target: Address | null;
  state: PersistedValue[] = [];
  invocations: Invocation[] = [];
}
InvocationBatchRequest.prototype.target = null;

class ToFunction implements DecodedToFunction {
  declare invocation: InvocationBatchRequest | null;
}
ToFunction.prototype.invocation = null;

/** protobufjs' `Reader.recursionLimit`: how deep groups may nest, counting the message depth. */
const MAX_DEPTH = 100;

// Message depths as protobufjs counts them (ToFunction = 0); they bound nested unknown groups.
const DEPTH_BATCH = 1;
const DEPTH_ENTRY = 2; // PersistedValue, Invocation
const DEPTH_LEAF = 3; // TypedValue, Address

// Full tags (field << 3 | wire type) of the known fields. A known field number with another wire
// type does not match and is skipped like an unknown field, as protobufjs does.
const TAG_INVOCATION = (100 << 3) | 2;
const TAG_1_LEN = (1 << 3) | 2;
const TAG_2_LEN = (2 << 3) | 2;
const TAG_3_LEN = (3 << 3) | 2;
const TAG_2_VARINT = (2 << 3) | 0;

/** The buffer being decoded and the read position (see the module note on module state). */
let src: Buffer = EMPTY;
let pos = 0;
/** `src.buffer` and `src.byteOffset`, read once per request for the bytes views. */
let srcBuffer: ArrayBufferLike = EMPTY.buffer;
let srcOffset = 0;

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/** Used only where Buffer has no usable species: a view through the public API. */
class FromView {
  constructor(buffer: ArrayBufferLike, byteOffset: number, length: number) {
    return Buffer.from(buffer, byteOffset, length);
  }
}

/**
 * Buffer's ECMAScript species (`Buffer[Symbol.species]`, Node's FastBuffer): the constructor
 * `subarray` itself ends in, so `new View(arrayBuffer, offset, length)` is a real Buffer view,
 * without `subarray`'s argument handling, which is half the cost of a view. Checked once.
 */
function bufferSpecies(): ViewConstructor {
  const species: unknown = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
  if (typeof species === "function") {
    const probe: unknown = new (species as ViewConstructor)(new ArrayBuffer(4), 1, 2);
    if (Buffer.isBuffer(probe) && Object.getPrototypeOf(probe) === Buffer.prototype && probe.byteOffset === 1 && probe.length === 2) {
      return species as ViewConstructor;
    }
  }
  return FromView as unknown as ViewConstructor;
}

const View = bufferSpecies();

function malformed(what: string): never {
  throw new Error(`${what} at offset ${pos}`);
}

/** Reads a tag; the caller has checked `pos < end`. */
function readTag(end: number): number {
  const b = src[pos];
  if (b < 0x80) {
    pos++;
    return b;
  }
  return readTagSlow(end);
}

function readTagSlow(end: number): number {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) malformed("truncated tag");
    const b = src[pos++];
    value |= (b & 0x7f) << shift;
    if (b < 0x80) return value >>> 0;
  }
  if (pos >= end) malformed("truncated tag");
  const last = src[pos++];
  // The fifth byte holds the top 4 bits of a 32-bit tag; protobufjs rejects anything more.
  if (last > 0x0f) malformed("invalid tag encoding");
  return (value | (last << 28)) >>> 0;
}

/** Reads a length prefix and checks that many bytes follow before `end`. */
function readLength(end: number): number {
  const b = src;
  let len: number;
  if (pos < end && b[pos] < 0x80) {
    len = b[pos++];
  } else if (end - pos >= 2 && b[pos + 1] < 0x80) {
    len = (b[pos] & 0x7f) | (b[pos + 1] << 7);
    pos += 2;
  } else {
    len = readLengthSlow(end);
  }
  if (len > end - pos) malformed(`length ${len} runs past the end of its message (${end - pos} bytes left)`);
  return len;
}

function readLengthSlow(end: number): number {
  let len = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) malformed("truncated length");
    const b = src[pos++];
    len |= (b & 0x7f) << shift;
    if (b < 0x80) return len;
  }
  if (pos >= end) malformed("truncated length");
  const last = src[pos++];
  // protobufjs reads lengths as signed 32-bit values: the fifth byte may hold 3 bits only.
  if (last > 0x07) malformed("invalid length encoding");
  return (len | (last << 28)) >>> 0;
}

/** A bool as protobufjs reads it: a varint of at most 10 bytes, true when any bit is set. */
function readBool(end: number): boolean {
  if (pos < end && src[pos] < 0x80) return src[pos++] !== 0;
  let value = false;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) malformed("truncated varint");
    const b = src[pos++];
    if ((b & 0x7f) !== 0) value = true;
    if (b < 0x80) return value;
  }
  return malformed("varint longer than 10 bytes");
}

function readString(end: number): string {
  const len = readLength(end);
  const start = pos;
  pos += len;
  if (len === 0) return "";
  return len <= CACHED_STRING ? shortString(start, pos) : longString(start, pos);
}

function readBytes(end: number): Buffer | undefined {
  const len = readLength(end);
  if (len === 0) return undefined;
  const start = pos;
  pos += len;
  return new View(srcBuffer, srcOffset + start, len);
}

/**
 * Short ASCII strings are interned in a small direct-mapped cache: a request repeats the same
 * few names (namespaces, function types, typenames, state names) in every invocation, and so do
 * successive requests. A lookup hashes 8 bytes and compares the bytes four at a time, in JS,
 * which costs a fraction of building the string (a call into C++, or concatenations), makes no
 * garbage, and returns a string whose hash for Map lookups is computed already. A miss replaces
 * the slot, from a string's second sighting on: the cache holds at most CACHE_SLOTS strings of
 * at most CACHED_STRING bytes, and a copy of their bytes. (Strings are immutable, so sharing
 * one between requests is invisible.)
 */
const CACHED_STRING = 48;
const CACHE_BITS = 10;
const CACHE_SLOTS = 1 << CACHE_BITS;
const SLOT_WORDS = CACHED_STRING / 4;
const cacheStrings: string[] = new Array<string>(CACHE_SLOTS).fill("");
const cacheWords = new Int32Array(CACHE_SLOTS * SLOT_WORDS);
/** The same memory, for the last 0–3 bytes of a string. */
const cacheBytes = new Uint8Array(cacheWords.buffer);
/** The hash of the last string that missed in each slot. */
const cacheSeen = new Int32Array(CACHE_SLOTS);

/** Four bytes of `src` as a little-endian int32 (the unit the string cache hashes and compares). */
function word(b: Buffer, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function shortString(start: number, stop: number): string {
  const b = src;
  const n = stop - start;
  const wordsEnd = start + (n & ~3);
  // The slot comes from the length and the first and last four bytes: enough to tell names
  // apart; a lookup then compares the words between and the last 0–3 bytes.
  let h: number;
  let first = 0;
  if (n >= 4) {
    first = word(b, start);
    h = first ^ Math.imul(word(b, stop - 4) ^ n, 0x85ebca6b);
  } else {
    h = n === 1 ? b[start] : n === 2 ? b[start] | (b[start + 1] << 8) : b[start] | (b[start + 1] << 8) | (b[start + 2] << 16);
  }
  h = Math.imul(h, 0x9e3779b1);
  const slot = h >>> (32 - CACHE_BITS);
  const hit = cacheStrings[slot];
  if (hit.length === n) {
    let k = slot * SLOT_WORDS;
    let j = start;
    if (n >= 4 && cacheWords[k] === first) {
      j += 4;
      k++;
      while (j < wordsEnd && cacheWords[k] === word(b, j)) {
        j += 4;
        k++;
      }
    }
    if (j >= wordsEnd) {
      k *= 4;
      while (j < stop && cacheBytes[k] === b[j]) {
        j++;
        k++;
      }
      // Equal to a cached string, so ASCII too.
      if (j === stop) return hit;
    }
  }
  let bits = 0;
  for (let i = start; i < stop; i++) bits |= b[i];
  if (bits >= 0x80) return longString(start, stop);
  // Up to 12 characters a string built in JS is flat; a longer one would be a cons string, so
  // Buffer builds those (in C++).
  const s = n <= 12 ? asciiString(start, stop) : b.toString("latin1", start, stop);
  // Admit a string on its second sighting only (two misses in a row with its hash in this
  // slot): a cached string lives on into the old generation, and caching every id of a
  // function with many ids would make each of them garbage for major GCs, not minor ones.
  if (cacheSeen[slot] !== h) {
    cacheSeen[slot] = h;
    return s;
  }
  // Store the bytes the way the lookup reads them: whole words as words, the tail as bytes
  // (so the cache does not depend on the platform's byte order).
  cacheStrings[slot] = s;
  let k = slot * SLOT_WORDS;
  let j = start;
  for (; j < wordsEnd; j += 4) cacheWords[k++] = word(b, j);
  for (k *= 4; j < stop; j++) cacheBytes[k++] = b[j];
  return s;
}

/** Builds a short ASCII string (at most 12 characters here) with one or two calls. */
function asciiString(start: number, stop: number): string {
  const b = src;
  let s = "";
  let i = start;
  for (; stop - i >= 8; i += 8) {
    s += String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
  }
  switch (stop - i) {
    case 1:
      return s + String.fromCharCode(b[i]);
    case 2:
      return s + String.fromCharCode(b[i], b[i + 1]);
    case 3:
      return s + String.fromCharCode(b[i], b[i + 1], b[i + 2]);
    case 4:
      return s + String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
    case 5:
      return s + String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4]);
    case 6:
      return s + String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]);
    case 7:
      return s + String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6]);
    default:
      return s;
  }
}

/** Any string that is not short ASCII: validated, then decoded by Buffer (in C++). */
function longString(start: number, stop: number): string {
  // isUtf8 accepts exactly the well-formed UTF-8 that protobufjs' fatal TextDecoder accepts.
  if (!isUtf8(src.subarray(start, stop))) malformed("invalid UTF-8 in a string field");
  return src.toString("utf8", start, stop);
}

/** Skips the value of an unknown field (`tag` read already), as protobufjs' `skipType` does. */
function skipField(tag: number, end: number, depth: number): void {
  if (depth > MAX_DEPTH) malformed("groups nested too deeply");
  if (tag >>> 3 === 0) malformed("field number 0");
  switch (tag & 7) {
    case 0:
      // No 10-byte limit: protobufjs skips a varint of any length.
      do {
        if (pos >= end) malformed("truncated varint");
      } while (src[pos++] >= 0x80);
      return;
    case 1:
      if (end - pos < 8) malformed("truncated 64-bit field");
      pos += 8;
      return;
    case 2: {
      const len = readLength(end); // (not `pos += readLength()`: that adds to the old pos)
      pos += len;
      return;
    }
    case 3:
      skipGroup(tag >>> 3, end, depth);
      return;
    case 5:
      if (end - pos < 4) malformed("truncated 32-bit field");
      pos += 4;
      return;
    default:
      malformed(`invalid wire type ${tag & 7}`);
  }
}

function skipGroup(field: number, end: number, depth: number): void {
  for (;;) {
    if (pos >= end) malformed("unterminated group");
    const tag = readTag(end);
    // (field number 0 fails in skipField, or as a mismatched end tag)
    if ((tag & 7) === 4) {
      if (tag >>> 3 !== field) malformed("mismatched end-group tag");
      return;
    }
    skipField(tag, end, depth + 1);
  }
}

function readAddress(end: number, into: Address | null): Address {
  const m = into ?? new Address();
  while (pos < end) {
    const tag = readTag(end);
    if (tag === TAG_1_LEN) {
      const v = readString(end);
      if (v !== "") m.namespace = v;
      else if (m.namespace !== "") Reflect.deleteProperty(m, "namespace"); // a later empty one: back to the default
    } else if (tag === TAG_2_LEN) {
      const v = readString(end);
      if (v !== "") m.type = v;
      else if (m.type !== "") Reflect.deleteProperty(m, "type");
    } else if (tag === TAG_3_LEN) {
      const v = readString(end);
      if (v !== "") m.id = v;
      else if (m.id !== "") Reflect.deleteProperty(m, "id");
    } else {
      skipField(tag, end, DEPTH_LEAF);
    }
  }
  return m;
}

function readTypedValue(end: number, into: TypedValue | null): TypedValue {
  const m = into ?? new TypedValue();
  while (pos < end) {
    const tag = readTag(end);
    if (tag === TAG_1_LEN) {
      const v = readString(end);
      if (v !== "") m.typename = v;
      else if (m.typename !== "") Reflect.deleteProperty(m, "typename");
    } else if (tag === TAG_2_VARINT) {
      if (readBool(end)) m.hasValue = true;
      else if (m.hasValue) Reflect.deleteProperty(m, "hasValue");
    } else if (tag === TAG_3_LEN) {
      const v = readBytes(end);
      if (v !== undefined) m.value = v;
      else if (m.value !== undefined) Reflect.deleteProperty(m, "value");
    } else {
      skipField(tag, end, DEPTH_LEAF);
    }
  }
  return m;
}

function readPersistedValue(end: number): PersistedValue {
  const m = new PersistedValue();
  while (pos < end) {
    const tag = readTag(end);
    if (tag === TAG_1_LEN) {
      const v = readString(end);
      if (v !== "") m.stateName = v;
      else if (m.stateName !== "") Reflect.deleteProperty(m, "stateName");
    } else if (tag === TAG_2_LEN) {
      const len = readLength(end);
      m.stateValue = readTypedValue(pos + len, m.stateValue);
    } else {
      skipField(tag, end, DEPTH_ENTRY);
    }
  }
  return m;
}

function readInvocation(end: number): Invocation {
  const m = new Invocation();
  while (pos < end) {
    const tag = readTag(end);
    if (tag === TAG_1_LEN) {
      const len = readLength(end);
      m.caller = readAddress(pos + len, m.caller);
    } else if (tag === TAG_2_LEN) {
      const len = readLength(end);
      m.argument = readTypedValue(pos + len, m.argument);
    } else {
      skipField(tag, end, DEPTH_ENTRY);
    }
  }
  return m;
}

function readBatch(end: number, into: InvocationBatchRequest | null): InvocationBatchRequest {
  const m = into ?? new InvocationBatchRequest();
  while (pos < end) {
    const tag = readTag(end);
    if (tag === TAG_3_LEN) {
      const len = readLength(end);
      m.invocations.push(readInvocation(pos + len));
    } else if (tag === TAG_2_LEN) {
      const len = readLength(end);
      m.state.push(readPersistedValue(pos + len));
    } else if (tag === TAG_1_LEN) {
      const len = readLength(end);
      m.target = readAddress(pos + len, m.target);
    } else {
      skipField(tag, end, DEPTH_BATCH);
    }
  }
  return m;
}

/**
 * Decodes a request body: a drop-in for `decodeToFunction` in `./codec`, with the same result
 * as protobufjs for every input (see the module note).
 *
 * @param bytes - the request body; bytes fields of the result are views into it, so it must
 *   not be modified while the result is in use
 * @throws Error with a short description and offset when the bytes are not a ToFunction
 */
export function decodeToFunction(bytes: Uint8Array): DecodedToFunction {
  src = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  srcBuffer = src.buffer;
  srcOffset = src.byteOffset;
  try {
    const end = src.length;
    const m = new ToFunction();
    while (pos < end) {
      const tag = readTag(end);
      if (tag === TAG_INVOCATION) {
        const len = readLength(end);
        m.invocation = readBatch(pos + len, m.invocation);
      } else {
        skipField(tag, end, 0);
      }
    }
    return m;
  } finally {
    src = EMPTY; // do not keep the request alive
    srcBuffer = EMPTY.buffer;
  }
}

// ------------------------------------------------------------------------------------------------
// Encoding FromFunction
// ------------------------------------------------------------------------------------------------

// The message is written back to front: each sub-message's content first, then its length
// prefix (known by then) and its tag. That is one pass that reads every string once, where
// sizing first and writing second reads it twice — and reading characters in JS is what an
// encoder of short strings spends its time on. The first pass reads lengths only, no
// characters: it gives the exact size if every string is ASCII, which the writer checks as it
// copies them. A reply with other characters is written again, into a buffer of an upper bound
// (3 bytes per UTF-16 unit), and the written part of it is returned; so are the next few
// replies, directly (see BOUNDED_REPLIES).

/** The output buffer, and the index of the first byte written so far (writes go to --at). */
let dst: Buffer = EMPTY;
let at = 0;
/** Whether `dst` was sized for ASCII strings, and whether a string turned out not to be. */
let sizedAsAscii = false;
let notAscii = false;

/** Strings up to this length are written by a JS loop: cheaper than a call into C++. */
const JS_STRING = 64;

// Exact sizes, every string counted as ASCII (one byte per UTF-16 unit). The conditions are
// the writer's, field for field.

/** A length-delimited field of `n` content bytes (one-byte tag). */
function lenSize(n: number): number {
  return 1 + varintSize(n) + n;
}

function stringSize(s: string | null | undefined): number {
  return s != null && s !== "" ? lenSize(s.length) : 0;
}

function addressSize(a: ReplyAddress): number {
  return stringSize(a.namespace) + stringSize(a.type) + stringSize(a.id);
}

function typedValueSize(v: ReplyTypedValue): number {
  let n = stringSize(v.typename);
  if (v.hasValue != null && v.hasValue !== false) n += 2;
  const value = v.value;
  if (value != null && value.length) n += lenSize(value.length);
  return n;
}

function int32Size(v: number): number {
  const x = v | 0;
  return x < 0 ? 10 : varintSize(x);
}

function int64Size(v: number): number {
  const a = v < 0 ? -v : v;
  const lo = a >>> 0;
  const hi = ((a - lo) / 4294967296) >>> 0;
  if (lo === 0 && hi === 0) return 1; // also -0.5, -Infinity, -2^64: the magnitude wraps to 0
  if (v < 0) return 10; // two's complement: the top bit set
  return hi === 0 ? varintSize(lo) : Math.ceil((64 - Math.clz32(hi)) / 7);
}

function responseSize(r: ReplyInvocationResponse): number {
  let n = 0;
  const mutations = r.stateMutations;
  if (mutations != null) {
    for (let j = 0; j < mutations.length; j++) {
      const m = mutations[j];
      let f = stringSize(m.stateName);
      if (m.mutationType != null && m.mutationType !== 0) f += 1 + int32Size(m.mutationType);
      if (m.stateValue != null) f += lenSize(typedValueSize(m.stateValue));
      n += lenSize(f);
    }
  }
  const messages = r.outgoingMessages;
  if (messages != null) {
    for (let j = 0; j < messages.length; j++) {
      const m = messages[j];
      let f = 0;
      if (m.target != null) f += lenSize(addressSize(m.target));
      if (m.argument != null) f += lenSize(typedValueSize(m.argument));
      n += lenSize(f);
    }
  }
  const delayed = r.delayedInvocations;
  if (delayed != null) {
    for (let j = 0; j < delayed.length; j++) {
      const m = delayed[j];
      let f = stringSize(m.cancellationToken);
      if (m.delayInMs != null && m.delayInMs !== 0) f += 1 + int64Size(m.delayInMs);
      if (m.target != null) f += lenSize(addressSize(m.target));
      if (m.argument != null) f += lenSize(typedValueSize(m.argument));
      if (m.isCancellationRequest != null && m.isCancellationRequest !== false) f += 2;
      n += lenSize(f);
    }
  }
  const egresses = r.outgoingEgresses;
  if (egresses != null) {
    for (let j = 0; j < egresses.length; j++) {
      const m = egresses[j];
      let f = stringSize(m.egressNamespace) + stringSize(m.egressType);
      if (m.argument != null) f += lenSize(typedValueSize(m.argument));
      n += lenSize(f);
    }
  }
  return n;
}

function incompleteSize(c: ReplyIncompleteInvocationContext): number {
  let n = 0;
  const specs = c.missingValues;
  if (specs != null) {
    for (let j = 0; j < specs.length; j++) {
      const m = specs[j];
      let f = stringSize(m.stateName) + stringSize(m.typeTypename);
      const spec = m.expirationSpec;
      if (spec != null) {
        let e = 0;
        if (spec.mode != null && spec.mode !== 0) e += 1 + int32Size(spec.mode);
        if (spec.expireAfterMillis != null && spec.expireAfterMillis !== 0) e += 1 + int64Size(spec.expireAfterMillis);
        f += lenSize(e);
      }
      n += lenSize(f);
    }
  }
  return n;
}

function asciiSize(message: ReplyFromFunction): number {
  let n = 0;
  // fields 100 and 101 have two-byte tags
  if (message.invocationResult != null) n += 1 + lenSize(responseSize(message.invocationResult));
  if (message.incompleteInvocationContext != null) n += 1 + lenSize(incompleteSize(message.incompleteInvocationContext));
  return n;
}

// Upper bounds, for a reply with non-ASCII strings: a tag of one byte (two for fields 100 and
// 101), a length prefix of at most 5 bytes, at most 3 UTF-8 bytes per UTF-16 unit, 10 bytes per
// varint.
const FIELD = 1 + 5;
const VARINT_FIELD = 1 + 10;

function stringBound(s: string | null | undefined): number {
  return s != null ? FIELD + 3 * s.length : 0;
}

function addressBound(a: ReplyAddress | null | undefined): number {
  return a != null ? FIELD + stringBound(a.namespace) + stringBound(a.type) + stringBound(a.id) : 0;
}

function typedValueBound(v: ReplyTypedValue | null | undefined): number {
  if (v == null) return 0;
  return FIELD + stringBound(v.typename) + VARINT_FIELD + (v.value != null ? FIELD + v.value.length : 0);
}

function responseBound(r: ReplyInvocationResponse): number {
  let n = FIELD + 1;
  const mutations = r.stateMutations;
  if (mutations != null) {
    for (let j = 0; j < mutations.length; j++) {
      const m = mutations[j];
      n += FIELD + VARINT_FIELD + stringBound(m.stateName) + typedValueBound(m.stateValue);
    }
  }
  const messages = r.outgoingMessages;
  if (messages != null) {
    for (let j = 0; j < messages.length; j++) {
      const m = messages[j];
      n += FIELD + addressBound(m.target) + typedValueBound(m.argument);
    }
  }
  const delayed = r.delayedInvocations;
  if (delayed != null) {
    for (let j = 0; j < delayed.length; j++) {
      const m = delayed[j];
      n += FIELD + 2 * VARINT_FIELD + addressBound(m.target) + typedValueBound(m.argument) + stringBound(m.cancellationToken);
    }
  }
  const egresses = r.outgoingEgresses;
  if (egresses != null) {
    for (let j = 0; j < egresses.length; j++) {
      const m = egresses[j];
      n += FIELD + stringBound(m.egressNamespace) + stringBound(m.egressType) + typedValueBound(m.argument);
    }
  }
  return n;
}

function incompleteBound(c: ReplyIncompleteInvocationContext): number {
  let n = FIELD + 1;
  const specs = c.missingValues;
  if (specs != null) {
    for (let j = 0; j < specs.length; j++) {
      const m = specs[j];
      n += 2 * FIELD + 2 * VARINT_FIELD + stringBound(m.stateName) + stringBound(m.typeTypename);
    }
  }
  return n;
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Puts an unsigned 32-bit varint in front of what is written. */
function putVarint(n: number): void {
  if (n < 0x80) {
    dst[--at] = n;
    return;
  }
  let p = (at -= varintSize(n));
  while (n > 0x7f) {
    dst[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  dst[p] = n;
}

/** Puts the 64-bit varint of `lo` and `hi` (unsigned 32-bit halves). */
function putVarint64(lo: number, hi: number): void {
  if (hi === 0) {
    putVarint(lo);
    return;
  }
  let p = (at -= Math.ceil((64 - Math.clz32(hi)) / 7));
  while (hi !== 0) {
    dst[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    dst[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  dst[p] = lo;
}

/**
 * An int64 number as protobufjs converts it to 64 bits: the magnitude's low 32 bits and the
 * next 32 (a fraction truncated, anything beyond 2^64 wrapped, NaN and ±Infinity giving 0),
 * negated in two's complement for a negative value.
 */
function putInt64(v: number): void {
  const neg = v < 0;
  const a = neg ? -v : v;
  let lo = a >>> 0;
  let hi = ((a - lo) / 4294967296) >>> 0;
  if (neg) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (lo === 0xffffffff) {
      lo = 0;
      hi = (hi + 1) >>> 0;
    } else {
      lo += 1;
    }
  }
  putVarint64(lo, hi);
}

/** An int32 (enum) as protobufjs writes it: ToInt32, sign-extended to 10 bytes when negative. */
function putInt32(v: number): void {
  const x = v | 0;
  if (x >= 0) putVarint(x);
  else putVarint64(x >>> 0, 0xffffffff);
}

/** Puts a string's UTF-8 bytes and their length; a lone surrogate becomes U+FFFD. */
function putString(s: string): void {
  const end = at;
  const n = s.length;
  if (n <= JS_STRING) {
    let p = end;
    let i = n - 1;
    for (; i >= 0; i--) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      dst[--p] = c;
    }
    if (i < 0) {
      at = p;
      putVarint(n);
      return;
    }
    if (!sizedAsAscii) {
      at = p;
      putUtf8Head(s, i);
      putVarint(end - at);
      return;
    }
  } else if (!sizedAsAscii) {
    // Long: Buffer measures and writes it (lone surrogates as U+FFFD too).
    const len = Buffer.byteLength(s, "utf8");
    at = end - len;
    dst.write(s, at, len, "utf8");
    putVarint(len);
    return;
  } else if (Buffer.byteLength(s, "utf8") === n) {
    at = end - n;
    dst.write(s, at, n, "latin1"); // ASCII
    putVarint(n);
    return;
  }
  // The buffer was sized for ASCII and this string is not: finish the pass as if it were
  // (staying in bounds); encodeFromFunction then writes the message into a bounded buffer.
  notAscii = true;
  at = end - n;
  putVarint(n);
}

/**
 * Puts `s[0..i]` as UTF-8, written backwards: a surrogate pair as one 4-byte code point, a
 * lone surrogate as U+FFFD (EF BF BD), exactly as Buffer and `toWellFormed()` encode them.
 */
function putUtf8Head(s: string, i: number): void {
  let p = at;
  for (; i >= 0; i--) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      dst[--p] = c;
      continue;
    }
    if (c < 0x800) {
      dst[--p] = 0x80 | (c & 0x3f);
      dst[--p] = 0xc0 | (c >> 6);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // Backwards, a low surrogate pairs with the high one before it.
      const high = i > 0 ? s.charCodeAt(i - 1) : 0;
      if (c >= 0xdc00 && high >= 0xd800 && high < 0xdc00) {
        const cp = 0x10000 + ((high - 0xd800) << 10) + (c - 0xdc00);
        dst[--p] = 0x80 | (cp & 0x3f);
        dst[--p] = 0x80 | ((cp >> 6) & 0x3f);
        dst[--p] = 0x80 | ((cp >> 12) & 0x3f);
        dst[--p] = 0xf0 | (cp >> 18);
        i--;
        continue;
      }
      c = 0xfffd;
    }
    dst[--p] = 0x80 | (c & 0x3f);
    dst[--p] = 0x80 | ((c >> 6) & 0x3f);
    dst[--p] = 0xe0 | (c >> 12);
  }
  at = p;
}

function putBytes(b: Uint8Array): void {
  const n = b.length;
  at -= n;
  if (n <= 16) {
    for (let i = 0; i < n; i++) dst[at + i] = b[i];
  } else {
    dst.set(b, at);
  }
  putVarint(n);
}

// Each put* writes a message's fields (highest field number first), without its own length
// prefix or tag, which the caller adds: `const end = at; putX(x); putVarint(end - at); tag`.

function putAddress(a: ReplyAddress): void {
  if (a.id != null && a.id !== "") {
    putString(a.id);
    dst[--at] = 0x1a;
  }
  if (a.type != null && a.type !== "") {
    putString(a.type);
    dst[--at] = 0x12;
  }
  if (a.namespace != null && a.namespace !== "") {
    putString(a.namespace);
    dst[--at] = 0x0a;
  }
}

function putTypedValue(v: ReplyTypedValue): void {
  const value = v.value;
  if (value != null && value.length) {
    putBytes(value);
    dst[--at] = 0x1a;
  }
  if (v.hasValue != null && v.hasValue !== false) {
    dst[--at] = v.hasValue ? 1 : 0;
    dst[--at] = 0x10;
  }
  if (v.typename != null && v.typename !== "") {
    putString(v.typename);
    dst[--at] = 0x0a;
  }
}

function putAddressField(a: ReplyAddress, tag: number): void {
  const end = at;
  putAddress(a);
  putVarint(end - at);
  dst[--at] = tag;
}

function putTypedValueField(v: ReplyTypedValue, tag: number): void {
  const end = at;
  putTypedValue(v);
  putVarint(end - at);
  dst[--at] = tag;
}

function putStateMutation(m: ReplyStateMutation): void {
  if (m.stateValue != null) putTypedValueField(m.stateValue, 0x1a);
  if (m.stateName != null && m.stateName !== "") {
    putString(m.stateName);
    dst[--at] = 0x12;
  }
  if (m.mutationType != null && m.mutationType !== 0) {
    putInt32(m.mutationType);
    dst[--at] = 0x08;
  }
}

function putOutgoingMessage(m: ReplyOutgoingMessage): void {
  if (m.argument != null) putTypedValueField(m.argument, 0x12);
  if (m.target != null) putAddressField(m.target, 0x0a);
}

function putDelayedInvocation(m: ReplyDelayedInvocation): void {
  if (m.cancellationToken != null && m.cancellationToken !== "") {
    putString(m.cancellationToken);
    dst[--at] = 0x5a;
  }
  if (m.isCancellationRequest != null && m.isCancellationRequest !== false) {
    dst[--at] = m.isCancellationRequest ? 1 : 0;
    dst[--at] = 0x50;
  }
  if (m.argument != null) putTypedValueField(m.argument, 0x1a);
  if (m.target != null) putAddressField(m.target, 0x12);
  if (m.delayInMs != null && m.delayInMs !== 0) {
    putInt64(m.delayInMs);
    dst[--at] = 0x08;
  }
}

function putEgressMessage(m: ReplyEgressMessage): void {
  if (m.argument != null) putTypedValueField(m.argument, 0x1a);
  if (m.egressType != null && m.egressType !== "") {
    putString(m.egressType);
    dst[--at] = 0x12;
  }
  if (m.egressNamespace != null && m.egressNamespace !== "") {
    putString(m.egressNamespace);
    dst[--at] = 0x0a;
  }
}

function putInvocationResponse(r: ReplyInvocationResponse): void {
  // Repeated fields back to front too, so their elements come out in order.
  const egresses = r.outgoingEgresses;
  if (egresses != null) {
    for (let j = egresses.length - 1; j >= 0; j--) {
      const end = at;
      putEgressMessage(egresses[j]);
      putVarint(end - at);
      dst[--at] = 0x22;
    }
  }
  const delayed = r.delayedInvocations;
  if (delayed != null) {
    for (let j = delayed.length - 1; j >= 0; j--) {
      const end = at;
      putDelayedInvocation(delayed[j]);
      putVarint(end - at);
      dst[--at] = 0x1a;
    }
  }
  const messages = r.outgoingMessages;
  if (messages != null) {
    for (let j = messages.length - 1; j >= 0; j--) {
      const end = at;
      putOutgoingMessage(messages[j]);
      putVarint(end - at);
      dst[--at] = 0x12;
    }
  }
  const mutations = r.stateMutations;
  if (mutations != null) {
    for (let j = mutations.length - 1; j >= 0; j--) {
      const end = at;
      putStateMutation(mutations[j]);
      putVarint(end - at);
      dst[--at] = 0x0a;
    }
  }
}

function putPersistedValueSpec(m: ReplyPersistedValueSpec): void {
  if (m.typeTypename != null && m.typeTypename !== "") {
    putString(m.typeTypename);
    dst[--at] = 0x1a;
  }
  const spec = m.expirationSpec;
  if (spec != null) {
    const end = at;
    if (spec.expireAfterMillis != null && spec.expireAfterMillis !== 0) {
      putInt64(spec.expireAfterMillis);
      dst[--at] = 0x10;
    }
    if (spec.mode != null && spec.mode !== 0) {
      putInt32(spec.mode);
      dst[--at] = 0x08;
    }
    putVarint(end - at);
    dst[--at] = 0x12;
  }
  if (m.stateName != null && m.stateName !== "") {
    putString(m.stateName);
    dst[--at] = 0x0a;
  }
}

function putFromFunction(m: ReplyFromFunction): void {
  const incomplete = m.incompleteInvocationContext;
  if (incomplete != null) {
    const end = at;
    const specs = incomplete.missingValues;
    if (specs != null) {
      for (let j = specs.length - 1; j >= 0; j--) {
        const e = at;
        putPersistedValueSpec(specs[j]);
        putVarint(e - at);
        dst[--at] = 0x0a;
      }
    }
    putVarint(end - at);
    dst[--at] = 0x06; // field 101, length-delimited: the varint aa 06
    dst[--at] = 0xaa;
  }
  const result = m.invocationResult;
  if (result != null) {
    const end = at;
    putInvocationResponse(result);
    putVarint(end - at);
    dst[--at] = 0x06; // field 100: a2 06
    dst[--at] = 0xa2;
  }
}

/** Above this much unused room, a reply is copied out so the slack is not kept alive. */
const MAX_SLACK = 64 * 1024;

/** Writes `message` into a new buffer of `size` bytes, back to front; returns the start. */
function write(message: ReplyFromFunction, size: number, ascii: boolean): Buffer {
  const out = Buffer.allocUnsafe(size);
  dst = out;
  at = size;
  sizedAsAscii = ascii;
  notAscii = false;
  try {
    putFromFunction(message);
  } finally {
    dst = EMPTY;
  }
  return out;
}

/**
 * After a reply with a non-ASCII string, the next replies are written into a bounded buffer
 * straight away: a function whose ids or names are not ASCII would otherwise write each reply
 * twice. Then ASCII sizing is tried again.
 */
const BOUNDED_REPLIES = 32;
let boundedLeft = 0;

/**
 * Encodes a reply body: a drop-in for `encodeFromFunction` in `./codec`, writing the same bytes
 * protobufjs (with the SDK's WellFormedWriter) writes for the objects the request path builds.
 *
 * The result is a buffer of exactly the reply's size when all its strings are ASCII; otherwise
 * it may be a view of a slightly larger allocation (as protobufjs' shared `finish()` result
 * is), and the slack is dropped by a copy when it exceeds 64 KiB.
 */
export function encodeFromFunction(message: ReplyFromFunction): Buffer {
  if (boundedLeft === 0) {
    const size = asciiSize(message);
    const out = write(message, size, true);
    if (!notAscii) {
      // allocUnsafe memory is not zeroed: never hand out bytes the writer did not fill.
      if (at !== 0) throw new Error(`FromFunction encoder: wrote ${size - at} of ${size} bytes`);
      return out;
    }
    boundedLeft = BOUNDED_REPLIES;
  } else {
    boundedLeft--;
  }
  let bound = 0;
  if (message.invocationResult != null) bound += 1 + responseBound(message.invocationResult);
  if (message.incompleteInvocationContext != null) bound += 1 + incompleteBound(message.incompleteInvocationContext);
  const wide = write(message, bound, false);
  const start = at;
  // A bound too small would have dropped writes (typed arrays ignore them).
  if (start < 0) throw new Error(`FromFunction encoder: the message needs more than its ${bound}-byte bound`);
  if (start === 0) return wide;
  if (start > MAX_SLACK && start > bound - start) return Buffer.from(wide.subarray(start));
  return new View(wide.buffer, wide.byteOffset + start, bound - start);
}
