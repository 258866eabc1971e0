import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { ImageArtifactInput } from '@immutable-infra/backstage-plugin-common';
import {
  CloudAccessError,
  groupByLocation,
  ImageProvider,
  RegionNotEnabledError,
} from '../providers/ImageProvider';

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      await work(items[next++]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker),
  );
}

/**
 * Checks that every artifact of a registration is an image its account owns
 * in its region, so a typo, a wrong region or another account's AMI answers
 * 400 instead of entering the registry (and later failing to prune). The
 * check fails closed: when EC2 cannot be asked the registration answers 503
 * (retryable), unless the operator turned verification off
 * (`immutableInfra.registration.verifyArtifacts: false`) for a portal with
 * no AWS access.
 *
 * @internal
 */
export class ArtifactVerifier {
  constructor(
    private readonly options: {
      provider: ImageProvider;
      logger: LoggerService;
      enabled: boolean;
      /** Regions (of an account) asked at once. */
      concurrency: number;
    },
  ) {}

  async verify(artifacts: ImageArtifactInput[]): Promise<void> {
    if (!this.options.enabled) {
      return;
    }
    const notOwned: string[] = [];
    const unaskable: string[] = [];
    const unreachable: string[] = [];
    await eachLimited(
      groupByLocation(artifacts),
      this.options.concurrency,
      async group => {
        const owner = group.account
          ? `account ${group.account}`
          : 'the main account';
        let owned: Set<string>;
        try {
          owned = await this.options.provider.findOwnedImages(group);
        } catch (error) {
          if (error instanceof RegionNotEnabledError) {
            unaskable.push(
              `${group.imageIds.join(', ')}: ${
                group.region
              } is not enabled for ${owner}`,
            );
          } else if (error instanceof CloudAccessError && group.account) {
            // Naming an account the portal cannot ask must not be a way
            // around the check.
            unaskable.push(
              `${group.imageIds.join(', ')} in ${group.region}: ${
                error.message
              }; configure credentials for ${owner} (aws.accounts) or correct the artifact's account`,
            );
          } else {
            this.options.logger.warn(
              `Could not check that ${group.imageIds.join(
                ', ',
              )} are images of ${owner} in ${group.region}: ${error}`,
            );
            unreachable.push(`${group.region} (${owner}): ${error}`);
          }
          return;
        }
        const unknown = group.imageIds.filter(id => !owned.has(id));
        if (unknown.length > 0) {
          notOwned.push(`${unknown.join(', ')} in ${group.region} (${owner})`);
        }
      },
    );
    const problems = [
      notOwned.length > 0
        ? `Not images of the account in that region: ${notOwned
            .sort()
            .join(
              '; ',
            )}. Check the AMI id, the region and the account of each artifact.`
        : '',
      unaskable.length > 0
        ? `Cannot check the AMIs of ${unaskable.sort().join('; ')}.`
        : '',
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new InputError(problems.join(' '));
    }
    if (unreachable.length > 0) {
      throw new ServiceUnavailableError(
        `Cannot check the AMIs with EC2, so nothing was registered; try again. ${unreachable
          .sort()
          .join('; ')}`,
      );
    }
  }
}
