import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { exampleInput } from './examples';

describe('exampleInput', () => {
  const action = createTemplateAction({
    id: 'test:action',
    schema: {
      input: {
        name: z => z.string().regex(/^[a-z]+$/),
        count: z => z.number().int().optional(),
      },
    },
    async handler() {},
  });
  const example = (input: Record<string, unknown>) => ({
    description: 'an example',
    example: yaml.stringify({ steps: [{ action: 'test:action', input }] }),
  });

  it('renders template expressions, taking JSON values as JSON', () => {
    expect(
      exampleInput(
        action,
        example({ name: '${{ parameters.name }}', count: '${{ steps.a.n }}' }),
        { parameters: { name: 'abc' }, steps: { a: { n: 3 } } },
      ),
    ).toEqual({ name: 'abc', count: 3 });
  });

  it('rejects input the scaffolder would reject', () => {
    expect(() => exampleInput(action, example({ name: 'ABC' }))).toThrow(
      'has invalid input',
    );
    expect(() =>
      exampleInput(action, example({ name: 'abc', other: true })),
    ).toThrow('has invalid input');
    expect(() =>
      exampleInput(action, example({ name: '${{ parameters.missing }}' })),
    ).toThrow('No value for ${{ parameters.missing }}');
  });

  it('rejects an example without a step for the action', () => {
    expect(() =>
      exampleInput(action, {
        description: 'other',
        example: yaml.stringify({ steps: [{ action: 'x', input: {} }] }),
      }),
    ).toThrow('Example "other" has no test:action');
  });
});
