import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Promote the new version to staging',
    example: yaml.stringify({
      steps: [
        {
          id: 'assign',
          action: 'immutable-infra:channel:assign',
          name: 'Assign to staging',
          input: {
            family: 'payments-api',
            channel: 'staging',
            version: '${{ steps.register.output.version }}',
          },
        },
      ],
    }),
  },
];
