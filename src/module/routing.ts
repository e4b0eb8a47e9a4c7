import { parseTypeName } from "../base/address";
import { InvalidArgumentError } from "../base/errors";
import type { EndpointComponent, StateFunModule } from "./model";

/**
 * Why `typename` is not one the cluster accepts (it splits at `/` and wants exactly two
 * non-empty parts), as a clause; `undefined` when it is fine.
 */
export function typenameFault(typename: string): string | undefined {
  let namespace: string;
  try {
    ({ namespace } = parseTypeName(typename));
  } catch {
    return typename.includes("/") ? "its namespace or name is empty" : 'it has no "/"';
  }
  return namespace.includes("/") ? 'it has more than one "/"' : undefined;
}

/** Why `pattern` is not `<namespace>/<name>` or `<namespace>/*`, as a clause; `undefined` when it is fine. */
export function functionPatternFault(pattern: string): string | undefined {
  const fault = typenameFault(pattern);
  if (fault) return fault;
  const { namespace, name } = parseTypeName(pattern);
  if (namespace.includes("*")) return "a namespace cannot contain *";
  if (name !== "*" && name.includes("*")) return "* must be the whole name";
  return undefined;
}

/**
 * Whether an endpoint's `functions` pattern covers a function type: `example/*` covers every
 * type of namespace `example`, `example/greeter` only itself.
 * @throws {@link InvalidArgumentError} when the pattern or the function type is malformed.
 */
export function matchesFunctionPattern(pattern: string, functionType: string): boolean {
  const patternFault = functionPatternFault(pattern);
  if (patternFault) {
    throw new InvalidArgumentError(`${JSON.stringify(pattern)} is not a function pattern: ${patternFault}; write <namespace>/<name> or <namespace>/*`);
  }
  const typeFault = typenameFault(functionType);
  if (typeFault) throw new InvalidArgumentError(`${JSON.stringify(functionType)} is not a function type: ${typeFault}; write <namespace>/<name>`);
  const wanted = parseTypeName(pattern);
  const type = parseTypeName(functionType);
  return wanted.namespace === type.namespace && (wanted.name === "*" || wanted.name === type.name);
}

/**
 * The endpoint the cluster sends `functionType` to: one naming it exactly wins over a
 * `<namespace>/*` one, as in the cluster; `undefined` when none covers it.
 * @throws {@link InvalidArgumentError} when the function type is malformed.
 */
export function endpointFor(module: StateFunModule, functionType: string): EndpointComponent | undefined {
  const covering = module.endpoints.filter((endpoint) => matchesFunctionPattern(endpoint.functions, functionType));
  return covering.find((endpoint) => endpoint.functions === functionType) ?? covering[0];
}

/**
 * The URL the cluster posts `functionType`'s batches to: the endpoint's `urlPathTemplate` with
 * every `{function.name}` replaced by the type's name.
 * @throws {@link InvalidArgumentError} when the function type is malformed.
 */
export function endpointUrl(endpoint: EndpointComponent, functionType: string): string {
  return endpoint.urlPathTemplate.replaceAll("{function.name}", parseTypeName(functionType).name);
}
