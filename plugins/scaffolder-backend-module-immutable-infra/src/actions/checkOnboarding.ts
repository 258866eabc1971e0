import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, ResponseError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CHANNEL_PATTERN,
  CHANNEL_RULE,
  ENTITY_REF_PART_RULES,
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  ImmutableInfraApi,
  isValidEntityRefPart,
  REQUEST_LIMITS,
} from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { checkpointKey } from './checkpointKey';
import { examples } from './checkOnboarding.examples';

/** One environment's fleet as an onboarding template asks for it. */
type FleetInput = {
  environment: string;
  min: number;
  desired: number;
  max: number;
};

/** What is wrong with the fleets' sizes, one message a field. */
export function fleetProblems(fleets: FleetInput[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  fleets.forEach((fleet, index) => {
    const field = `fleets[${index}] (${fleet.environment})`;
    if (seen.has(fleet.environment)) {
      problems.push(`${field}: the environment is listed twice`);
    }
    seen.add(fleet.environment);
    if (fleet.min > fleet.max) {
      problems.push(
        `${field}: the minimum capacity ${fleet.min} is above the maximum ${fleet.max}`,
      );
    } else if (fleet.desired < fleet.min || fleet.desired > fleet.max) {
      problems.push(
        `${field}: the desired capacity ${fleet.desired} is not between the minimum ${fleet.min} and the maximum ${fleet.max}`,
      );
    }
  });
  return problems;
}

/**
 * The entity refs an onboarding template writes into the service's
 * catalog-info.yaml, and the kinds each may name (the first when the ref
 * names none), as the catalog reads `spec.owner` and `spec.system`.
 */
const ENTITY_REF_FIELDS = {
  owner: ['group', 'user'],
  system: ['system'],
} as const;

/**
 * What is wrong with an entity ref of a catalog-info.yaml field
 * (`[kind:][namespace/]name`, its kind one of `kinds`), as a message naming
 * the field, or undefined when the catalog could hold the ref. Its parts
 * follow the catalog's naming rules, so no line break, quote or other
 * character that could change the file's structure gets through.
 */
function entityRefFieldProblem(
  field: string,
  ref: string,
  kinds: readonly string[],
): string | undefined {
  const problem = (detail: string) =>
    `${field}: not a ${kinds.join(
      ' or ',
    )} entity ref ([kind:][namespace/]name): ${detail}`;
  let parsed: { kind: string; namespace: string; name: string };
  try {
    parsed = parseEntityRef(ref, { defaultKind: kinds[0] });
  } catch {
    return problem('it has an empty part');
  }
  if (!kinds.includes(parsed.kind.toLocaleLowerCase('en-US'))) {
    return problem(`its kind must be ${kinds.join(' or ')}`);
  }
  for (const part of ['namespace', 'name'] as const) {
    if (!isValidEntityRefPart(part, parsed[part])) {
      return problem(`its ${part} must be ${ENTITY_REF_PART_RULES[part]}`);
    }
  }
  return undefined;
}

/**
 * Creates the `immutable-infra:onboarding:check` action: the checks of an
 * onboarding template's parameters that its form cannot make, run first so
 * that nothing is published for a service that cannot be onboarded. It
 * changes nothing (and runs in a dry run too): the fleets' sizes hold
 * together, the owner and system are entity refs of their kinds, the
 * service's family is free (or, for an existing service,
 * already its own), and the base family is registered with a version on the
 * channel builds start from.
 *
 * @public
 */
export function createCheckOnboardingAction(options: {
  client: ImmutableInfraApi;
  auth: AuthService;
}) {
  const { client, auth } = options;
  return createTemplateAction({
    id: 'immutable-infra:onboarding:check',
    description:
      "Checks an onboarding template's parameters against Immutable Infra before anything is published: fleet sizes, the owner's and system's entity refs, the service's image family, the base family and its channel. Changes nothing.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        family: z =>
          z
            .string()
            .regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE)
            .describe("The service's image family (usually its name)"),
        entityRef: z =>
          z
            .string()
            .min(1)
            .max(REQUEST_LIMITS.entityRef)
            .describe('The entity that will own the family'),
        existingService: z =>
          z
            .boolean()
            .optional()
            .describe(
              'True when onboarding a service already in the catalog: its family may already be its own. Otherwise an enrolled family of that name refuses the name.',
            ),
        baseFamily: z =>
          z
            .string()
            .regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE)
            .optional()
            .describe('The family images are built on'),
        baseChannel: z =>
          z
            .string()
            .regex(CHANNEL_PATTERN, CHANNEL_RULE)
            .optional()
            .describe(
              'The base family channel builds start from (default production)',
            ),
        fleets: z =>
          z
            .array(
              z.object({
                environment: z.string().min(1).max(64),
                min: z.number().int().min(0).max(10_000),
                desired: z.number().int().min(0).max(10_000),
                max: z.number().int().min(0).max(10_000),
              }),
            )
            .max(20)
            .optional()
            .describe('Per environment, the capacity the template will create'),
        owner: z =>
          z
            .string()
            .optional()
            .describe(
              "The service's owner as catalog-info.yaml will name it: a group or user ref, [kind:][namespace/]name",
            ),
        system: z =>
          z
            .string()
            .optional()
            .describe(
              'The system the service belongs to as catalog-info.yaml will name it: a system ref, [kind:][namespace/]name',
            ),
      },
      output: {
        baseImage: z =>
          z
            .string()
            .optional()
            .describe(
              'The base version builds start from now, <family>@<version>',
            ),
      },
    },
    async handler(ctx) {
      const input = ctx.input;
      const check = async (): Promise<{ baseImage?: string }> => {
        const problems = fleetProblems(input.fleets ?? []);
        for (const [field, kinds] of Object.entries(ENTITY_REF_FIELDS)) {
          const ref = input[field as keyof typeof ENTITY_REF_FIELDS];
          const problem =
            ref === undefined
              ? undefined
              : entityRefFieldProblem(field, ref, kinds);
          if (problem) {
            problems.push(problem);
          }
        }
        const requestOptions = await backendRequestOptions(auth, ctx);

        const families = await callBackend('Listing image families', () =>
          client.listFamilies(requestOptions),
        );
        const taken = families.find(f => f.name === input.family);
        if (
          taken &&
          !(input.existingService && taken.entityRef === input.entityRef)
        ) {
          problems.push(
            taken.entityRef === input.entityRef
              ? `name: ${input.entityRef} is already onboarded (image family ${input.family}); pick another name`
              : `name: the image family ${input.family} belongs to ${taken.entityRef}; pick another name`,
          );
        }

        let baseImage: string | undefined;
        if (input.baseFamily) {
          const channel = input.baseChannel ?? 'production';
          const channels = await client
            .listChannels(input.baseFamily, requestOptions)
            .catch(async error => {
              if (ResponseError.is(error) && error.statusCode === 404) {
                return undefined;
              }
              // Any other answer is the backend's to explain.
              return callBackend('Reading the base family', () =>
                Promise.reject(error),
              );
            });
          baseImage = channels?.find(c => c.name === channel)?.version;
          if (!channels) {
            problems.push(
              `baseFamily: no image family ${input.baseFamily} is registered (or you may not read its service)`,
            );
          } else if (!baseImage) {
            problems.push(
              `baseChannel: the base family ${input.baseFamily} has no version on its ${channel} channel`,
            );
          }
        }

        if (problems.length > 0) {
          throw new InputError(
            `The service cannot be onboarded as asked: ${problems.join('; ')}`,
          );
        }
        return { baseImage };
      };
      // A retried task replays a check that passed: by then its own earlier
      // steps may have published and enrolled the service (a failed check
      // is made again).
      const { baseImage } = ctx.isDryRun
        ? await check()
        : await ctx.checkpoint({
            key: checkpointKey({
              ctx,
              name: 'onboarding-check',
              family: input.family,
              request: input,
            }),
            fn: check,
          });
      ctx.logger.info(
        `Parameters checked: image family ${input.family} is free${
          baseImage ? `; builds start from ${baseImage}` : ''
        }`,
      );
      ctx.output('baseImage', baseImage);
    },
  });
}
