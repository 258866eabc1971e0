import { problems } from './__testUtils__/problems';
import {
  adoptionQuerySchema,
  createInitiativeRequestSchema,
  initiativePathParamsSchema,
  isCalendarDay,
  updateInitiativeRequestSchema,
} from './adoptionSchemas';
import { LONE_SURROGATE_MESSAGE, NUL_CHARACTER_MESSAGE } from './validation';

const INITIATIVE = {
  title: 'Everything on silver',
  goal: { kind: 'level', value: 'silver' },
  startsOn: '2027-01-01',
  deadline: '2027-06-30',
};

describe('initiative days', () => {
  it.each([
    '2027-02-28',
    '2028-02-29',
    '2000-02-29',
    '2027-12-31',
    '2027-04-30',
  ])('accepts %s', day => {
    expect(isCalendarDay(day)).toBe(true);
    expect(
      problems(createInitiativeRequestSchema, {
        ...INITIATIVE,
        deadline: day,
        startsOn: undefined,
      }),
    ).toBeUndefined();
  });

  it.each([
    '2027-02-31',
    '2027-02-29',
    '2100-02-29',
    '2027-04-31',
    '2027-06-31',
  ])(
    'refuses %s, a day that does not exist, as deadline and startsOn, naming the field',
    day => {
      expect(isCalendarDay(day)).toBe(false);
      const message = `must be a day of the calendar: ${day} does not exist (YYYY-MM-DD)`;
      expect(
        problems(createInitiativeRequestSchema, {
          ...INITIATIVE,
          deadline: day,
        }),
      ).toBe(`deadline ${message}`);
      expect(
        problems(createInitiativeRequestSchema, {
          ...INITIATIVE,
          startsOn: day,
        }),
      ).toBe(`startsOn ${message}`);
      expect(problems(updateInitiativeRequestSchema, { deadline: day })).toBe(
        `deadline ${message}`,
      );
    },
  );

  it('refuses what is no day at all with the format', () => {
    expect(
      problems(updateInitiativeRequestSchema, { deadline: '27-1-1' }),
    ).toBe('deadline must be a day, YYYY-MM-DD');
  });
});

describe('initiative goals', () => {
  it('refuses keys a goal does not have, as every other object does', () => {
    expect(
      problems(createInitiativeRequestSchema, {
        ...INITIATIVE,
        goal: { kind: 'level', value: 'silver', weight: 3 },
      }),
    ).toBe('goal has an unknown key "weight"');
  });

  it('says what a goal is when the kind is unknown or the goal is no object', () => {
    const expected =
      'must be {kind: "level", value: "gold" | "silver" | "bronze"}, {kind: "check", value: <a score check id>}, {kind: "driftLifetime", value: <p95 minutes, 1 to 525600>} or {kind: "erasedShare", value: <a share, above 0 and at most 1>}';
    expect(
      problems(createInitiativeRequestSchema, {
        ...INITIATIVE,
        goal: 'silver',
      }),
    ).toBe(`goal ${expected}`);
    expect(
      problems(createInitiativeRequestSchema, {
        ...INITIATIVE,
        goal: { kind: 'mood' },
      }),
    ).toContain(expected);
  });
});

describe('initiative texts', () => {
  it('refuses lone surrogates and NUL characters in the title and description', () => {
    expect(
      problems(createInitiativeRequestSchema, {
        ...INITIATIVE,
        title: '\ud800',
      }),
    ).toBe(`title ${LONE_SURROGATE_MESSAGE}`);
    expect(
      problems(updateInitiativeRequestSchema, {
        description: 'half a \udc00 character',
      }),
    ).toBe(`description ${LONE_SURROGATE_MESSAGE}`);
    expect(problems(updateInitiativeRequestSchema, { title: 'a\u0000' })).toBe(
      `title ${NUL_CHARACTER_MESSAGE}`,
    );
  });
});

describe('initiative titles', () => {
  it.each(['', '   ', '\u200b \ufeff'])('refuses a blank title %j', title => {
    expect(
      problems(createInitiativeRequestSchema, { ...INITIATIVE, title }),
    ).toBe('title must not be blank');
    expect(problems(updateInitiativeRequestSchema, { title })).toBe(
      'title must not be blank',
    );
  });
});

describe('initiative ids', () => {
  it('accepts a UUID and refuses anything else, quoting a long value cut short', () => {
    expect(
      problems(initiativePathParamsSchema, {
        id: '0b6f3c9e-5d2a-4f1b-9c8e-7a6d5e4f3b2a',
      }),
    ).toBeUndefined();
    expect(
      problems(initiativePathParamsSchema, { id: '-'.repeat(36) }),
    ).toContain(
      'Invalid initiative id "------------------------------------": expected the id POST /initiatives answered, a UUID',
    );
    const long = problems(initiativePathParamsSchema, {
      id: 'x'.repeat(5000),
    })!;
    expect(long).toContain('must be at most 36 characters');
    expect(long.length).toBeLessThan(200);
  });
});

describe('adoption filters', () => {
  it.each([
    [{ owner: 'group:default/a\u0000' }, `owner ${NUL_CHARACTER_MESSAGE}`],
    [{ owner: 'g'.repeat(4097) }, 'owner must be at most 4096 characters'],
    [
      { owner: ['group:default/a', 'b\ud800'] },
      `owner.1 ${LONE_SURROGATE_MESSAGE}`,
    ],
    [
      { owner: { group: 'a' } },
      'owner must be text: one value, values separated by commas, or the parameter repeated',
    ],
  ])('say what is wrong with %j', (query, message) => {
    expect(problems(adoptionQuerySchema, query)).toBe(message);
  });
});
