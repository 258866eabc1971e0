import { createMockDirectory } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import { startImmutableInfraBackend } from '../__testUtils__/backend';
import { createEnrollAction } from './enroll';
import {
  createAssignChannelAction,
  createPruneImagesAction,
  createRegisterImageAction,
  createRevokeImageAction,
} from './registryActions';

const manifest = {
  builds: [
    {
      name: 'payments',
      builder_type: 'amazon-ebs',
      build_time: 1764000000,
      files: null,
      artifact_id: 'us-east-1:ami-0123456789abcdef0',
      packer_run_uuid: 'run-1',
      custom_data: { git_commit: '4f2a9c1' },
    },
  ],
  last_run_uuid: 'run-1',
};

describe('registry actions against the real backend plugin', () => {
  async function setup(options?: { deny?: boolean }) {
    const deps = await startImmutableInfraBackend({
      entities: ['payments-api'],
      ...options,
    });
    await createEnrollAction(deps).handler(
      createMockActionContext({
        input: {
          family: 'payments-api',
          entityRef: 'component:default/payments-api',
        },
      }),
    );
    return {
      register: createRegisterImageAction(deps),
      assign: createAssignChannelAction(deps),
      revoke: createRevokeImageAction(deps),
      prune: createPruneImagesAction(deps),
    };
  }

  it('registers from a manifest file in the workspace, assigns, revokes and prunes (dry run)', async () => {
    const { register, assign, revoke, prune } = await setup();
    const workspace = createMockDirectory({
      content: { 'packer/manifest.json': JSON.stringify(manifest) },
    });
    const registered = createMockActionContext({
      input: { family: 'payments-api', manifestPath: 'packer/manifest.json' },
      workspacePath: workspace.path,
    });
    await register.handler(registered);
    expect(registered.output).toHaveBeenCalledWith('id', 'payments-api@1');
    expect(registered.output).toHaveBeenCalledWith('created', true);
    expect(registered.output).toHaveBeenCalledWith('imageIds', [
      'ami-0123456789abcdef0',
    ]);

    const explicit = createMockActionContext({
      input: {
        family: 'payments-api',
        artifacts: [{ region: 'eu-west-1', imageId: 'ami-0fedcba9876543210' }],
        gitCommit: '5e3b0d2',
        parent: 'payments-api@1',
      },
    });
    await register.handler(explicit);
    expect(explicit.output).toHaveBeenCalledWith('version', 2);

    const assigned = createMockActionContext({
      input: { family: 'payments-api', channel: 'staging', version: 2 },
    });
    await assign.handler(assigned);
    expect(assigned.output).toHaveBeenCalledWith('version', 'payments-api@2');
    expect(assigned.output).toHaveBeenCalledWith('changed', true);

    const revoked = createMockActionContext({
      input: {
        image: 'ami-0123456789abcdef0',
        reason: 'CVE-2026-1',
        descendants: true,
      },
    });
    await revoke.handler(revoked);
    expect(revoked.output).toHaveBeenCalledWith('revoked', [
      'payments-api@2',
      'payments-api@1',
    ]);

    const pruned = createMockActionContext({
      input: { family: 'payments-api', dryRun: true },
    });
    await prune.handler(pruned);
    expect(pruned.output).toHaveBeenCalledWith('dryRun', true);
    expect(pruned.output).toHaveBeenCalledWith('pruned', []);
    expect(pruned.output).toHaveBeenCalledWith('kept', [
      {
        id: 'payments-api@2',
        reasons: [
          'one of the 5 newest versions of payments-api',
          'built 0 days ago; pruning needs 7',
          'assigned to the staging channel',
        ],
      },
      {
        id: 'payments-api@1',
        reasons: ['one of the 5 newest versions of payments-api'],
      },
    ]);
  });

  it('fails with what is wrong: a bad manifest, a revoked version, a missing image', async () => {
    const { register, assign, revoke } = await setup();
    await expect(
      register.handler(
        createMockActionContext({
          input: { family: 'payments-api', manifest: { builds: [] } },
        }),
      ),
    ).rejects.toThrow(
      'The manifest is not one Packer’s manifest post-processor writes',
    );
    await register.handler(
      createMockActionContext({ input: { family: 'payments-api', manifest } }),
    );
    await revoke.handler(
      createMockActionContext({
        input: { image: 'payments-api@1', reason: 'bad', descendants: false },
      }),
    );
    await expect(
      assign.handler(
        createMockActionContext({
          input: { family: 'payments-api', channel: 'production', version: 1 },
        }),
      ),
    ).rejects.toThrow(
      'Assigning the channel failed: payments-api@1 is revoked and cannot be assigned to a channel (HTTP 409)',
    );
    await expect(
      revoke.handler(
        createMockActionContext({
          input: { image: 'payments-api@9', reason: 'x', descendants: false },
        }),
      ),
    ).rejects.toThrow(
      'Revoking the image failed: No image payments-api@9 is registered (HTTP 404)',
    );
  });

  it('refuses when the user may not act', async () => {
    const deps = await startImmutableInfraBackend({ deny: true });
    await expect(
      createPruneImagesAction(deps).handler(
        createMockActionContext({ input: { dryRun: false } }),
      ),
    ).rejects.toThrow(
      'Pruning images failed: You may not prune images (HTTP 403)',
    );
  });

  it.each([
    ['register', createRegisterImageAction],
    ['assign', createAssignChannelAction],
    ['revoke', createRevokeImageAction],
    ['prune', createPruneImagesAction],
  ])(
    'documents %s examples that name the action and valid inputs',
    async (_name, create) => {
      const action = create(await startImmutableInfraBackend());
      expect(action.examples?.length).toBeGreaterThan(0);
      for (const { example } of action.examples ?? []) {
        const step = yaml.parse(example).steps[0];
        expect(step.action).toBe(action.id);
        expect(Object.keys(step.input).length).toBeGreaterThan(0);
      }
    },
  );
});
