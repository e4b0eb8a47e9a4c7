/**
 * `ctx.storage`: the address-scoped state of one batch.
 *
 * The invariant (PROTOCOL.md): at the start of every invocation each state reads exactly what
 * the cluster would deliver if a new batch began there, the decoding of the bytes its value
 * encodes to. Whatever the batching, a function then computes the same thing.
 *
 * - Built-in types hold immutable values, normalized at the write to what their bytes decode to
 *   (see `PrimitiveType.normalize`), so a decoded or assigned value stays exact for the whole
 *   batch and is encoded once, at the end.
 * - User types (JSON, protobuf, custom) hold objects that may be edited in place. Within one
 *   invocation every read returns the same object. Between two invocations of a batch, each
 *   such state the first one touched is encoded, and the next one that reads it gets a fresh
 *   decoding of those bytes. A batch of one invocation does no extra work.
 *
 * Writes are recorded, not sent: at the end of the batch each state yields at most one
 * mutation with its final value. A state that was only read yields one when its value now
 * encodes differently from the stored value (an in-place edit).
 */
import type { Address } from "../base/address";
import { serializationErrorIn, StateAccessError, TypeMismatchError, type SerializationError } from "../base/errors";
import { didYouMean } from "../base/suggest";
import { listOf, quote } from "../base/text";
import { PrimitiveType } from "../serde/primitives";
import { MutationType, typedValue, typedValueBytes, type WireStateMutation, type WireTypedValue } from "../wire/codec";
import type { ValueSpec } from "./value-spec";

/** A function's states as the storage needs them. */
export interface StorageLayout {
  readonly valueSpecs: readonly ValueSpec[];
  /** Index of each state in `valueSpecs`, by name. */
  readonly stateIndex: ReadonlyMap<string, number>;
  /** The proxy handler built for these states by {@link createStorageHandler}. */
  readonly storageHandler: StorageHandler;
}

const UNTOUCHED = 0;
const READ = 1;
const SET = 2;
const DELETED = 3;

/** `StateCell.epoch` of a value that stays valid across invocations (immutable, or none). */
const ALWAYS = -1;
/** `StateCell.epoch` of a user-type value that must be decoded again from `bytes` when read. */
const STALE = -2;

class StateCell {
  /** What the batch did to the state so far. */
  status = UNTOUCHED;
  /** The value the function sees; valid while `epoch` is the storage's or ALWAYS. */
  value: unknown = null;
  /** The invocation `value` belongs to (see ALWAYS, STALE). */
  epoch = ALWAYS;
  /**
   * User types: the bytes of the state's value as of the last invocation boundary (those the
   * value was decoded from, or encoded to); null when not known yet or the state has no value.
   * Built-in types: unused (encoded once, at the end).
   */
  bytes: Buffer | null = null;
  /** User types: how this value encoding of the stored value, when it was computed. */
  canonical: Buffer | null = null;
  readonly primitive: boolean;

  constructor(
    readonly spec: ValueSpec,
    /** The stored value as received; null when the state has no value. */
    readonly stored: WireTypedValue | null,
  ) {
    this.primitive = spec.type instanceof PrimitiveType;
  }
}

/** The proxy target: one batch's cells and the invocation running. */
class StorageTarget {
  /** Counts invocations; a user-type value decoded or assigned in an earlier one is stale. */
  epoch = 0;
  /** User-type cells the current invocation read or wrote. */
  readonly touched: StateCell[] = [];

  constructor(
    readonly cells: StateCell[],
    readonly address: Address,
  ) {}
}

/** A proxy handler bound to one function's declared states. */
export type StorageHandler = ProxyHandler<StorageTarget>;

function where(cell: StateCell, address: Address): string {
  return `state "${cell.spec.name}" of ${address}`;
}

function isMutable(value: unknown): value is object {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** A codec failure, re-raised with the state and address it concerns. */
function stateError(cell: StateCell, address: Address, e: unknown): SerializationError {
  return serializationErrorIn(where(cell, address), e);
}

function decode(cell: StateCell, address: Address, bytes: Buffer): unknown {
  try {
    return cell.spec.type.deserialize(bytes);
  } catch (e) {
    throw stateError(cell, address, e);
  }
}

function encode(cell: StateCell, address: Address, value: unknown): Buffer {
  try {
    return cell.spec.type.serialize(value);
  } catch (e) {
    throw stateError(cell, address, e);
  }
}

/**
 * The bytes of a user-type value that was read (and may have been edited in place). When it
 * cannot be encoded but equals a fresh decoding of the bytes it came from, it was not edited:
 * a state that is only read never fails the batch (a JSON document nested too deeply for
 * `JSON.stringify`, say).
 */
function encodeRead(cell: StateCell, address: Address, from: Buffer): Buffer {
  try {
    return cell.spec.type.serialize(cell.value);
  } catch (e) {
    if (structurallyEqual(cell.value, decode(cell, address, from))) return from;
    throw stateError(cell, address, e);
  }
}

function storedValue(cell: StateCell, address: Address): WireTypedValue | null {
  const stored = cell.stored;
  if (stored === null || !stored.hasValue) return null;
  if (stored.typename !== cell.spec.type.typename) {
    throw new TypeMismatchError(
      `${where(cell, address)} is declared as ${cell.spec.type.typename} but the cluster holds a ` +
        `${stored.typename} value: a state's type cannot change while the cluster keeps it; declare a new ` +
        `state name for the new type (or restart the cluster from a fresh state)`,
    );
  }
  return stored;
}

function read(cell: StateCell, target: StorageTarget): unknown {
  if (cell.epoch === ALWAYS || cell.epoch === target.epoch) {
    if (cell.status !== UNTOUCHED) return cell.value;
  }
  const address = target.address;
  if (cell.status === UNTOUCHED) {
    cell.status = READ;
    const stored = storedValue(cell, address);
    if (stored === null) return (cell.value = null);
    const bytes = typedValueBytes(stored);
    const value = decode(cell, address, bytes);
    cell.value = value;
    if (cell.primitive || !isMutable(value)) return value;
    cell.bytes = bytes;
    // A state that its function tends to edit in place is encoded now, while it is certainly
    // unedited: the end of the batch then tells an edit from another SDK's formatting of the
    // same value without decoding and encoding the stored bytes again.
    if (cell.spec.editedInPlace) cell.canonical = tryEncode(cell, value);
  } else {
    // A user-type state after an invocation boundary: what the cluster would deliver now.
    cell.value = cell.bytes === null ? null : decode(cell, address, cell.bytes);
  }
  cell.epoch = target.epoch;
  if (isMutable(cell.value)) target.touched.push(cell);
  return cell.value;
}

function tryEncode(cell: StateCell, value: unknown): Buffer | null {
  try {
    return cell.spec.type.serialize(value);
  } catch {
    return null;
  }
}

function write(cell: StateCell, target: StorageTarget, value: unknown): void {
  if (value === null || value === undefined) {
    cell.status = DELETED;
    cell.value = null;
    cell.bytes = null;
    cell.epoch = ALWAYS;
    return;
  }
  const type = cell.spec.type;
  if (type instanceof PrimitiveType) {
    try {
      cell.value = type.normalize(value);
    } catch (e) {
      throw stateError(cell, target.address, e);
    }
    cell.status = SET;
    cell.epoch = ALWAYS;
    return;
  }
  // An object may still be edited after the assignment, so it is encoded at the boundary; any
  // other value is encoded now, so a bad one fails where it was written.
  cell.bytes = isMutable(value) ? null : encode(cell, target.address, value);
  cell.status = SET;
  cell.value = value;
  cell.epoch = target.epoch;
  target.touched.push(cell);
}

/** The bytes of a user-type cell's value now (its current invocation's value, or as of the last boundary). */
function currentBytes(cell: StateCell, target: StorageTarget): Buffer | null {
  if (cell.epoch !== target.epoch || !isMutable(cell.value)) return cell.bytes;
  if (cell.status === SET) return encode(cell, target.address, cell.value);
  return encodeRead(cell, target.address, cell.bytes as Buffer);
}

/** Builds the proxy handler for a function; the declared names are fixed at bind time. */
export function createStorageHandler(fn: Pick<StorageLayout, "valueSpecs" | "stateIndex">): StorageHandler {
  const index = fn.stateIndex;
  const names = fn.valueSpecs.map((s) => s.name);
  const declared = names.length === 0 ? "it declares no states" : `declared: ${listOf(names)}`;

  const undeclared = (target: StorageTarget, key: string, verb: string): StateAccessError => {
    const suggestion = didYouMean(key, names);
    return new StateAccessError(
      `function ${target.address} ${verb} state ${quote(key)}, which it does not declare (${declared})${suggestion}` +
        `${suggestion ? " Or" : ";"} add { name: ${quote(key)}, type: ... } to the specs passed to bind()`,
    );
  };
  const cellOf = (target: StorageTarget, key: string | symbol): StateCell | undefined => {
    if (typeof key !== "string") return undefined;
    const i = index.get(key);
    return i === undefined ? undefined : target.cells[i];
  };

  return {
    get(target, key) {
      const cell = cellOf(target, key);
      if (cell !== undefined) return read(cell, target);
      // Let generic code probe the object (await, JSON.stringify, util.inspect, Object methods).
      if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
      if (key in Object.prototype) return (Object.prototype as Record<string, unknown>)[key];
      throw undeclared(target, key, "reads");
    },
    set(target, key, value) {
      const cell = cellOf(target, key);
      if (cell === undefined) throw undeclared(target, String(key), "writes");
      write(cell, target, value);
      return true;
    },
    deleteProperty(target, key) {
      const cell = cellOf(target, key);
      if (cell === undefined) throw undeclared(target, String(key), "deletes");
      write(cell, target, null);
      return true;
    },
    has(_target, key) {
      return typeof key === "string" && index.has(key);
    },
    ownKeys() {
      return names;
    },
    getOwnPropertyDescriptor(target, key) {
      const cell = cellOf(target, key);
      if (cell === undefined) return undefined;
      return { value: read(cell, target), writable: true, enumerable: true, configurable: true };
    },
    defineProperty(target, key) {
      throw undeclared(target, String(key), "defines");
    },
  };
}

/** One batch's storage: the `ctx.storage` object and the mutations it yields at the end. */
export class AddressScopedStorage {
  readonly #target: StorageTarget;
  /** The object functions see as `ctx.storage`. */
  readonly proxy: object;

  /**
   * @param stored - the received value of each declared state, in declaration order (null: none)
   */
  constructor(fn: StorageLayout, address: Address, stored: (WireTypedValue | null)[]) {
    const specs = fn.valueSpecs;
    const cells = new Array<StateCell>(specs.length);
    for (let i = 0; i < specs.length; i++) cells[i] = new StateCell(specs[i], stored[i]);
    this.#target = new StorageTarget(cells, address);
    this.proxy = new Proxy(this.#target, fn.storageHandler);
  }

  /**
   * Ends one invocation before the next of the batch: every user-type state it touched is
   * encoded, and read again as a fresh decoding. Throws a {@link SerializationError} when a
   * value cannot be encoded.
   */
  nextInvocation(): void {
    const target = this.#target;
    const touched = target.touched;
    for (let i = 0; i < touched.length; i++) {
      const cell = touched[i];
      if (cell.epoch !== target.epoch) continue; // cleared since, or listed twice
      cell.bytes = currentBytes(cell, target);
      cell.epoch = STALE;
    }
    touched.length = 0;
    target.epoch++;
  }

  /**
   * The state mutations of the batch, in declaration order: one per changed state, final value
   * only. Throws a {@link SerializationError} when a value cannot be encoded.
   */
  mutations(): WireStateMutation[] {
    const target = this.#target;
    const out: WireStateMutation[] = [];
    for (const cell of target.cells) {
      const name = cell.spec.name;
      const typename = cell.spec.type.typename;
      if (cell.status === DELETED) {
        out.push({ stateName: name });
      } else if (cell.status === SET) {
        const bytes = cell.primitive ? encode(cell, target.address, cell.value) : (currentBytes(cell, target) as Buffer);
        out.push(modify(name, typename, bytes));
      } else if (cell.status === READ && cell.bytes !== null) {
        const bytes = currentBytes(cell, target) as Buffer;
        const edited = editedInPlace(cell, target.address, bytes);
        cell.spec.editedInPlace = edited;
        if (edited) out.push(modify(name, typename, bytes));
      }
    }
    return out;
  }
}

function modify(stateName: string, typename: string, bytes: Buffer): WireStateMutation {
  return { mutationType: MutationType.MODIFY, stateName, stateValue: typedValue(typename, bytes) };
}

/**
 * Whether a state that was only read now encodes differently from what was stored. Another SDK
 * may have written the same value with other bytes (JSON spacing, key order, a protobuf field
 * order), so a difference counts only against this SDK's encoding of the stored value.
 */
function editedInPlace(cell: StateCell, address: Address, bytes: Buffer): boolean {
  const stored = typedValueBytes(cell.stored as WireTypedValue);
  if (bytes.equals(stored)) return false;
  const canonical = cell.canonical ?? tryEncode(cell, decode(cell, address, stored));
  // A stored value this SDK cannot encode differs from one it just encoded.
  return canonical === null || !bytes.equals(canonical);
}

/**
 * Deep structural equality without recursion (so any depth a decoder produced is fine):
 * same prototypes, same own enumerable keys in the same order, equal leaves (NaN equals NaN).
 * Used only to tell that a value that cannot be encoded was not edited; any doubt is "not
 * equal", which fails the batch with the encoding error rather than dropping an edit.
 */
export function structurallyEqual(a: unknown, b: unknown): boolean {
  const pending: unknown[] = [a, b];
  const seen = new Map<object, object>();
  while (pending.length > 0) {
    const y = pending.pop();
    const x = pending.pop();
    if (x === y || (x !== x && y !== y)) continue;
    if (!isMutable(x) || !isMutable(y) || typeof x === "function" || typeof y === "function") return false;
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
    const pair = seen.get(x);
    if (pair !== undefined) {
      if (pair !== y) return false;
      continue;
    }
    seen.set(x, y);
    if (ArrayBuffer.isView(x)) {
      const xb = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      const yv = y as ArrayBufferView;
      if (!xb.equals(Buffer.from(yv.buffer, yv.byteOffset, yv.byteLength))) return false;
      continue;
    }
    if (x instanceof Date) {
      if (x.getTime() !== (y as Date).getTime()) return false;
      continue;
    }
    if (x instanceof Map || x instanceof Set) {
      const xs = [...(x as Map<unknown, unknown>)];
      const ys = [...(y as Map<unknown, unknown>)];
      if (xs.length !== ys.length) return false;
      pending.push(xs, ys);
      continue;
    }
    const xk = Object.keys(x);
    const yk = Object.keys(y);
    if (xk.length !== yk.length) return false;
    for (let i = 0; i < xk.length; i++) {
      if (xk[i] !== yk[i]) return false;
      pending.push((x as Record<string, unknown>)[xk[i]], (y as Record<string, unknown>)[yk[i]]);
    }
  }
  return true;
}
