import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  EntitySummary,
  ImmutableInfraApi,
} from '@immutable-infra/backstage-plugin-common';
import { fireEvent, screen } from '@testing-library/react';
import { immutableInfraApiRef } from '../../api';
import { ImmutabilityContent } from './ImmutabilityContent';

const enrolledEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': 'payments-api' },
  },
  spec: {},
};

const summary: EntitySummary = {
  entityRef: 'component:default/payments-api',
  enrolled: true,
  annotations: {
    imageFamily: 'payments-api',
    fleetSelector: [{ key: 'immutable-infra:service', value: 'payments-api' }],
    environments: ['staging', 'production'],
    autoscalingGroups: { staging: 'pay-stg', production: 'pay-prod' },
    stateful: true,
    logDestination: 'cloudwatch:/aws/ec2/payments-api',
  },
};

function render(entity: Entity, api: Partial<ImmutableInfraApi>) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <ImmutabilityContent />
    </EntityProvider>,
    {
      apis: [
        [
          immutableInfraApiRef,
          {
            listAuditEvents: jest.fn().mockResolvedValue({ items: [] }),
            ...api,
          },
        ],
      ],
    },
  );
}

describe('ImmutabilityContent', () => {
  it('shows the enrolment and the blueprint of an enrolled entity', async () => {
    const getEntitySummary = jest.fn().mockResolvedValue({
      ...summary,
      family: {
        name: 'payments-api',
        entityRef: 'component:default/payments-api',
        createdAt: '2026-11-01T10:00:00.000Z',
      },
    });
    await render(enrolledEntity, { getEntitySummary });

    expect(await screen.findByText('Enrolled')).toBeInTheDocument();
    expect(
      screen.getByText(/is registered to this service since/),
    ).toBeInTheDocument();
    expect(screen.getByText('staging → production')).toBeInTheDocument();
    expect(
      screen.getByText('staging: pay-stg, production: pay-prod'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('yes: replacement needs approval'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('cloudwatch:/aws/ec2/payments-api'),
    ).toBeInTheDocument();
    expect(getEntitySummary).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    });
  });

  it('shows the level, each check with evidence and fix, and versions per environment', async () => {
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockResolvedValue({
        ...summary,
        family: {
          name: 'payments-api',
          entityRef: 'component:default/payments-api',
          createdAt: '2026-11-01T10:00:00.000Z',
        },
        fleet: {
          score: {
            score: 80,
            level: 'silver',
            checks: [
              {
                id: 'no-ssh',
                title: 'No SSH: no port 22, no key pairs',
                weight: 10,
                status: 'fail',
                evidence: '2 findings: i-1 allows SSH',
                fix: 'Close port 22',
              },
              {
                id: 'logs-off-host',
                title: 'Logs shipped off-host',
                weight: 10,
                status: 'pass',
                evidence: 'logs go to cloudwatch:/x',
                fix: 'Declare it',
              },
            ],
          },
          counts: { critical: 0, high: 2, medium: 0, low: 0 },
          instances: 3,
          sync: {
            status: 'ok',
            stale: false,
            lastSuccessAt: '2026-11-26T08:00:00.000Z',
          },
          environments: [
            {
              environment: 'production',
              channelVersion: 'payments-api@4',
              running: [
                { imageId: 'ami-4', version: 'payments-api@4', instances: 3 },
              ],
            },
          ],
          oldestImageDays: 10,
        },
      }),
    });
    expect(
      await screen.findByText('Immutability: silver (80/100)'),
    ).toBeInTheDocument();
    expect(screen.getByText('2 findings: i-1 allows SSH')).toBeInTheDocument();
    expect(screen.getByText('Close port 22')).toBeInTheDocument();
    expect(screen.queryByText('Declare it')).not.toBeInTheDocument();
    expect(screen.getByText('payments-api@4 × 3')).toBeInTheDocument();
    // A fresh inventory carries no mark.
    expect(screen.queryByText(/last sync failed/)).not.toBeInTheDocument();
  });

  it('marks a stale inventory with the age of its figures and the error', async () => {
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockResolvedValue({
        ...summary,
        fleet: {
          score: { score: 30, level: 'none', checks: [] },
          counts: { critical: 0, high: 1, medium: 0, low: 0 },
          instances: 3,
          sync: {
            status: 'failed',
            stale: true,
            lastAttemptAt: new Date().toISOString(),
            lastSuccessAt: new Date(Date.now() - 5 * 86_400_000).toISOString(),
            error: 'ExpiredToken: the role session expired',
          },
          environments: [],
        },
      }),
    });
    expect(
      await screen.findByText(
        'Error: This inventory is stale: the last sync failed',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'ExpiredToken: the role session expired The figures shown are from the sync 5 days ago.',
      ),
    ).toBeInTheDocument();
  });

  it('says when the family is not registered yet', async () => {
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockResolvedValue(summary),
    });
    expect(
      await screen.findByText('Enrolled, family not registered'),
    ).toBeInTheDocument();
    expect(screen.getByText(/is not registered yet/)).toBeInTheDocument();
  });

  it('says when another entity owns the family', async () => {
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockResolvedValue({
        ...summary,
        familyOwnedBy: 'component:default/other',
      }),
    });
    expect(
      await screen.findByText(/component:default\/other, not to this service/),
    ).toBeInTheDocument();
  });

  it('shows the backend error, e.g. a malformed annotation', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'InputError',
          message:
            'Entity component:default/payments-api has malformed annotations: immutable-infra.io/stateful="yes" must be "true" or "false"',
        },
        request: { method: 'GET', url: '/summary' },
        response: { statusCode: 400 },
      }),
      { status: 400, headers: { 'Content-Type': 'application/json' } },
    );
    const error = await ResponseError.fromResponse(response);
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockRejectedValue(error),
    });
    expect(
      await screen.findByText(/must be "true" or "false"/),
    ).toBeInTheDocument();
  });

  it('explains the missing annotation for an entity that is not enrolled', async () => {
    const getEntitySummary = jest.fn();
    await render(
      { ...enrolledEntity, metadata: { name: 'storefront-web' } },
      { getEntitySummary },
    );
    expect(await screen.findByText(/is missing/)).toBeInTheDocument();
    expect(
      screen.getAllByText('immutable-infra.io/image-family').length,
    ).toBeGreaterThan(0);
    expect(getEntitySummary).not.toHaveBeenCalled();
  });

  it('lists the activity newest first, with who and why, and loads more', async () => {
    const listAuditEvents = jest
      .fn()
      .mockResolvedValueOnce({
        items: [
          {
            id: '9',
            actor: 'user:default/grace',
            action: 'image.revoke',
            entityRef: 'component:default/payments-api',
            subject: 'payments-api@3',
            payload: { reason: 'CVE-2026-1234' },
            at: new Date().toISOString(),
          },
          {
            id: '8',
            actor: 'user:default/ada',
            action: 'channel.assign',
            subject: 'payments-api/production',
            payload: { to: 'payments-api@4' },
            at: new Date().toISOString(),
          },
        ],
        nextCursor: '8',
      })
      .mockResolvedValueOnce({
        items: [
          {
            id: '1',
            actor: 'user:default/ada',
            action: 'family.enroll',
            subject: 'payments-api',
            at: '2026-10-01T10:00:00.000Z',
          },
        ],
      });
    await render(enrolledEntity, {
      getEntitySummary: jest.fn().mockResolvedValue(summary),
      listAuditEvents,
    });
    expect(
      await screen.findByText('revoked payments-api@3 · reason: CVE-2026-1234'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'pointed the channel payments-api/production at payments-api@4',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('user:default/grace')).toBeInTheDocument();

    fireEvent.click(screen.getByText('Load more'));
    expect(
      await screen.findByText('enrolled the image family payments-api'),
    ).toBeInTheDocument();
    expect(listAuditEvents).toHaveBeenLastCalledWith(
      { kind: 'Component', namespace: 'default', name: 'payments-api' },
      { cursor: '8', limit: 10 },
    );
    expect(screen.queryByText('Load more')).not.toBeInTheDocument();
  });
});
