import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Config } from '@backstage/config';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CloudAccessError } from '../ImageProvider';

/** @internal */
export type AwsClientOptions = {
  /** EC2-compatible emulator endpoint; unset for real AWS. */
  endpoint?: string;
  /** Attempts per call, throttling retried with backoff. Defaults to 3. */
  maxAttempts?: number;
  /** Time limit of one request. Defaults to 30 seconds. */
  requestTimeoutMs?: number;
};

/**
 * Builds SDK clients per region and account, with credentials from
 * `@backstage/integration-aws-node` and bounded time per call.
 *
 * @internal
 */
export class AwsClientFactory {
  static fromConfig(config: Config): AwsClientFactory {
    return new AwsClientFactory(
      DefaultAwsCredentialsManager.fromConfig(config),
      {
        endpoint: config.getOptionalString('immutableInfra.aws.endpoint'),
        maxAttempts: config.getOptionalNumber('immutableInfra.aws.maxAttempts'),
      },
    );
  }

  private readonly ec2 = new Map<string, EC2Client>();
  private readonly autoscaling = new Map<string, AutoScalingClient>();
  private readonly elb = new Map<string, ElasticLoadBalancingV2Client>();
  private readonly cloudwatch = new Map<string, CloudWatchClient>();
  private readonly logs = new Map<string, CloudWatchLogsClient>();
  private readonly ssm = new Map<string, SSMClient>();
  private readonly sqs = new Map<string, SQSClient>();

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

  /** One client per account and region, made when first asked for. */
  private async cached<T>(
    clients: Map<string, T>,
    Client: new (
      config: Awaited<ReturnType<AwsClientFactory['clientConfig']>>,
    ) => T,
    region: string,
    account?: string,
  ): Promise<T> {
    const key = `${account ?? 'main'}/${region}`;
    if (!clients.has(key)) {
      clients.set(key, new Client(await this.clientConfig(region, account)));
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
}
