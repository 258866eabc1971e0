import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Put a component's annotations in its catalog-info.yaml, then propose them as a pull request",
    example: yaml.stringify({
      steps: [
        {
          id: 'annotate',
          action: 'immutable-infra:catalog-info:annotate',
          name: 'Annotate catalog-info.yaml',
          input: {
            entityRef: 'component:default/storefront-web',
            annotations: {
              'immutable-infra.io/image-family': 'storefront-web',
              'immutable-infra.io/fleet-selector': 'service=storefront-web',
              'immutable-infra.io/environments': 'staging,production',
            },
          },
        },
        {
          id: 'pull-request',
          action: 'publish:github:pull-request',
          name: 'Propose the change',
          if: "${{ steps.annotate.output.provider === 'github' }}",
          input: {
            repoUrl: '${{ steps.annotate.output.repoUrl }}',
            targetBranchName: '${{ steps.annotate.output.branch }}',
            branchName: 'immutable-infra/enroll',
            title: 'Enroll in Immutable Infra',
            description: 'Adds the immutable-infra.io annotations.',
          },
        },
      ],
    }),
  },
];
