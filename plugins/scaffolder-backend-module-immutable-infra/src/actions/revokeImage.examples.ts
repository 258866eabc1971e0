import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Revoke a vulnerable version and everything built on it',
    example: yaml.stringify({
      steps: [
        {
          id: 'revoke',
          action: 'immutable-infra:image:revoke',
          name: 'Revoke',
          input: {
            image: 'base-ubuntu@12',
            reason: 'CVE-2026-1234 in openssl',
            descendants: true,
          },
        },
      ],
    }),
  },
];
