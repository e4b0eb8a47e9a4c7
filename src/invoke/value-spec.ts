/** A function's state declaration, validated: what the cluster is asked to register for it. */
import { validateStateTypeName } from "../base/address";
import { ConfigurationError } from "../base/errors";
import { describe, quote } from "../base/text";
import { isType, type Type } from "../serde/type";
import { ExpireMode, type WirePersistedValueSpec } from "../wire/codec";

/** What a state declaration holds once read from any of `bind`'s forms. */
export interface StateSpecInput {
  readonly name: string;
  readonly type: Type<unknown>;
  readonly expireAfterCall?: number;
  readonly expireAfterWrite?: number;
}

const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A validated state declaration. */
export class ValueSpec {
  /** The spec the cluster is asked to register when this state is missing from a request. */
  readonly wireSpec: WirePersistedValueSpec;
  /**
   * Whether the last batch that only read this state had edited it in place: a hint that makes
   * the storage encode such a value at its first read (see storage.ts). It decides only how the
   * storage finds an edit, never what it finds.
   */
  editedInPlace = false;

  private constructor(
    readonly name: string,
    readonly type: Type<unknown>,
    readonly expireAfterCall: number | undefined,
    readonly expireAfterWrite: number | undefined,
  ) {
    const ttl =
      expireAfterWrite !== undefined
        ? { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: expireAfterWrite }
        : expireAfterCall !== undefined
          ? { mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: expireAfterCall }
          : undefined;
    this.wireSpec = { stateName: name, typeTypename: type.typename, ...(ttl ? { expirationSpec: ttl } : {}) };
  }

  /** @throws {@link ConfigurationError} naming the function and the state. */
  static fromInput(input: StateSpecInput, functionType: string): ValueSpec {
    const where = `function ${functionType}`;
    if (input === null || typeof input !== "object") {
      throw new ConfigurationError(`${where}: a state spec must be { name, type }, got ${describe(input)}`);
    }
    const { name, type, expireAfterCall, expireAfterWrite } = input;
    if (typeof name !== "string" || !STATE_NAME.test(name)) {
      throw new ConfigurationError(
        `${where}: state name ${describe(name)} is invalid; use a letter or "_" followed by letters, digits ` +
          `or "_" (e.g. "visits", "cart_v2")`,
      );
    }
    if (!isType(type)) {
      throw new ConfigurationError(`${where}: state ${quote(name)} needs a type such as StateFun.intType(), got ${describe(type)}`);
    }
    validateStateTypeName(type.typename, `${where}, state "${name}"`);
    const ttl = (value: number | undefined, field: string): number | undefined => {
      if (value === undefined || value === null) return undefined;
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new ConfigurationError(
          `${where}: state "${name}" ${field} must be a positive whole number of milliseconds, got ${describe(value)}`,
        );
      }
      return value;
    };
    const afterCall = ttl(expireAfterCall, "expireAfterCall");
    const afterWrite = ttl(expireAfterWrite, "expireAfterWrite");
    if (afterCall !== undefined && afterWrite !== undefined) {
      throw new ConfigurationError(
        `${where}: state "${name}" sets both expireAfterCall and expireAfterWrite; a state has one TTL mode`,
      );
    }
    return new ValueSpec(name, type, afterCall, afterWrite);
  }
}
