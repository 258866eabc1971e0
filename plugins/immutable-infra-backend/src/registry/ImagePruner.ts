import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ImageVersion,
  KeepReason,
  PruneResult,
} from '@immutable-infra/backstage-plugin-common';
import { RegistryStores } from './RegistryStores';
import {
  groupByLocation,
  ImageProvider,
  ImageUse,
} from '../providers/ImageProvider';

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 500;

function describeUses(uses: ImageUse[]): KeepReason[] {
  const reasons: KeepReason[] = [];
  const instances = uses.filter(u => u.kind === 'instance');
  if (instances.length > 0) {
    const shown = instances.slice(0, 3).map(u => u.id);
    reasons.push({
      kind: 'instance',
      detail: `runs on ${instances.length} instance${
        instances.length === 1 ? '' : 's'
      }: ${shown.join(', ')}${instances.length > 3 ? ', …' : ''}`,
    });
  }
  for (const use of uses) {
    if (use.kind === 'launch-template') {
      reasons.push({
        kind: 'launch-template',
        detail: `in launch template ${use.name ?? use.id} (${use.id}) version ${
          use.version
        }`,
      });
    } else if (use.kind === 'autoscaling-group') {
      reasons.push({
        kind: 'autoscaling-group',
        detail: `launched by Auto Scaling group ${use.name}`,
      });
    } else if (use.kind === 'launch-permission') {
      const shown = use.grantees.slice(0, 3).join(', ');
      const others = `${use.grantees.length} other account${
        use.grantees.length === 1 ? '' : 's'
      } or organization${use.grantees.length === 1 ? '' : 's'} (${shown}${
        use.grantees.length > 3 ? ', …' : ''
      })`;
      reasons.push({
        kind: 'shared',
        detail: use.public
          ? 'public: anyone may launch it'
          : `shared with ${others}, who may launch it`,
      });
    }
  }
  return reasons;
}

/**
 * Proposes and executes pruning of old image versions. A version is pruned
 * only when it is beyond the newest `keepVersions`, older than `minAgeDays`,
 * on no channel, and EC2 reports no instance, launch template version,
 * Auto Scaling group or launch permission for another account using any of
 * its AMIs. When EC2 cannot be asked, the
 * version is kept.
 *
 * @internal
 */
export class ImagePruner {
  constructor(
    private readonly options: {
      stores: RegistryStores;
      provider: ImageProvider;
      logger: LoggerService;
    },
  ) {}

  async prune(request: {
    families: string[];
    keepVersions: number;
    minAgeDays: number;
    dryRun: boolean;
    actor: string;
  }): Promise<PruneResult> {
    const result: PruneResult = {
      dryRun: request.dryRun,
      keepVersions: request.keepVersions,
      minAgeDays: request.minAgeDays,
      pruned: [],
      kept: [],
      failed: [],
    };
    const candidates: ImageVersion[] = [];
    const now = Date.now();

    for (const family of request.families) {
      const versions = await this.unpruned(family);
      versions.forEach((version, rank) => {
        const reasons: KeepReason[] = [];
        if (rank < request.keepVersions) {
          reasons.push({
            kind: 'newest',
            detail: `one of the ${request.keepVersions} newest versions of ${family}`,
          });
        }
        const ageDays = (now - Date.parse(version.createdAt)) / DAY_MS;
        if (ageDays < request.minAgeDays) {
          reasons.push({
            kind: 'young',
            detail: `built ${Math.floor(ageDays)} days ago; pruning needs ${
              request.minAgeDays
            }`,
          });
        }
        for (const channel of version.channels) {
          reasons.push({
            kind: 'channel',
            detail: `assigned to the ${channel} channel`,
          });
        }
        if (reasons.length > 0) {
          result.kept.push({ id: version.id, reasons });
        } else {
          candidates.push(version);
        }
      });
    }

    const inUse = await this.findUses(candidates);
    for (const version of candidates) {
      const reasons = version.artifacts.flatMap(
        a => inUse.get(`${a.region}/${a.imageId}`) ?? [],
      );
      if (reasons.length > 0) {
        result.kept.push({ id: version.id, reasons });
        continue;
      }
      if (request.dryRun) {
        result.pruned.push({
          id: version.id,
          artifacts: version.artifacts.map(a => ({
            region: a.region,
            imageId: a.imageId,
          })),
        });
        continue;
      }
      // A channel may have been pointed at it since the check above.
      const fresh = await this.options.stores.versions.getVersion({
        family: version.family,
        version: version.version,
      });
      if (
        !fresh ||
        fresh.state === 'pruned' ||
        fresh.channels.some(c => c !== 'latest')
      ) {
        result.kept.push({
          id: version.id,
          reasons: (fresh?.channels ?? []).map(channel => ({
            kind: 'channel' as const,
            detail: `assigned to the ${channel} channel`,
          })),
        });
        continue;
      }
      const deleted: {
        region: string;
        imageId: string;
        deletedSnapshots: string[];
      }[] = [];
      const errors: string[] = [];
      for (const artifact of version.artifacts) {
        try {
          const answer = await this.options.provider.deleteImage({
            region: artifact.region,
            account: artifact.account,
            imageId: artifact.imageId,
          });
          deleted.push({
            region: artifact.region,
            imageId: artifact.imageId,
            deletedSnapshots: answer.deletedSnapshots,
          });
          errors.push(...answer.snapshotErrors);
        } catch (error) {
          errors.push(`${artifact.region}/${artifact.imageId}: ${error}`);
        }
      }
      // Record what happened even when only part of it did, so that no AMI
      // disappears without an audit event; a retry finds the rest.
      const complete = deleted.length === version.artifacts.length;
      await this.options.stores.lifecycle.markPruned({
        version,
        actor: request.actor,
        deleted,
        complete,
        errors,
      });
      if (complete) {
        result.pruned.push({ id: version.id, artifacts: deleted });
        this.options.logger.info(
          `Pruned ${version.id}: ${deleted.map(d => d.imageId).join(', ')}`,
        );
      }
      if (errors.length > 0) {
        result.failed.push({ id: version.id, error: errors.join('; ') });
        this.options.logger.warn(`Pruning ${version.id}: ${errors.join('; ')}`);
      }
    }
    return result;
  }

  private async unpruned(family: string): Promise<ImageVersion[]> {
    const versions: ImageVersion[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.options.stores.versions.listVersions({
        family,
        cursor,
        limit: PAGE,
      });
      versions.push(...page.items.filter(v => v.state !== 'pruned'));
      cursor = page.nextCursor;
    } while (cursor);
    return versions;
  }

  /**
   * Asks EC2 once per region and account what uses the candidates' AMIs.
   * A region that cannot be asked keeps all of its candidates.
   */
  private async findUses(
    candidates: ImageVersion[],
  ): Promise<Map<string, KeepReason[]>> {
    const reasons = new Map<string, KeepReason[]>();
    for (const group of groupByLocation(candidates.flatMap(v => v.artifacts))) {
      try {
        const uses = await this.options.provider.findImageUses(group);
        for (const [imageId, list] of uses) {
          reasons.set(`${group.region}/${imageId}`, describeUses(list));
        }
      } catch (error) {
        for (const imageId of group.imageIds) {
          reasons.set(`${group.region}/${imageId}`, [
            {
              kind: 'unchecked',
              detail: `its use in ${group.region} could not be checked: ${error}`,
            },
          ]);
        }
      }
    }
    return reasons;
  }
}
