import { Entity } from '@backstage/catalog-model';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ImageVersion,
  ImmutableInfraApi,
} from '@immutable-infra/backstage-plugin-common';
import { screen } from '@testing-library/react';
import { immutableInfraApiRef } from '../../../api';
import { ImageAgeContent } from '../ImageAgeContent';

/** A service enrolled in the payments-api family. */
export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': 'payments-api' },
  },
  spec: {},
};

/** An ISO timestamp `days` days ago. */
export const daysAgo = (days: number) =>
  new Date(Date.now() - days * 86_400_000).toISOString();

/** Version `n` of the family, registered from a pipeline `30 - n` days ago. */
export function version(
  n: number,
  extra: Partial<ImageVersion> = {},
): ImageVersion {
  return {
    id: `payments-api@${n}`,
    family: 'payments-api',
    version: n,
    fingerprint: `abcdef${n}`,
    digest: `${n}`.repeat(64).slice(0, 64),
    gitCommit: `abcdef${n}000`,
    gitRepo: 'https://git.example.com/payments',
    buildUrl: `https://ci.example.com/${n}`,
    source: 'registered',
    state: 'active',
    createdAt: daysAgo(30 - n),
    artifacts: [{ provider: 'aws', region: 'us-east-1', imageId: `ami-0${n}` }],
    channels: [],
    ...extra,
  };
}

/** The client calls the tab makes, each a jest mock. */
export type FakeApi = { [K in keyof ImmutableInfraApi]?: jest.Mock };

/** Three versions (v1 revoked), channels, their history and a fleet. */
export function fakeApi(): FakeApi {
  return {
    listEntityImages: jest.fn().mockResolvedValue({
      family: 'payments-api',
      items: [
        version(3, { channels: ['latest', 'staging'] }),
        version(2, {
          channels: ['production'],
          ancestry: {
            status: 'out-of-date',
            detail: 'built on base@1; base@2 is newer',
          },
        }),
        version(1, {
          state: 'revoked',
          revokeReason: 'CVE-2026-1',
          revokedBy: 'user:default/ada',
        }),
      ],
      nextCursor: undefined,
    }),
    listChannels: jest.fn().mockResolvedValue([
      { name: 'latest', managed: true, version: 'payments-api@3' },
      {
        name: 'production',
        managed: false,
        version: 'payments-api@2',
        updatedAt: daysAgo(1),
        updatedBy: 'user:default/grace',
      },
      {
        name: 'staging',
        managed: false,
        version: 'payments-api@3',
        updatedAt: daysAgo(1),
        updatedBy: 'user:default/grace',
      },
    ]),
    getChannelHistory: jest.fn().mockResolvedValue({
      items: [
        {
          id: '2',
          channel: 'production',
          from: 'payments-api@1',
          to: 'payments-api@2',
          actor: 'user:default/grace',
          kind: 'assign',
          at: daysAgo(1),
        },
        {
          id: '1',
          channel: 'production',
          to: 'payments-api@1',
          actor: 'user:default/grace',
          kind: 'assign',
          at: daysAgo(20),
        },
      ],
    }),
    revokeImage: jest
      .fn()
      .mockResolvedValue({ changed: [version(3, { state: 'revoked' })] }),
    restoreImage: jest.fn().mockResolvedValue({ changed: [version(1)] }),
    getImageAge: jest.fn().mockResolvedValue({
      entityRef: 'component:default/payments-api',
      policyDays: 30,
      environments: [
        {
          environment: 'staging',
          instances: 2,
          medianDays: 3,
          p95Days: 3,
          maxDays: 3,
          policyDays: 30,
          withinPolicy: true,
        },
        {
          environment: 'production',
          instances: 3,
          medianDays: 42,
          p95Days: 42,
          maxDays: 42,
          policyDays: 30,
          withinPolicy: false,
        },
      ],
      versionsInUse: [
        {
          imageId: 'ami-02',
          version: 'payments-api@2',
          ageDays: 42,
          instances: 3,
        },
      ],
      sync: { status: 'ok', stale: false, lastSuccessAt: daysAgo(0) },
    }),
    rollbackChannel: jest.fn().mockResolvedValue({
      changed: true,
      channel: {
        name: 'production',
        managed: false,
        version: 'payments-api@1',
      },
    }),
  };
}

/** The tab for the entity, for a user allowed every action or none. */
export function render(api: FakeApi, allowed = true) {
  // Permission answers are cached per entity: a denied user sees another one.
  const shown = allowed
    ? entity
    : {
        ...entity,
        metadata: { ...entity.metadata, name: 'payments-api-denied' },
      };
  return renderInTestApp(
    <EntityProvider entity={shown}>
      <ImageAgeContent />
    </EntityProvider>,
    {
      apis: [
        [immutableInfraApiRef, api],
        mockApis.permission({
          authorize: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }),
      ],
    },
  );
}

/** A version's row in the versions table. */
export async function versionRow(n: number): Promise<HTMLElement> {
  const cell = await screen.findByText(`v${n}`, { exact: true });
  return cell.closest('tr')!;
}
