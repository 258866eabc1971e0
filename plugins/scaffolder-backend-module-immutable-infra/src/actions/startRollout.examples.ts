import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Roll staging out to the version just registered, and return once it started',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollout',
          action: 'immutable-infra:rollout:start',
          name: 'Roll out to staging',
          input: {
            entityRef: 'component:default/payments-api',
            environment: 'staging',
            version: '${{ steps.register.output.version }}',
            reason: 'New image from the pipeline',
          },
        },
      ],
    }),
  },
  {
    description:
      'Roll production out to its channel version and wait until the rollout ends',
    example: yaml.stringify({
      steps: [
        {
          id: 'rollout',
          action: 'immutable-infra:rollout:start',
          name: 'Roll out to production',
          input: {
            entityRef: 'component:default/${{ parameters.name }}',
            environment: 'production',
            waitForCompletion: true,
            timeoutMinutes: 30,
          },
        },
      ],
    }),
  },
];
