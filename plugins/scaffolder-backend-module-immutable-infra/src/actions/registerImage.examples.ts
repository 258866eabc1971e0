import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Register the image Packer just built, from its manifest',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'immutable-infra:image:register',
          name: 'Register the image',
          input: {
            family: 'payments-api',
            manifestPath: 'packer/manifest.json',
          },
        },
      ],
    }),
  },
  {
    description: 'Register explicit AMIs with their commit',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'immutable-infra:image:register',
          name: 'Register the image',
          input: {
            family: 'payments-api',
            artifacts: [
              { region: 'us-east-1', imageId: 'ami-0123456789abcdef0' },
            ],
            gitCommit: '4f2a9c1',
            buildUrl: 'https://ci.example.com/payments-api/builds/42',
          },
        },
      ],
    }),
  },
];
