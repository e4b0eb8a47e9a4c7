/** JSON types: UTF-8 JSON text under a user typename, optionally checked against a JSON Schema. */
import type { default as Ajv, SchemaObject, ValidateFunction } from "ajv";
import { ConfigurationError, SerializationError } from "../base/errors";
import { describe, quote } from "../base/text";
import { encodeError, Type } from "./type";

/** Options of a JSON type. */
export interface JsonTypeOptions {
  /**
   * A JSON Schema every value must satisfy, checked when a value is encoded and when one is
   * decoded (values are checked as given: store plain JSON data). Compiled once, by ajv in
   * strict mode.
   */
  schema?: SchemaObject;
}

let schemaCompiler: Ajv | undefined;

function compileSchema(typename: string, schema: SchemaObject): ValidateFunction {
  if (schemaCompiler === undefined) {
    // Loaded on first use: most applications declare no schema, and ajv takes ~25 ms to load.
    const { default: AjvClass } = require("ajv") as typeof import("ajv");
    schemaCompiler = new AjvClass({ strict: true });
  }
  try {
    return schemaCompiler.compile(schema);
  } catch (e) {
    throw new ConfigurationError(`jsonType(${quote(typename)}): the schema is not valid: ${(e as Error).message}`);
  }
}

/** What the first failed rule says: where in the value, what it must be, and which rule. */
function schemaProblem(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (error === undefined) return "it does not satisfy the schema";
  const where = error.instancePath === "" ? "the value" : `the value at ${error.instancePath}`;
  return `${where} ${error.message ?? "is invalid"} (schema rule ${JSON.stringify(error.keyword)} at ${error.schemaPath})`;
}

/** A user type whose values are UTF-8 JSON text, checked against a JSON Schema when given one. */
export class JsonType<T> extends Type<T> {
  readonly #validate: ValidateFunction | undefined;

  /** @throws {@link ConfigurationError} when `options.schema` is not a valid JSON Schema */
  constructor(typename: string, options: JsonTypeOptions = {}) {
    super(typename);
    this.#validate = options.schema === undefined ? undefined : compileSchema(typename, options.schema);
  }
  serialize(value: T): Buffer {
    const validate = this.#validate;
    if (validate !== undefined && !validate(value)) {
      throw new SerializationError(`${this.typename} cannot encode ${describe(value)}: ${schemaProblem(validate)}`);
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw encodeError(this, value, `JSON.stringify failed (${(e as Error).message})`, "store plain JSON data");
    }
    if (text === undefined) {
      throw encodeError(this, value, "it has no JSON form", "store plain JSON data");
    }
    return Buffer.from(text, "utf8");
  }
  deserialize(bytes: Buffer): T {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      throw new SerializationError(
        `${this.typename}: the ${bytes.length} bytes are not JSON (${(e as Error).message}); ` +
          `check that the sender encodes this typename as UTF-8 JSON`,
      );
    }
    const validate = this.#validate;
    if (validate !== undefined && !validate(value)) {
      throw new SerializationError(`${this.typename}: a received value does not satisfy the schema: ${schemaProblem(validate)}`);
    }
    return value as T;
  }
}
