/**
 * `ctx.storage`: the address-scoped state of one batch.
 *
 * Each declared state is a cell. A stored value is decoded at most once per batch, on first
 * read. Writes are recorded, not sent: at the end of the batch each cell yields at most one
 * mutation with its final value. Object values (JSON, protobuf messages, buffers) may be edited
 * in place, so they are encoded at the end of the batch, and a read-only object is saved when
 * its bytes changed.
 */
import type { Address } from "./address";
import { serializationErrorIn, StateAccessError, TypeMismatchError, type SerializationError } from "./errors";
import type { FunctionSpec, ValueSpec } from "./spec";
import { PrimitiveType } from "./types";
import { MutationType, typedValue, typedValueBytes, type WireStateMutation, type WireTypedValue } from "./wire/codec";

const UNTOUCHED = 0;
const READ = 1;
const SET = 2;
const DELETED = 3;

class StateCell {
  status = UNTOUCHED;
  value: unknown = null;
  /**
   * Bytes of a SET value of a user type, encoded at the write so a bad value fails where it was
   * written. Built-in types are checked at the write instead and encoded once, at the end.
   */
  bytes: Buffer | null = null;

  constructor(
    readonly spec: ValueSpec,
    /** The stored value as received; null when the state has no value. */
    readonly stored: WireTypedValue | null,
  ) {}
}

/** The proxy target: one batch's cells. */
class StorageTarget {
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

function decode(cell: StateCell, address: Address, stored: WireTypedValue): unknown {
  try {
    return cell.spec.type.deserialize(typedValueBytes(stored));
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

function read(cell: StateCell, address: Address): unknown {
  if (cell.status !== UNTOUCHED) return cell.value;
  const stored = cell.stored;
  if (stored !== null && stored.hasValue) {
    if (stored.typename !== cell.spec.type.typename) {
      throw new TypeMismatchError(
        `${where(cell, address)} is declared as ${cell.spec.type.typename} but the cluster holds a ` +
          `${stored.typename} value: a state's type cannot change while the cluster keeps it; declare a new ` +
          `state name for the new type (or restart the cluster from a fresh state)`,
      );
    }
    cell.value = decode(cell, address, stored);
  }
  cell.status = READ;
  return cell.value;
}

function write(cell: StateCell, address: Address, value: unknown): void {
  if (value === null || value === undefined) {
    cell.status = DELETED;
    cell.value = null;
    cell.bytes = null;
    return;
  }
  const type = cell.spec.type;
  if (type instanceof PrimitiveType) {
    try {
      type.check(value);
    } catch (e) {
      throw stateError(cell, address, e);
    }
    cell.bytes = null;
  } else {
    cell.bytes = isMutable(value) ? null : encode(cell, address, value);
  }
  cell.status = SET;
  cell.value = value;
}

/** Builds the proxy handler for a function; the declared names are fixed at bind time. */
export function createStorageHandler(fn: FunctionSpec): StorageHandler {
  const index = fn.stateIndex;
  const names = fn.valueSpecs.map((s) => s.name);
  const declared = names.length === 0 ? "it declares no states" : `declared: ${names.join(", ")}`;

  const undeclared = (target: StorageTarget, key: string, verb: string): StateAccessError =>
    new StateAccessError(
      `function ${target.address} ${verb} state "${key}", which it does not declare (${declared}); ` +
        `add { name: "${key}", type: ... } to the specs passed to bind()`,
    );
  const cellOf = (target: StorageTarget, key: string | symbol): StateCell | undefined => {
    if (typeof key !== "string") return undefined;
    const i = index.get(key);
    return i === undefined ? undefined : target.cells[i];
  };

  return {
    get(target, key) {
      const cell = cellOf(target, key);
      if (cell !== undefined) return read(cell, target.address);
      // Let generic code probe the object (await, JSON.stringify, util.inspect, Object methods).
      if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
      if (key in Object.prototype) return (Object.prototype as Record<string, unknown>)[key];
      throw undeclared(target, key, "reads");
    },
    set(target, key, value) {
      const cell = cellOf(target, key);
      if (cell === undefined) throw undeclared(target, String(key), "writes");
      write(cell, target.address, value);
      return true;
    },
    deleteProperty(target, key) {
      const cell = cellOf(target, key);
      if (cell === undefined) throw undeclared(target, String(key), "deletes");
      write(cell, target.address, null);
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
      return { value: read(cell, target.address), writable: true, enumerable: true, configurable: true };
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
  constructor(fn: FunctionSpec, address: Address, stored: (WireTypedValue | null)[]) {
    const specs = fn.valueSpecs;
    const cells = new Array<StateCell>(specs.length);
    for (let i = 0; i < specs.length; i++) cells[i] = new StateCell(specs[i], stored[i]);
    this.#target = new StorageTarget(cells, address);
    this.proxy = new Proxy(this.#target, fn.storageHandler);
  }

  /**
   * The state mutations of the batch, in declaration order: one per changed state, final value
   * only. Throws a {@link SerializationError} when a value cannot be encoded.
   */
  mutations(): WireStateMutation[] {
    const { cells, address } = this.#target;
    const out: WireStateMutation[] = [];
    for (const cell of cells) {
      const name = cell.spec.name;
      if (cell.status === DELETED) {
        out.push({ stateName: name });
      } else if (cell.status === SET) {
        const bytes = cell.bytes ?? encode(cell, address, cell.value);
        out.push(modify(name, cell.spec.type.typename, bytes));
      } else if (cell.status === READ && isMutable(cell.value)) {
        const bytes = encode(cell, address, cell.value);
        if (changedInPlace(cell, address, bytes)) out.push(modify(name, cell.spec.type.typename, bytes));
      }
    }
    return out;
  }
}

function modify(stateName: string, typename: string, bytes: Buffer): WireStateMutation {
  return { mutationType: MutationType.MODIFY, stateName, stateValue: typedValue(typename, bytes) };
}

/**
 * Whether a read object now encodes differently from what was stored. Another SDK may have
 * written the same value with other bytes (JSON spacing, key order), so a difference is
 * confirmed against a fresh decode-and-encode of the stored bytes before it counts as a write.
 */
function changedInPlace(cell: StateCell, address: Address, bytes: Buffer): boolean {
  const stored = typedValueBytes(cell.stored as WireTypedValue);
  if (bytes.equals(stored)) return false;
  const canonical = encode(cell, address, decode(cell, address, cell.stored as WireTypedValue));
  return !bytes.equals(canonical);
}
