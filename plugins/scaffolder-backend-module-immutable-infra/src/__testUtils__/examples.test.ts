import {
  createTemplateAction,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { exampleInput, expectDocumentedExamples } from './examples';

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

describe('expectDocumentedExamples', () => {
  const documenting = (...examples: TemplateExample[]) =>
    createTemplateAction({
      id: 'test:action',
      examples,
      schema: { input: { name: z => z.string().regex(/^[a-z]+$/) } },
      async handler() {},
    });
  const example = (description: string, steps: unknown) => ({
    description,
    example: yaml.stringify({ steps }),
  });
  const valid = example('valid', [
    { action: 'fetch:template', input: {} },
    { action: 'test:action', input: { name: '${{ parameters.name }}' } },
  ]);

  it('passes an action documenting the examples, each valid input of a step of the action', () => {
    expect(() =>
      expectDocumentedExamples(documenting(valid), [valid], {
        parameters: { name: 'abc' },
      }),
    ).not.toThrow();
  });

  it('fails when the action documents other examples, or none', () => {
    const other = example('other', [
      { action: 'test:action', input: { name: 'abc' } },
    ]);
    expect(() => expectDocumentedExamples(documenting(other), [valid])).toThrow(
      /"description": "valid"/,
    );
    expect(() => expectDocumentedExamples(documenting(), [])).toThrow(
      /toBeGreaterThan/,
    );
  });

  it('fails on YAML that does not parse, a missing step or input the scaffolder refuses', () => {
    const broken = { description: 'broken', example: 'steps: [' };
    const elsewhere = example('elsewhere', [{ action: 'other', input: {} }]);
    const refused = example('refused', [
      { action: 'test:action', input: { name: 'ABC' } },
    ]);
    for (const bad of [broken, elsewhere, refused]) {
      expect(() => expectDocumentedExamples(documenting(bad), [bad])).toThrow(
        /threw: /,
      );
    }
  });
});
