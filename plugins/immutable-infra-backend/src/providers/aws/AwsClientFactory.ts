import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { Config } from '@backstage/config';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CloudAccessError } from '../ImageProvider';
import { AwsRateLimiter, readRateLimitOptions } from './AwsRateLimiter';
import {
  OrganizationAccounts,
  OrganizationCredentialsManager,
  readOrganizationOptions,
} from './OrganizationAccounts';

/** Any SDK client: its middleware stack is what the limiter hooks into. */
type PacedClient = {
  middlewareStack: { addRelativeTo(middleware: any, options: any): void };
};

/** @internal */
export type AwsClientOptions = {
  /** EC2-compatible emulator endpoint; unset for real AWS. */
  endpoint?: string;
  /** Attempts per call, throttling retried with backoff. Defaults to 3. */
  maxAttempts?: number;
  /** Time limit of one request. Defaults to 30 seconds. */
  requestTimeoutMs?: number;
  /**
   * Paces every call of every client per account and Region (read and
   * mutating buckets, a share of EC2's documented budget). Unset: calls are
   * not paced (tests that build a factory by hand).
   */
  rateLimiter?: AwsRateLimiter;
};

/**
 * Builds SDK clients per region and account, with credentials from
 * `@backstage/integration-aws-node` and bounded time per call.
 *
 * @internal
 */
export class AwsClientFactory {
  static fromConfig(config: Config): AwsClientFactory {
    const endpoint = config.getOptionalString('immutableInfra.aws.endpoint');
    const organization = readOrganizationOptions(config);
    const base = DefaultAwsCredentialsManager.fromConfig(config);
    const members =
      organization &&
      OrganizationCredentialsManager.fromConfig(config, { organization, base });
    const factory = new AwsClientFactory(members ?? base, {
      endpoint,
      maxAttempts: config.getOptionalNumber('immutableInfra.aws.maxAttempts'),
      rateLimiter: new AwsRateLimiter(readRateLimitOptions(config)),
    });
    if (organization && members) {
      factory.organization = new OrganizationAccounts({
        clients: factory,
        credentials: members,
        organization,
        defaultRegions: config.getOptionalStringArray(
          'immutableInfra.aws.regions',
        ),
      });
    }
    return factory;
  }

  /**
   * The accounts of `immutableInfra.aws.organization`, when configured: the
   * sync runs `discover()` and reads each account's status from it.
   */
  organization?: OrganizationAccounts;

  private readonly ec2 = new Map<string, EC2Client>();
  private readonly autoscaling = new Map<string, AutoScalingClient>();
  private readonly elb = new Map<string, ElasticLoadBalancingV2Client>();
  private readonly cloudwatch = new Map<string, CloudWatchClient>();
  private readonly logs = new Map<string, CloudWatchLogsClient>();
  private readonly ssm = new Map<string, SSMClient>();
  private readonly sqs = new Map<string, SQSClient>();
  private readonly organizations = new Map<string, OrganizationsClient>();
  private readonly sts = new Map<string, STSClient>();
  /**
   * The main account's ID once known (organization discovery asks STS):
   * calls made for the main account without naming it then share its
   * limiter buckets with calls that name it.
   */
  mainAccountId?: string;

  constructor(
    private readonly credentials: AwsCredentialsManager,
    private readonly options: AwsClientOptions = {},
  ) {}

  private async clientConfig(region: string, account?: string) {
    let provider;
    try {
      provider = await this.credentials.getCredentialProvider(
        account ? { accountId: account } : undefined,
      );
    } catch (error) {
      // No credentials for the account (not in aws.accounts, no
      // accountDefaults role, not the main account), or the main account's
      // own identity could not be found out.
      throw new CloudAccessError(
        `no credentials for ${
          account ? `account ${account}` : 'the main account'
        }: ${(error as Error).message}`,
      );
    }
    return {
      region,
      endpoint: this.options.endpoint,
      credentials: provider.sdkCredentialProvider,
      maxAttempts: this.options.maxAttempts ?? 3,
      retryMode: 'adaptive',
      // Every call is bounded: a request that takes longer fails (and is
      // retried like any other failure) instead of waiting forever.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 5_000,
        requestTimeout: this.options.requestTimeoutMs ?? 30_000,
        throwOnRequestTimeout: true,
        socketTimeout: this.options.requestTimeoutMs ?? 30_000,
      }),
    };
  }

  /**
   * Every call of the client, each attempt included, first waits for a token
   * of its account and Region (after the retry step, before signing, so a
   * retried call pays again, as EC2 counts it, and a wait never ages a
   * signature).
   */
  private paced<T extends PacedClient>(
    client: T,
    region: string,
    account?: string,
  ): T {
    const limiter = this.options.rateLimiter;
    if (limiter) {
      client.middlewareStack.addRelativeTo(
        (next: any, context: any) => async (args: any) => {
          await limiter.acquire({
            account: account ?? this.mainAccountId ?? 'main',
            region,
            commandName: String(context?.commandName ?? ''),
          });
          return next(args);
        },
        {
          name: 'immutableInfraRateLimitMiddleware',
          relation: 'before',
          toMiddleware: 'httpSigningMiddleware',
          override: true,
        },
      );
    }
    return client;
  }

  /** One client per account and region, made when first asked for. */
  private async cached<T extends PacedClient>(
    clients: Map<string, T>,
    Client: new (
      config: Awaited<ReturnType<AwsClientFactory['clientConfig']>>,
    ) => T,
    region: string,
    account?: string,
  ): Promise<T> {
    const key = `${account ?? 'main'}/${region}`;
    if (!clients.has(key)) {
      clients.set(
        key,
        this.paced(
          new Client(await this.clientConfig(region, account)),
          region,
          account,
        ),
      );
    }
    return clients.get(key)!;
  }

  async ec2Client(region: string, account?: string): Promise<EC2Client> {
    return this.cached(this.ec2, EC2Client, region, account);
  }

  async autoScalingClient(
    region: string,
    account?: string,
  ): Promise<AutoScalingClient> {
    return this.cached(this.autoscaling, AutoScalingClient, region, account);
  }

  async elbClient(
    region: string,
    account?: string,
  ): Promise<ElasticLoadBalancingV2Client> {
    return this.cached(this.elb, ElasticLoadBalancingV2Client, region, account);
  }

  async cloudWatchClient(
    region: string,
    account?: string,
  ): Promise<CloudWatchClient> {
    return this.cached(this.cloudwatch, CloudWatchClient, region, account);
  }

  async sqsClient(region: string, account?: string): Promise<SQSClient> {
    return this.cached(this.sqs, SQSClient, region, account);
  }

  async cloudWatchLogsClient(
    region: string,
    account?: string,
  ): Promise<CloudWatchLogsClient> {
    return this.cached(this.logs, CloudWatchLogsClient, region, account);
  }

  async ssmClient(region: string, account?: string): Promise<SSMClient> {
    return this.cached(this.ssm, SSMClient, region, account);
  }

  /**
   * The main account's Organizations client. Organizations answers in one
   * Region per partition, `us-east-1` for the `aws` partition
   * (https://docs.aws.amazon.com/general/latest/gr/ao.html).
   */
  async organizationsClient(
    region = 'us-east-1',
  ): Promise<OrganizationsClient> {
    return this.cached(this.organizations, OrganizationsClient, region);
  }

  /** STS of an account (the main one when unnamed), e.g. `GetCallerIdentity`. */
  async stsClient(region = 'us-east-1', account?: string): Promise<STSClient> {
    return this.cached(this.sts, STSClient, region, account);
  }

  /**
   * Drops the clients made for an account, so the next call asks for its
   * credentials again (e.g. after its role was refused).
   */
  forgetAccount(account: string) {
    for (const clients of [
      this.ec2,
      this.autoscaling,
      this.elb,
      this.cloudwatch,
      this.logs,
      this.ssm,
      this.sqs,
      this.organizations,
      this.sts,
    ] as Map<string, unknown>[]) {
      for (const key of [...clients.keys()]) {
        if (key.startsWith(`${account}/`)) {
          clients.delete(key);
        }
      }
    }
  }
}
