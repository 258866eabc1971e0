import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'See what pruning would remove (dry run)',
    example: yaml.stringify({
      steps: [
        {
          id: 'prune',
          action: 'immutable-infra:images:prune',
          name: 'Prune (dry run)',
          input: { family: 'payments-api' },
        },
      ],
    }),
  },
  {
    description: 'Prune for real, keeping ten versions',
    example: yaml.stringify({
      steps: [
        {
          id: 'prune',
          action: 'immutable-infra:images:prune',
          name: 'Prune',
          input: { family: 'payments-api', keepVersions: 10, dryRun: false },
        },
      ],
    }),
  },
];
