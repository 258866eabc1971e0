import { problems } from './__testUtils__/problems';
import { entityPathParamsSchema } from './entityRefs';
import {
  channelPathParamsSchema,
  familyPathParamsSchema,
  imageIdParamSchema,
  invalidImageIdMessage,
  MANAGED_CHANNEL_MESSAGE,
  parseImageId,
} from './params';

/** The messages of a refused value alone, as path parameters answer them. */
function messages(
  schema: { safeParse(value: unknown): any },
  value: unknown,
): string[] | undefined {
  const result = schema.safeParse(value);
  return result.success
    ? undefined
    : result.error.issues.map((issue: { message: string }) => issue.message);
}

describe('entityPathParamsSchema', () => {
  it.each([
    { kind: 'Component', namespace: 'default', name: 'payments-api' },
    { kind: 'component', namespace: 'Default', name: 'Payments_API.v2' },
    { kind: 'Group', namespace: 'team-a', name: 'a' },
    { kind: 'k', namespace: 'n', name: 'x'.repeat(63) },
  ])('accepts %j', params => {
    expect(messages(entityPathParamsSchema, params)).toBeUndefined();
  });

  it.each([
    [
      { name: 'payments\u0000api' },
      'Invalid entity name "payments\\u0000api": must not contain NUL characters (\\u0000)',
    ],
    [
      { name: '-payments' },
      'Invalid entity name "-payments": must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 63 characters (such as "payments-api")',
    ],
    [{ name: 'payments api' }, 'Invalid entity name "payments api": must be'],
    [{ name: 'payments/api' }, 'Invalid entity name "payments/api": must be'],
    [{ name: '' }, 'Invalid entity name "": must be'],
    [
      { name: 'x'.repeat(64) },
      `Invalid entity name "${'x'.repeat(64)}": must be at most 63 characters`,
    ],
    [
      { kind: '1component' },
      'Invalid entity kind "1component": must be letters and digits, starting with a letter',
    ],
    [{ kind: 'compo-nent' }, 'Invalid entity kind "compo-nent"'],
    [
      { namespace: 'team_a' },
      'Invalid entity namespace "team_a": must be lower-case letters, digits and "-"',
    ],
    [{ namespace: 'a\u0000' }, 'Invalid entity namespace "a\\u0000": must not'],
  ])('refuses %j', (change, message) => {
    expect(
      messages(entityPathParamsSchema, {
        kind: 'component',
        namespace: 'default',
        name: 'payments-api',
        ...change,
      }),
    ).toEqual([expect.stringContaining(message)]);
  });
});

describe('imageIdParamSchema', () => {
  it.each(['payments-api@12', 'ami-0123456789abcdef0', 'base.ubuntu_24@1'])(
    'accepts %p',
    id => {
      expect(messages(imageIdParamSchema, { id })).toBeUndefined();
    },
  );

  it.each([
    ['x', 'Invalid image id "x": expected "<family>@<version>" or an AMI id'],
    [
      'payments-api@',
      'Invalid image id "payments-api@": expected "<family>@<version>" or an AMI id',
    ],
    [
      'payments-api@1234567890',
      'Invalid image id "payments-api@1234567890": expected "<family>@<version>" or an AMI id',
    ],
    [
      'payments-api@12\u0000',
      'Invalid image id "payments-api@12\\u0000": must not contain NUL characters (\\u0000)',
    ],
    [
      `a${'b'.repeat(300)}@1`,
      `Invalid image id "a${'b'.repeat(
        76,
      )}...": must be at most 255 characters`,
    ],
  ])('refuses %p', (id, message) => {
    expect(messages(imageIdParamSchema, { id })).toEqual([message]);
  });

  it('words the message as invalidImageIdMessage does', () => {
    expect(messages(imageIdParamSchema, { id: "1' or '1'='1" })).toEqual([
      invalidImageIdMessage("1' or '1'='1"),
    ]);
  });
});

describe('parseImageId', () => {
  it('reads versions and AMI ids, and nothing else', () => {
    expect(parseImageId('payments-api@12')).toEqual({
      family: 'payments-api',
      version: 12,
    });
    expect(parseImageId('ami-0123456789abcdef0')).toEqual({
      imageId: 'ami-0123456789abcdef0',
    });
    expect(parseImageId('i-0123456789abcdef0')).toBeUndefined();
  });
});

describe('familyPathParamsSchema', () => {
  it('accepts family names and refuses anything else with a sentence', () => {
    expect(
      messages(familyPathParamsSchema, { family: 'payments-api' }),
    ).toBeUndefined();
    expect(messages(familyPathParamsSchema, { family: 'Payments' })).toEqual([
      'Invalid image family "Payments": must be lower-case letters, digits, ".", "-" or "_", starting with a letter or digit (at most 128 characters)',
    ]);
    expect(
      messages(familyPathParamsSchema, { family: 'payments\u0000' }),
    ).toEqual([
      'Invalid image family "payments\\u0000": must not contain NUL characters (\\u0000)',
    ]);
  });
});

describe('channelPathParamsSchema', () => {
  it('accepts an assignable channel of a family', () => {
    expect(
      messages(channelPathParamsSchema, {
        family: 'payments-api',
        channel: 'production',
      }),
    ).toBeUndefined();
  });

  it.each([
    [
      'Prod!',
      'Invalid channel "Prod!": must be lower-case letters, digits, "-" or "_", starting with a letter or digit (at most 63 characters)',
    ],
    [
      'c'.repeat(65),
      `Invalid channel "${'c'.repeat(65)}": must be at most 64 characters`,
    ],
    [
      'prod\u0000',
      'Invalid channel "prod\\u0000": must not contain NUL characters (\\u0000)',
    ],
    ['latest', MANAGED_CHANNEL_MESSAGE],
  ])('refuses %p', (channel, message) => {
    expect(
      messages(channelPathParamsSchema, { family: 'payments-api', channel }),
    ).toEqual([message]);
  });

  it('checks the family too', () => {
    expect(
      problems(channelPathParamsSchema, { family: 'A', channel: 'production' }),
    ).toContain('family Invalid image family "A"');
  });
});
