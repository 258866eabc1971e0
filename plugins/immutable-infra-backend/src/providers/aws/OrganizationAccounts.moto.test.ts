import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTestDatabases } from '../../__testUtils__/databases';
import { migrateForTests } from '../../__testUtils__/migrate';
import { MotoServer, startMoto } from '../../__testUtils__/moto';
import { DatabaseEntitySnapshotStore } from '../../catalog/EntitySnapshotStore';
import { DatabaseFleetStore } from '../../fleet/DatabaseFleetStore';
import { FleetSync } from '../../fleet/FleetSync';
import { Ec2FleetProvider } from './Ec2FleetProvider';
import { AwsClientFactory } from './AwsClientFactory';
import {
  discoverOrganization,
  organizationStatusLine,
  readOrganizationOptions,
} from './OrganizationAccounts';

const databases = createTestDatabases();

jest.setTimeout(120_000);

const MAIN = '123456789012'; // moto's default account
const ROLE = 'backstage-reader';
const EXTERNAL_ID = 'immutable-infra';
const setup = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const readerPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }],
});

/**
 * Organizations state is global to a moto server: this file runs its own.
 * The refusal is moto's own: with IAM authorization on (`/moto-api/reset-auth`)
 * moto checks the caller's identity policy against the role ARN of
 * `sts:AssumeRole`, and an explicit Deny there refuses with AccessDenied,
 * as AWS does (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * moto does not read a role's trust policy across accounts, so the refusal
 * is modelled on the caller's side rather than by the member's trust policy.
 */
describe('accounts from AWS Organizations (moto)', () => {
  let moto: MotoServer;
  let accounts: Record<string, string>;
  let appsOu: string;
  let backstageKeys: { accessKeyId: string; secretAccessKey: string };
  const previousStsEndpoint = process.env.AWS_ENDPOINT_URL_STS;

  beforeAll(async () => {
    moto = await startMoto();
    const endpoint = moto.endpoint;
    const region = 'us-east-1';
    const orgs = new OrganizationsClient({
      endpoint,
      region,
      credentials: setup,
    });
    await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    accounts = {};
    for (const name of ['alpha', 'beta', 'closed', 'refused', 'excluded']) {
      const created = await orgs.send(
        new CreateAccountCommand({
          AccountName: name,
          Email: `${name}@example.com`,
        }),
      );
      accounts[name] = created.CreateAccountStatus!.AccountId!;
    }
    await orgs.send(new CloseAccountCommand({ AccountId: accounts.closed }));
    // apps (alpha) > team (beta), under the root.
    const root = (await orgs.send(new ListRootsCommand({}))).Roots![0].Id!;
    appsOu = (
      await orgs.send(
        new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'apps' }),
      )
    ).OrganizationalUnit!.Id!;
    const teamOu = (
      await orgs.send(
        new CreateOrganizationalUnitCommand({ ParentId: appsOu, Name: 'team' }),
      )
    ).OrganizationalUnit!.Id!;
    for (const [account, ou] of [
      [accounts.alpha, appsOu],
      [accounts.beta, teamOu],
    ]) {
      await orgs.send(
        new MoveAccountCommand({
          AccountId: account,
          SourceParentId: root,
          DestinationParentId: ou,
        }),
      );
    }

    // The reader role in every member account (moto makes IAM objects in
    // the account whose credentials ask: here a session in the member).
    const sts = new STSClient({ endpoint, region, credentials: setup });
    // None in the management account: the portal reaches it with its own
    // credentials.
    for (const id of Object.values(accounts)) {
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${id}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'setup',
        }),
      );
      const credentials = {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      };
      const iam = new IAMClient({ endpoint, region, credentials });
      await iam.send(
        new CreateRoleCommand({
          RoleName: ROLE,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${MAIN}:user/backstage` },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
              },
            ],
          }),
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: ROLE,
          PolicyName: 'reader',
          PolicyDocument: readerPolicy,
        }),
      );
    }

    // The portal's own identity in the management account.
    const iam = new IAMClient({ endpoint, region, credentials: setup });
    await iam.send(new CreateUserCommand({ UserName: 'backstage' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'backstage',
        PolicyName: 'portal',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'organizations:ListAccounts',
                'organizations:ListAccountsForParent',
                'organizations:ListOrganizationalUnitsForParent',
                'ec2:DescribeRegions',
                'ec2:DescribeInstances',
                'sts:AssumeRole',
              ],
              Resource: '*',
            },
            {
              // The refusal: this account's role may not be assumed.
              Effect: 'Deny',
              Action: 'sts:AssumeRole',
              Resource: `arn:aws:iam::${accounts.refused}:role/${ROLE}`,
            },
          ],
        }),
      }),
    );
    const key = await iam.send(
      new CreateAccessKeyCommand({ UserName: 'backstage' }),
    );
    backstageKeys = {
      accessKeyId: key.AccessKey!.AccessKeyId!,
      secretAccessKey: key.AccessKey!.SecretAccessKey!,
    };

    // From here on moto authorizes every request against IAM.
    const auth = await fetch(`${endpoint}/moto-api/reset-auth`, {
      method: 'POST',
      body: '0',
    });
    if (!auth.ok) {
      throw new Error(`moto did not turn IAM authorization on: ${auth.status}`);
    }
    // The AWS integration's STS client takes no endpoint of its own: the
    // SDK reads the service's endpoint from the environment.
    process.env.AWS_ENDPOINT_URL_STS = endpoint;
  });

  afterAll(async () => {
    if (previousStsEndpoint === undefined) {
      delete process.env.AWS_ENDPOINT_URL_STS;
    } else {
      process.env.AWS_ENDPOINT_URL_STS = previousStsEndpoint;
    }
    await moto?.stop();
  });

  function clients(organization: Record<string, unknown>) {
    return AwsClientFactory.fromConfig(
      new ConfigReader({
        aws: { mainAccount: backstageKeys },
        immutableInfra: {
          aws: {
            endpoint: moto.endpoint,
            maxAttempts: 1,
            organization: {
              roleName: ROLE,
              externalId: EXTERNAL_ID,
              ...organization,
            },
          },
        },
      }),
    );
  }

  it('lists the active accounts with their Regions, and reports the one whose role is refused', async () => {
    const factory = clients({
      // A Region of another partition is never enabled for these accounts.
      regions: ['us-east-1', 'eu-west-1', 'us-isob-east-1'],
      excludeAccounts: [accounts.excluded],
    });
    const discovery = await factory.organization!.discover();

    const byId = new Map(discovery.accounts.map(a => [a.id, a]));
    for (const [id, name] of [
      [MAIN, undefined],
      [accounts.alpha, 'alpha'],
      [accounts.beta, 'beta'],
    ]) {
      expect(byId.get(id!)).toMatchObject({
        id,
        status: 'ok',
        regions: ['us-east-1', 'eu-west-1'],
        ...(name ? { name } : {}),
      });
    }
    const refused = byId.get(accounts.refused);
    expect(refused).toMatchObject({ status: 'unreachable' });
    expect(refused && 'error' in refused && refused.error).toMatch(
      /not authorized|AccessDenied|access denied/i,
    );
    expect(discovery.accounts).toHaveLength(4);
    expect(discovery.skipped).toEqual(
      expect.arrayContaining([
        { id: accounts.closed, reason: 'suspended' },
        { id: accounts.excluded, reason: 'excluded' },
      ]),
    );
    expect(discovery.skipped).toHaveLength(2);
    expect(organizationStatusLine(discovery)).toMatch(
      new RegExp(
        `^organization: 3 accounts reachable, 1 unreachable \\(${accounts.refused}: .+\\), 2 skipped \\(1 suspended, 1 excluded\\)$`,
      ),
    );
  });

  it('gives the reachable accounts working clients and the refused one its reason, at once', async () => {
    const factory = clients({ regions: ['us-east-1'] });
    await factory.organization!.discover();

    const alpha = await factory.ec2Client('us-east-1', accounts.alpha);
    const answer = await alpha.send(new DescribeInstancesCommand({}));
    expect(answer.Reservations ?? []).toEqual([]);

    // What fleet sync meets for an entity naming the refused account: a
    // CloudAccessError with the reason, for that account only.
    await expect(
      factory.ec2Client('us-east-1', accounts.refused),
    ).rejects.toThrow(
      new RegExp(
        `no credentials for account ${accounts.refused}: the organization role of account ${accounts.refused} could not be assumed at the last discovery`,
      ),
    );
    expect(factory.organization!.status(accounts.refused)).toMatchObject({
      status: 'unreachable',
    });
  });

  it('fails in a fleet sync only the entities naming the refused account, with the reason', async () => {
    // Nothing excluded: the excluded account is reachable here.
    const factory = clients({ regions: ['us-east-1'] });
    const logger = mockServices.logger.mock();
    await discoverOrganization(factory, logger);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        new RegExp(
          `^organization: 4 accounts reachable, 1 unreachable \\(${accounts.refused}: `,
        ),
      ),
    );

    const knex = await databases.init('SQLITE_3');
    await migrateForTests(knex);
    const component = (name: string, account: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: {
          'immutable-infra.io/image-family': name,
          'immutable-infra.io/aws-account-id': account,
        },
      },
      spec: { type: 'service', owner: 'group:default/team' },
    });
    const sync = new FleetSync({
      catalog: catalogServiceMock({
        entities: [
          component('web', accounts.alpha),
          component('ledger', accounts.beta),
          component('billing', accounts.refused),
        ] as any,
      }),
      auth: mockServices.auth(),
      fleet: DatabaseFleetStore.create({ knex }),
      snapshots: DatabaseEntitySnapshotStore.create({ knex }),
      providerFactory: () => new Ec2FleetProvider(factory),
      logger: mockServices.logger.mock(),
      regions: ['us-east-1'],
      environmentTag: 'environment',
    });
    const results = await sync.run();
    const byRef = new Map(results.map(r => [r.entityRef, r]));
    expect(byRef.get('component:default/web')).toMatchObject({ status: 'ok' });
    expect(byRef.get('component:default/ledger')).toMatchObject({
      status: 'ok',
    });
    expect(byRef.get('component:default/billing')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        `the organization role of account ${accounts.refused} could not be assumed at the last discovery: User: arn:aws:iam::${MAIN}:user/backstage is not authorized to perform: sts:AssumeRole`,
      ),
    });
  });

  it('lists only the accounts under the configured organizational units, nested ones included', async () => {
    const factory = clients({ regions: ['us-east-1'], includeOUs: [appsOu] });
    const discovery = await factory.organization!.discover();
    expect(discovery.accounts.map(a => a.id).sort()).toEqual(
      [accounts.alpha, accounts.beta].sort(),
    );
    expect(discovery.accounts.every(a => a.status === 'ok')).toBe(true);
    expect(discovery.skipped).toEqual([]);
  });
});

describe('immutableInfra.aws.organization', () => {
  it('validates the configuration', () => {
    const read = (organization: unknown) =>
      readOrganizationOptions(
        new ConfigReader({ immutableInfra: { aws: { organization } } } as any),
      );
    expect(
      read({ roleName: 'reader', excludeAccounts: ['111122223333'] }),
    ).toEqual({ roleName: 'reader', excludeAccounts: ['111122223333'] });
    expect(() => read({})).toThrow(/roleName/);
    expect(() => read({ roleName: 'reader', excludeAccounts: ['1'] })).toThrow(
      /12-digit/,
    );
    expect(() => read({ roleName: 'reader', includeOUs: ['sales'] })).toThrow(
      /organizational unit/,
    );
    expect(() => read({ roleName: 'reader', regions: ['mars'] })).toThrow(
      /Region/,
    );
    expect(() => read({ roleName: 'a b' })).toThrow(/IAM role name/);
    expect(
      readOrganizationOptions(new ConfigReader({ immutableInfra: {} })),
    ).toBeUndefined();
  });
});
