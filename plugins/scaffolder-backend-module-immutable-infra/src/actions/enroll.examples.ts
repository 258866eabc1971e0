import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Enroll the image family of a new service',
    example: yaml.stringify({
      steps: [
        {
          id: 'enroll',
          action: 'immutable-infra:enroll',
          name: 'Enroll in Immutable Infra',
          input: {
            family: 'payments-api',
            entityRef: 'component:default/payments-api',
          },
        },
      ],
    }),
  },
  {
    description: 'Enroll using the values the template asked for',
    example: yaml.stringify({
      steps: [
        {
          id: 'enroll',
          action: 'immutable-infra:enroll',
          name: 'Enroll in Immutable Infra',
          input: {
            family: '${{ parameters.name }}',
            entityRef: 'component:default/${{ parameters.name }}',
          },
        },
      ],
    }),
  },
];
