import {
  TemplateAction,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { z } from 'zod';

/**
 * The input of the example's step for `action` as the scaffolder would hand
 * it to the action: template expressions (`${{ a.b.c }}`, a path into
 * `values`) rendered, a rendered value that is JSON taken as JSON (the
 * runner's `coercion: 'json'`), then checked against the action's input
 * schema as JSON Schema, as the runner checks it. Zod defaults are not
 * applied: the runner does not apply them either.
 */
export function exampleInput<TAction extends TemplateAction<any, any, any>>(
  action: TAction,
  example: TemplateExample,
  values: Record<string, any> = {},
): Parameters<TAction['handler']>[0]['input'] {
  const steps: Array<{ action: string; input: Record<string, any> }> =
    yaml.parse(example.example).steps;
  const step = steps.find(s => s.action === action.id);
  if (!step) {
    throw new Error(`Example "${example.description}" has no ${action.id}`);
  }
  const input = render(step.input, values);
  const result = z
    .fromJSONSchema(action.schema!.input as z.core.JSONSchema.JSONSchema)
    .safeParse(input);
  if (!result.success) {
    throw new Error(
      `Example "${example.description}" has invalid input: ${result.error.message}`,
    );
  }
  return input;
}

/**
 * Expects `action` to document exactly `examples` (by description, in order,
 * at least one) and each of them to be a template whose YAML parses, with a
 * step naming the action whose input the scaffolder accepts (see
 * `exampleInput`; `values` fill its template expressions). The tests that
 * run each of `examples` then run what the action documents.
 */
export function expectDocumentedExamples(
  action: TemplateAction<any, any, any>,
  examples: TemplateExample[],
  values: Record<string, any> = {},
) {
  expect(examples.length).toBeGreaterThan(0);
  const found = (action.examples ?? []).map(example => ({
    description: example.description,
    actions: outcome(() =>
      (yaml.parse(example.example).steps as Array<{ action: string }>).map(
        s => s.action,
      ),
    ),
    input: outcome(() => {
      exampleInput(action, example, values);
      return 'accepted';
    }),
  }));
  expect(found).toEqual(
    examples.map(example => ({
      description: example.description,
      actions: expect.arrayContaining([action.id]),
      input: 'accepted',
    })),
  );
}

/** What `fn` answers, or the message it throws (a diff then shows it). */
function outcome<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (error) {
    return `threw: ${(error as Error).message}`;
  }
}

function render(value: unknown, values: Record<string, any>): unknown {
  if (Array.isArray(value)) {
    return value.map(v => render(v, values));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, render(v, values)]),
    );
  }
  if (typeof value !== 'string' || !value.includes('${{')) {
    return value;
  }
  const rendered = value.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, path) => {
    const found = path
      .split('.')
      .reduce(
        (at: any, key: string) => (at === undefined ? undefined : at[key]),
        values,
      );
    if (found === undefined) {
      throw new Error(`No value for \${{ ${path} }}`);
    }
    return String(found);
  });
  try {
    return JSON.parse(rendered);
  } catch {
    return rendered;
  }
}
