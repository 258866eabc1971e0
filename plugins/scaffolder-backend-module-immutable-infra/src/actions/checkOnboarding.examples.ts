import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Check a new service before its repository is published',
    example: yaml.stringify({
      steps: [
        {
          id: 'check',
          action: 'immutable-infra:onboarding:check',
          name: 'Check the parameters',
          input: {
            family: 'orders',
            entityRef: 'component:default/orders',
            baseFamily: 'base-ubuntu',
            baseChannel: 'production',
            owner: 'group:default/payments-team',
            system: 'system:default/payments',
            fleets: [
              { environment: 'staging', min: 1, desired: 2, max: 3 },
              { environment: 'production', min: 2, desired: 3, max: 6 },
            ],
          },
        },
      ],
    }),
  },
  {
    description: 'Check an existing service, whose family may be its own',
    example: yaml.stringify({
      steps: [
        {
          id: 'check',
          action: 'immutable-infra:onboarding:check',
          name: 'Check the parameters',
          input: {
            family: 'storefront-web',
            entityRef: 'component:default/storefront-web',
            existingService: true,
            baseFamily: 'base-ubuntu',
          },
        },
      ],
    }),
  },
];
