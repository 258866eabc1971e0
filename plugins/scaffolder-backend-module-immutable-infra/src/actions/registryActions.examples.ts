import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

function example(description: string, step: Record<string, unknown>) {
  return { description, example: yaml.stringify({ steps: [step] }) };
}

export const registerExamples: TemplateExample[] = [
  example('Register the image Packer just built, from its manifest', {
    id: 'register',
    action: 'immutable-infra:image:register',
    name: 'Register the image',
    input: { family: 'payments-api', manifestPath: 'packer/manifest.json' },
  }),
  example('Register explicit AMIs with their commit', {
    id: 'register',
    action: 'immutable-infra:image:register',
    name: 'Register the image',
    input: {
      family: 'payments-api',
      artifacts: [{ region: 'us-east-1', imageId: 'ami-0123456789abcdef0' }],
      gitCommit: '4f2a9c1',
      buildUrl: 'https://ci.example.com/payments-api/builds/42',
    },
  }),
];

export const assignExamples: TemplateExample[] = [
  example('Promote the new version to staging', {
    id: 'assign',
    action: 'immutable-infra:channel:assign',
    name: 'Assign to staging',
    input: {
      family: 'payments-api',
      channel: 'staging',
      version: '${{ steps.register.output.version }}',
    },
  }),
];

export const revokeExamples: TemplateExample[] = [
  example('Revoke a vulnerable version and everything built on it', {
    id: 'revoke',
    action: 'immutable-infra:image:revoke',
    name: 'Revoke',
    input: {
      image: 'base-ubuntu@12',
      reason: 'CVE-2026-1234 in openssl',
      descendants: true,
    },
  }),
];

export const pruneExamples: TemplateExample[] = [
  example('See what pruning would remove (dry run)', {
    id: 'prune',
    action: 'immutable-infra:images:prune',
    name: 'Prune (dry run)',
    input: { family: 'payments-api' },
  }),
  example('Prune for real, keeping ten versions', {
    id: 'prune',
    action: 'immutable-infra:images:prune',
    name: 'Prune',
    input: { family: 'payments-api', keepVersions: 10, dryRun: false },
  }),
];
