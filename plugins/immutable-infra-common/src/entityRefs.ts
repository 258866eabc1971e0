import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';
import { paramString } from './lib/paramString';
import { quoteValue } from './lib/strings';
import { boundedString, REQUEST_LIMITS } from './validation';

// The catalog's own rules: a ref the catalog could never hold is refused
// before it reaches a query.
const catalogRules = makeValidator();

/** The three parts of an entity ref. @public */
export type EntityRefPart = 'kind' | 'namespace' | 'name';

/**
 * What each part of an entity ref must be, as the catalog's
 * `KubernetesValidatorFunctions` decide.
 *
 * @public
 */
export const ENTITY_REF_PART_RULES: Readonly<Record<EntityRefPart, string>> = {
  kind: 'letters and digits, starting with a letter, at most 63 characters (such as "component")',
  namespace:
    'lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (such as "default")',
  name: 'letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 63 characters (such as "payments-api")',
};

/**
 * Whether a value is a valid kind, namespace or name of a catalog entity.
 * Namespaces are compared without regard to case, as the catalog compares
 * refs.
 *
 * @public
 */
export function isValidEntityRefPart(
  part: EntityRefPart,
  value: string,
): boolean {
  switch (part) {
    case 'kind':
      return catalogRules.isValidKind(value);
    case 'namespace':
      return catalogRules.isValidNamespace(value.toLocaleLowerCase('en-US'));
    default:
      return catalogRules.isValidEntityName(value);
  }
}

/**
 * The message for a malformed entity ref: the value given and what is
 * expected, with what is wrong when that is known.
 *
 * @public
 */
export function invalidEntityRefMessage(ref: string, detail?: string): string {
  return `Invalid entityRef ${quoteValue(
    ref,
  )}: expected "kind:namespace/name", such as "component:default/payments-api"${
    detail ? `; ${detail}` : ''
  }`;
}

/**
 * What is wrong with an entity ref, as a message, or undefined when it is a
 * full ref (`kind:namespace/name`, or `kind:name` in the default namespace)
 * whose parts follow the catalog's naming rules.
 *
 * @public
 */
export function entityRefProblem(ref: string): string | undefined {
  let parsed: { kind: string; namespace: string; name: string };
  try {
    parsed = parseEntityRef(ref);
  } catch {
    return invalidEntityRefMessage(ref);
  }
  for (const part of ['kind', 'namespace', 'name'] as const) {
    if (!isValidEntityRefPart(part, parsed[part])) {
      return invalidEntityRefMessage(
        ref,
        `its ${part} must be ${ENTITY_REF_PART_RULES[part]}`,
      );
    }
  }
  return undefined;
}

/**
 * An entity ref in a request, `kind:namespace/name` (or `kind:name`): at most
 * 255 characters, the size of the `entity_ref` columns, each part following
 * the catalog's naming rules (which also keeps its normalised form within
 * 255). The value is kept as given: normalise it with
 * `stringifyEntityRef(parseEntityRef(ref))`.
 *
 * @public
 */
export const entityRefSchema = boundedString(REQUEST_LIMITS.entityRef).refine(
  ref => entityRefProblem(ref) === undefined,
  { error: issue => entityRefProblem(String(issue.input)) },
);

function entityRefPartSchema(part: EntityRefPart) {
  return paramString({
    what: `entity ${part}`,
    max: REQUEST_LIMITS.entityRefPart,
    rule: `must be ${ENTITY_REF_PART_RULES[part]}`,
    isValid: value => isValidEntityRefPart(part, value),
  });
}

/**
 * Path parameters of `/entities/:kind/:namespace/:name/...`, checked with the
 * catalog's naming rules. Each message is a whole sentence naming the
 * parameter and its value (`Invalid entity name "a b": expected ...`), to be
 * answered as it is.
 *
 * @public
 */
export const entityPathParamsSchema = z.object({
  kind: entityRefPartSchema('kind'),
  namespace: entityRefPartSchema('namespace'),
  name: entityRefPartSchema('name'),
});

/** @public */
export type EntityPathParams = z.infer<typeof entityPathParamsSchema>;
