import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import {
  Account,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { Config, ConfigReader } from '@backstage/config';
import {
  AwsCredentialProvider,
  AwsCredentialProviderOptions,
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { AwsClientFactory } from './AwsClientFactory';

/** `immutableInfra.aws.organization`, validated. @internal */
export type OrganizationOptions = {
  /** Role assumed in every member account (`arn:aws:iam::<account>:role/<roleName>`). */
  roleName: string;
  /** External ID the role's trust policy asks for. */
  externalId?: string;
  /** Regions looked at, intersected with each account's enabled Regions. */
  regions?: string[];
  /** Organizational units (or the root `r-...`) whose accounts are listed, nested OUs included; all accounts when unset. */
  includeOUs?: string[];
  /** Account IDs never listed. */
  excludeAccounts?: string[];
};

const ACCOUNT_ID = /^\d{12}$/;

const organizationSchema = z.object({
  // IAM role names: 1-64 of [\w+=,.@-], optionally under a path
  // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
  roleName: z
    .string()
    .min(1)
    .max(512)
    .regex(/^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, 'must be an IAM role name'),
  // sts:AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:\/-]
  // (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
  externalId: z
    .string()
    .min(2)
    .max(1224)
    .regex(/^[\w+=,.@:/-]+$/, 'must be an STS external ID')
    .optional(),
  regions: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a Region'))
    .min(1)
    .max(64)
    .optional(),
  includeOUs: z
    .array(
      z
        .string()
        .regex(
          /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
          'must be an organizational unit (ou-...) or root (r-...) ID',
        ),
    )
    .max(1000)
    .optional(),
  excludeAccounts: z
    .array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit account ID'))
    .max(10_000)
    .optional(),
});

/**
 * Reads `immutableInfra.aws.organization`; undefined when not configured. A
 * value that does not validate stops the start.
 *
 * @internal
 */
export function readOrganizationOptions(
  config: Config,
): OrganizationOptions | undefined {
  const raw = config.getOptional('immutableInfra.aws.organization');
  if (raw === undefined) {
    return undefined;
  }
  const parsed = organizationSchema.strict().safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Invalid immutableInfra.aws.organization: ${parsed.error.issues
        .map(issue => `${issue.path.join('.') || 'value'} ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/** One account of the organization as the last discovery found it. @internal */
export type OrganizationAccountStatus =
  | { id: string; name?: string; regions: string[]; status: 'ok' }
  | { id: string; name?: string; status: 'unreachable'; error: string };

/** What a discovery found. @internal */
export type OrganizationDiscovery = {
  accounts: OrganizationAccountStatus[];
  /** Accounts listed but left out: suspended or closed, or excluded by config. */
  skipped: { id: string; reason: 'suspended' | 'excluded' }[];
  /** When the discovery finished (ISO 8601). */
  discoveredAt: string;
};

/**
 * Credentials for the accounts of the organization: the role
 * `immutableInfra.aws.organization.roleName` assumed from the main account,
 * through `@backstage/integration-aws-node` with the semantics of
 * `aws.accountDefaults` (an account listed in `aws.accounts` keeps its own
 * credentials). Accounts the organization does not list get the app's own
 * `aws` credentials, as without an organization. An account whose role
 * could not be assumed at the last discovery answers its reason at once, so
 * every entity naming it fails with that reason and nothing else does.
 *
 * @internal
 */
export class OrganizationCredentialsManager implements AwsCredentialsManager {
  static fromConfig(
    config: Config,
    options: {
      organization: OrganizationOptions;
      base: AwsCredentialsManager;
    },
  ): OrganizationCredentialsManager {
    const aws = (config.getOptionalConfig('aws')?.get() ?? {}) as JsonObject;
    const defaults = (aws.accountDefaults ?? {}) as JsonObject;
    const members = DefaultAwsCredentialsManager.fromConfig(
      new ConfigReader({
        aws: {
          ...aws,
          accountDefaults: {
            // The STS Region and partition of the app's own defaults, if any.
            ...(defaults.region ? { region: defaults.region } : {}),
            ...(defaults.partition ? { partition: defaults.partition } : {}),
            roleName: options.organization.roleName,
            ...(options.organization.externalId
              ? { externalId: options.organization.externalId }
              : {}),
          },
        },
      }),
    );
    return new OrganizationCredentialsManager(options.base, members);
  }

  private readonly listed = new Set<string>();
  private readonly unreachable = new Map<string, string>();
  private mainAccountId?: string;

  constructor(
    private readonly base: AwsCredentialsManager,
    private readonly members: AwsCredentialsManager,
  ) {}

  /** Records what a discovery found: the accounts listed, and the refusals. */
  admit(discovery: OrganizationDiscovery) {
    this.listed.clear();
    this.unreachable.clear();
    for (const account of discovery.accounts) {
      this.listed.add(account.id);
      if (account.status === 'unreachable') {
        this.unreachable.set(account.id, account.error);
      }
    }
  }

  /**
   * The main identity's own account: reached with the main credentials, not
   * the organization's role (StackSets with service-managed permissions, the
   * usual way to deploy the role, skip the management account).
   */
  setMainAccount(accountId: string) {
    this.mainAccountId = accountId;
  }

  /** Lets an account be tried with the organization's role before it is listed. */
  tryAccount(accountId: string) {
    this.listed.add(accountId);
    this.unreachable.delete(accountId);
  }

  async getCredentialProvider(
    opts?: AwsCredentialProviderOptions,
  ): Promise<AwsCredentialProvider> {
    const accountId = opts?.accountId;
    if (accountId && accountId === this.mainAccountId) {
      return this.base.getCredentialProvider();
    }
    if (!accountId || !this.listed.has(accountId)) {
      return this.base.getCredentialProvider(opts);
    }
    const refused = this.unreachable.get(accountId);
    if (refused !== undefined) {
      throw new Error(
        `the organization role of account ${accountId} could not be assumed at the last discovery: ${refused}`,
      );
    }
    return this.members.getCredentialProvider(opts);
  }
}

const MAX_ERROR = 500;

function isActive(account: Account): boolean {
  // `State` supersedes `Status` (ACTIVE, SUSPENDED, PENDING_CLOSURE; State
  // adds PENDING_ACTIVATION and CLOSED):
  // https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
  return (account.State ?? account.Status) === 'ACTIVE';
}

/**
 * The accounts of an AWS organization and their Regions, read with the main
 * account's credentials (Organizations `ListAccounts`, or
 * `ListAccountsForParent` under the configured OUs, paged) and, per account,
 * EC2 `DescribeRegions` with the assumed role.
 *
 * @internal
 */
export class OrganizationAccounts {
  private last?: OrganizationDiscovery;
  private mainAccountId?: string;

  constructor(
    private readonly options: {
      clients: AwsClientFactory;
      credentials: OrganizationCredentialsManager;
      organization: OrganizationOptions;
      /** Regions when the organization names none (`immutableInfra.aws.regions`). */
      defaultRegions?: string[];
      /** Accounts looked at once. Defaults to 4. */
      concurrency?: number;
    },
  ) {}

  /** The last discovery, if one finished. */
  latest(): OrganizationDiscovery | undefined {
    return this.last;
  }

  /** How the last discovery found one account; undefined when not listed. */
  status(accountId: string): OrganizationAccountStatus | undefined {
    return this.last?.accounts.find(account => account.id === accountId);
  }

  /** Lists the organization's accounts and finds each one's Regions. */
  async discover(): Promise<OrganizationDiscovery> {
    const { organization } = this.options;
    if (!this.mainAccountId) {
      // Needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
      const sts = await this.options.clients.stsClient();
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      if (!identity.Account) {
        throw new Error('STS GetCallerIdentity named no account');
      }
      this.mainAccountId = identity.Account;
      this.options.credentials.setMainAccount(identity.Account);
      this.options.clients.mainAccountId = identity.Account;
    }
    const client = await this.options.clients.organizationsClient();
    const listed = new Map<string, Account>();
    if (organization.includeOUs?.length) {
      for (const ou of organization.includeOUs) {
        await this.listUnder(client, ou, listed);
      }
    } else {
      let NextToken: string | undefined;
      do {
        const page = await client.send(new ListAccountsCommand({ NextToken }));
        for (const account of page.Accounts ?? []) {
          if (account.Id) listed.set(account.Id, account);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    }

    const excluded = new Set(organization.excludeAccounts ?? []);
    const skipped: OrganizationDiscovery['skipped'] = [];
    const members: Account[] = [];
    for (const account of [...listed.values()].sort((a, b) =>
      a.Id!.localeCompare(b.Id!),
    )) {
      if (excluded.has(account.Id!)) {
        skipped.push({ id: account.Id!, reason: 'excluded' });
      } else if (!isActive(account)) {
        skipped.push({ id: account.Id!, reason: 'suspended' });
      } else {
        members.push(account);
      }
    }

    const limit = pLimit(this.options.concurrency ?? 4);
    const accounts = await Promise.all(
      members.map(account => limit(() => this.reach(account))),
    );
    const discovery: OrganizationDiscovery = {
      accounts,
      skipped,
      discoveredAt: new Date().toISOString(),
    };
    this.options.credentials.admit(discovery);
    for (const account of accounts) {
      if (account.status === 'unreachable') {
        // Its clients would keep retrying the refused role: the next ask
        // answers the refusal at once instead.
        this.options.clients.forgetAccount(account.id);
      }
    }
    this.last = discovery;
    return discovery;
  }

  /** Accounts directly under a parent and under its OUs, depth first. */
  private async listUnder(
    client: OrganizationsClient,
    parentId: string,
    into: Map<string, Account>,
  ) {
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new ListAccountsForParentCommand({ ParentId: parentId, NextToken }),
      );
      for (const account of page.Accounts ?? []) {
        if (account.Id) into.set(account.Id, account);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    const children: string[] = [];
    do {
      const page = await client.send(
        new ListOrganizationalUnitsForParentCommand({
          ParentId: parentId,
          NextToken,
        }),
      );
      for (const ou of page.OrganizationalUnits ?? []) {
        if (ou.Id) children.push(ou.Id);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    for (const child of children) {
      await this.listUnder(client, child, into);
    }
  }

  /** Assumes the account's role (through its EC2 client) and reads its Regions. */
  private async reach(account: Account): Promise<OrganizationAccountStatus> {
    const id = account.Id!;
    const name = account.Name;
    const wanted = this.options.organization.regions ??
      this.options.defaultRegions ?? ['us-east-1'];
    if (id !== this.mainAccountId) {
      this.options.credentials.tryAccount(id);
    }
    try {
      const ec2 = await this.options.clients.ec2Client(wanted[0], id);
      // Without AllRegions EC2 answers only the Regions enabled for the
      // account; an opt-in Region still `not-opted-in` is skipped all the
      // same should it show
      // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html).
      const answer = await ec2.send(new DescribeRegionsCommand({}));
      const enabled = new Set(
        (answer.Regions ?? [])
          .filter(region => region.OptInStatus !== 'not-opted-in')
          .map(region => region.RegionName!)
          .filter(Boolean),
      );
      return {
        id,
        name,
        status: 'ok',
        regions: wanted.filter(region => enabled.has(region)),
      };
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      return {
        id,
        name,
        status: 'unreachable',
        error: message.slice(0, MAX_ERROR),
      };
    }
  }
}

/**
 * The sync's status line about the organization, e.g.
 * `organization: 18 accounts reachable, 1 unreachable (111122223333: ...), 2 skipped (1 suspended, 1 excluded)`.
 *
 * @internal
 */
export function organizationStatusLine(discovery: OrganizationDiscovery) {
  const ok = discovery.accounts.filter(a => a.status === 'ok').length;
  const unreachable = discovery.accounts.flatMap(a =>
    a.status === 'unreachable' ? [`${a.id}: ${a.error}`] : [],
  );
  const suspended = discovery.skipped.filter(
    s => s.reason === 'suspended',
  ).length;
  const excluded = discovery.skipped.length - suspended;
  return [
    `organization: ${ok} accounts reachable`,
    unreachable.length
      ? `${unreachable.length} unreachable (${unreachable.join('; ')})`
      : '0 unreachable',
    `${discovery.skipped.length} skipped (${suspended} suspended, ${excluded} excluded)`,
  ].join(', ');
}

/**
 * Runs before each full fleet sync when `immutableInfra.aws.organization` is
 * set: discovers the accounts and logs the status line. A discovery that
 * fails as a whole (Organizations unreachable or refusing) is logged and
 * the last one found stays in force: the sync goes on either way.
 *
 * @internal
 */
export async function discoverOrganization(
  clients: Pick<AwsClientFactory, 'organization'>,
  logger: LoggerService,
): Promise<OrganizationDiscovery | undefined> {
  if (!clients.organization) {
    return undefined;
  }
  try {
    const discovery = await clients.organization.discover();
    const line = organizationStatusLine(discovery);
    if (discovery.accounts.some(a => a.status === 'unreachable')) {
      logger.warn(line);
    } else {
      logger.info(line);
    }
    return discovery;
  } catch (error) {
    logger.warn(
      `organization: accounts could not be listed, the last discovery stays in force: ${
        (error as Error)?.message ?? String(error)
      }`,
    );
    return clients.organization.latest();
  }
}
