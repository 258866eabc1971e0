/* eslint-disable no-script-url -- these tests feed hostile URLs on purpose */
import { z } from 'zod';
import { problems } from './__testUtils__/problems';
import {
  entityPathParamsSchema,
  entityRefProblem,
  entityRefSchema,
} from './entityRefs';
import { instanceQuerySchema, syncRequestSchema } from './fleetSchemas';
import { enrollRequestSchema } from './schemas';
import {
  boundedString,
  describeValidationIssues,
  freeText,
  httpUrl,
  isHttpUrl,
  lineOfText,
  LONE_SURROGATE_MESSAGE,
  NUL_CHARACTER_MESSAGE,
} from './validation';

describe('boundedString', () => {
  it('refuses values over the bound and NUL characters, before any pattern', () => {
    const schema = z.object({
      name: boundedString(5).regex(/^[a-z]+$/, 'lower'),
    });
    expect(problems(schema, { name: 'abcde' })).toBeUndefined();
    expect(problems(schema, { name: 'abcdef' })).toBe(
      'name must be at most 5 characters',
    );
    expect(problems(schema, { name: 'ab\u0000' })).toBe(
      `name ${NUL_CHARACTER_MESSAGE}`,
    );
    expect(problems(schema, { name: 'AB' })).toBe('name lower');
  });
});

describe('lone surrogates', () => {
  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', 'a\udfffb'],
    ['a pair in the wrong order', '\ude00\ud83d'],
    ['a high surrogate at the end', 'ok\ud83d'],
  ])('are refused by every bounded string: %s', (_, value) => {
    expect(
      problems(z.object({ title: boundedString(20) }), { title: value }),
    ).toBe(`title ${LONE_SURROGATE_MESSAGE}`);
    // Values read from JSON, where "\ud800" is how a client writes one.
    expect(
      problems(
        z.object({ title: boundedString(20) }),
        JSON.parse(JSON.stringify({ title: value })),
      ),
    ).toBe(`title ${LONE_SURROGATE_MESSAGE}`);
  });

  it('accept characters outside the Basic Multilingual Plane, written as pairs', () => {
    expect(
      problems(z.object({ title: boundedString(20) }), {
        title: 'ship it \ud83d\ude80',
      }),
    ).toBeUndefined();
  });

  it('are refused in path parameters too, naming the parameter', () => {
    expect(
      problems(entityPathParamsSchema, {
        kind: 'component',
        namespace: 'default',
        name: 'a\ud800',
      }),
    ).toBe(`name Invalid entity name "a\\ud800": ${LONE_SURROGATE_MESSAGE}`);
  });
});

describe('httpUrl', () => {
  it.each([
    'https://ci.example.com/builds/42',
    'HTTP://ci.example.com:8080/builds/42?x=1#log',
    'https://[::1]/x',
  ])('accepts %p', url => {
    expect(isHttpUrl(url)).toBe(true);
    expect(httpUrl(1024).safeParse(url).success).toBe(true);
  });

  it.each([
    'javascript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'ftp://example.com/x',
    'https:example.com',
    'https://',
    'https://exa mple.com',
    'https://example.com/\tx',
    'https://example.com/\u0085',
    '//example.com/x',
    // Credentials shown to every reader, or a host in disguise.
    'https://user:token@git.example.com/acme/orders',
    'https://ci.example.com@evil.example/builds/42',
    'https://@ci.example.com/builds/42',
  ])('refuses %p', url => {
    expect(isHttpUrl(url)).toBe(false);
    expect(problems(z.object({ url: httpUrl(1024) }), { url })).toBe(
      'url must be an http:// or https:// URL without spaces, control characters or a user name and password',
    );
  });

  it('is bounded', () => {
    expect(
      problems(z.object({ url: httpUrl(30) }), {
        url: `https://example.com/${'x'.repeat(20)}`,
      }),
    ).toBe('url must be at most 30 characters');
  });
});

describe('freeText and lineOfText', () => {
  const texts = z.object({ reason: freeText(100), title: lineOfText(100) });

  it('take line breaks and tabs in free text, and neither in a line', () => {
    expect(
      texts.safeParse({ reason: 'CVE-2026-1\n\tsee the ticket', title: 'Ok' })
        .success,
    ).toBe(true);
    expect(problems(texts, { reason: 'x', title: 'a\nb' })).toBe(
      'title must not contain \\u000a: one line of text without control characters or bidirectional formatting characters (\\u202a to \\u202e, \\u2066 to \\u2069)',
    );
  });

  it.each([
    ['an escape sequence', 'a\u001b[31mred', '\\u001b'],
    ['a bell', 'a\u0007', '\\u0007'],
    ['DEL', 'a\u007f', '\\u007f'],
    ['a C1 control', 'a\u0085b', '\\u0085'],
    ['a right-to-left override', 'gpj.\u202eexe', '\\u202e'],
    ['a bidirectional isolate', '\u2066x\u2069', '\\u2066'],
  ])('refuse %s in both, naming it', (_, text, escaped) => {
    expect(problems(texts, { reason: text, title: 'Ok' })).toMatch(
      new RegExp(
        `^reason must not contain \\${escaped}: text without control characters but line breaks and tabs`,
      ),
    );
    expect(problems(texts, { reason: 'x', title: text })).toMatch(
      new RegExp(`^title must not contain \\${escaped}: one line of text`),
    );
  });

  it('refuse a line with nothing to read: only white space or invisible characters', () => {
    for (const title of ['', '  ', '\u200b', '\ufeff \u200b']) {
      expect(problems(texts, { reason: 'x', title })).toBe(
        'title must not be blank',
      );
    }
    expect(texts.safeParse({ reason: 'x', title: '\u200bA' }).success).toBe(
      true,
    );
  });
});

describe('describeValidationIssues', () => {
  it("says what a field expects where zod's own message would not", () => {
    const schema = z.strictObject({
      name: z.string(),
      count: z.number().int().min(1).max(500),
      items: z.array(z.string()).min(1).max(2),
      flag: z.boolean(),
      sort: z.enum(['name', 'age']),
      only: z.literal('closed'),
      own: z.number().max(3, 'must be three or fewer'),
    });
    expect(
      problems(schema, {
        count: 1.5,
        items: [],
        flag: 'yes',
        sort: 'size',
        only: 'open',
        own: 4,
      }),
    ).toBe(
      'name is required; count must be a whole number; items must have at least 1 items; flag must be true or false; sort must be one of "name" or "age"; only must be "closed"; own must be three or fewer',
    );
    expect(
      problems(schema, {
        name: 'x',
        count: 501,
        items: ['a', 'b', 'c'],
        flag: true,
        sort: 'name',
        only: 'closed',
        own: 1,
      }),
    ).toBe('count must be at most 500; items must have at most 2 items');
    expect(problems(schema, null)).toBe('value must be an object');
  });

  it('names each field, or the whole value, and counts what it leaves out', () => {
    const issues = Array.from({ length: 12 }, (_, i) => ({
      path: i === 0 ? [] : ['artifacts', i, 'region'],
      message: 'is wrong',
    }));
    expect(describeValidationIssues(issues, 'request body')).toBe(
      [
        'request body is wrong',
        ...Array.from(
          { length: 9 },
          (_, i) => `artifacts.${i + 1}.region is wrong`,
        ),
        'and 2 more problems',
      ].join('; '),
    );
    expect(
      describeValidationIssues(
        [{ path: [Symbol('s')], message: 'is odd' }],
        'x',
      ),
    ).toBe('Symbol(s) is odd');
  });

  it('names a few unknown keys, each cut short, and counts the rest', () => {
    // 600 KB of keys.
    const keys = Array.from({ length: 3000 }, (_, i) =>
      `${i}`.padEnd(200, 'k'),
    );
    const schema = z.strictObject({ title: z.string() });
    const message = problems(schema, {
      title: 't',
      ...Object.fromEntries(keys.map(k => [k, 1])),
    })!;
    expect(message).toMatch(
      /^value has unknown keys "0k+\.\.\.", "1k+\.\.\.", /,
    );
    expect(message).toMatch(/ and 2995 more$/);
    expect(message.length).toBeLessThan(600);
    expect(problems(schema, { title: 't', extra: 1 })).toBe(
      'value has an unknown key "extra"',
    );
  });

  it('cuts each problem, and the whole sentence, short', () => {
    const issues = Array.from({ length: 1000 }, () => ({
      path: ['x'.repeat(10_000), 0],
      message: 'is wrong '.repeat(10_000),
    }));
    const message = describeValidationIssues(issues, 'request body');
    expect(message.length).toBeLessThanOrEqual(4100);
    const [first] = message.split('; ');
    expect(first).toMatch(/^x{97}\.\.\.\.0 is wrong is wrong /);
    expect(first.length).toBe(500);
    expect(message).toMatch(/; and 99\d more problems$/);
  });

  it('describes a union by the one branch the value has the shape of, else by its message', () => {
    const schema = z.object({
      owner: z.union([boundedString(5), z.array(boundedString(5))], {
        error: 'must be text or a list of texts',
      }),
    });
    expect(problems(schema, { owner: 'abcdef' })).toBe(
      'owner must be at most 5 characters',
    );
    expect(problems(schema, { owner: ['a', 'b\u0000'] })).toBe(
      `owner.1 ${NUL_CHARACTER_MESSAGE}`,
    );
    expect(problems(schema, { owner: 3 })).toBe(
      'owner must be text or a list of texts',
    );
  });
});

describe('entityRefSchema', () => {
  it.each([
    'component:default/payments-api',
    'component:payments-api',
    'Component:Default/Payments_API',
    'group:team-a/platform',
  ])('accepts %p', ref => {
    expect(entityRefSchema.safeParse(ref).success).toBe(true);
  });

  it.each([
    [
      'component:',
      'Invalid entityRef "component:": expected "kind:namespace/name"',
    ],
    ['payments-api', 'Invalid entityRef "payments-api": expected'],
    ['component:default/payments api', 'its name must be letters, digits'],
    ['component:default/a/b', 'its name must be'],
    ['compo nent:default/x', 'its kind must be letters and digits'],
    ['component:team_a/x', 'its namespace must be lower-case letters'],
    ['component:default/x\u0000', NUL_CHARACTER_MESSAGE],
    [`component:default/${'x'.repeat(250)}`, 'must be at most 255 characters'],
  ])('refuses %p', (ref, message) => {
    const refused = problems(z.object({ entityRef: entityRefSchema }), {
      entityRef: ref,
    });
    expect(refused).toMatch(/^entityRef /);
    expect(refused).toContain(message);
  });

  it('says what is wrong with a ref', () => {
    expect(entityRefProblem('component:default/payments-api')).toBeUndefined();
    expect(entityRefProblem('component:default/-x')).toBe(
      'Invalid entityRef "component:default/-x": expected "kind:namespace/name", such as "component:default/payments-api"; its name must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 63 characters (such as "payments-api")',
    );
  });
});

describe('enroll, sync and instance queries', () => {
  it('checks the enrolment body', () => {
    expect(
      problems(enrollRequestSchema, {
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
      }),
    ).toBeUndefined();
    expect(
      problems(enrollRequestSchema, {
        name: 'payments-api',
        entityRef: `component:default/${'p'.repeat(300)}`,
      }),
    ).toBe('entityRef must be at most 255 characters');
    expect(
      problems(enrollRequestSchema, {
        name: 'payments\u0000',
        entityRef: 'component:default/payments-api',
      }),
    ).toBe(`name ${NUL_CHARACTER_MESSAGE}`);
  });

  it('checks the entity to sync', () => {
    expect(problems(syncRequestSchema, {})).toBeUndefined();
    expect(
      problems(syncRequestSchema, { entityRef: 'component:default/x' }),
    ).toBeUndefined();
    expect(problems(syncRequestSchema, { entityRef: 'x\u0000' })).toBe(
      `entityRef ${NUL_CHARACTER_MESSAGE}`,
    );
    expect(problems(syncRequestSchema, { entityRef: 'x'.repeat(256) })).toBe(
      'entityRef must be at most 255 characters',
    );
  });

  it('bounds the filters of the instances query like their columns', () => {
    expect(
      problems(instanceQuerySchema, {
        environment: 'production',
        state: 'running',
        rule: 'ssh-open',
        limit: '10',
      }),
    ).toBeUndefined();
    expect(problems(instanceQuerySchema, { environment: 'e'.repeat(65) })).toBe(
      'environment must be at most 64 characters',
    );
    expect(problems(instanceQuerySchema, { state: 'running\u0000' })).toBe(
      `state ${NUL_CHARACTER_MESSAGE}`,
    );
    expect(problems(instanceQuerySchema, { state: 's'.repeat(33) })).toBe(
      'state must be at most 32 characters',
    );
    expect(problems(instanceQuerySchema, { rule: 'nope' })).toContain('rule');
  });
});
