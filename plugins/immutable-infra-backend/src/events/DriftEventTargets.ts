import { parseImmutableInfraAnnotations } from '@immutable-infra/backstage-plugin-common';
import { EntitySnapshotStore } from '../catalog/EntitySnapshotStore';
import { FleetResourceIndex } from '../fleet/FleetResourceIndex';
import { DriftEventLookup } from '../providers/DriftEventProvider';
import { ImageLocation } from '../providers/ImageProvider';
import { Touch } from './driftEvents';

/** What the consumer reads of an enrolled entity's annotations. */
type Enrolled = {
  entityRef: string;
  selector: { key: string; value: string }[];
  launchTemplate?: string;
  autoscalingGroups: string[];
};

/** How long the enrolled entities read once serve the batches that follow. */
const ENROLLED_TTL_MS = 10_000;

/**
 * Which enrolled entities an event touches: from the stored inventory
 * first, and for what it does not hold yet (an instance launched since the
 * last sync, a security group's instances) from the cloud, matched against
 * each entity's fleet selector as fleet sync matches them.
 *
 * @internal
 */
export class DriftEventTargets {
  private enrolled: { at: number; list: Promise<Enrolled[]> } | undefined;

  constructor(
    private readonly options: {
      index: FleetResourceIndex;
      snapshots: EntitySnapshotStore;
      lookup: DriftEventLookup;
      now?: () => number;
    },
  ) {}

  async entitiesOf(touch: Touch, location: ImageLocation): Promise<string[]> {
    switch (touch.kind) {
      case 'instances':
        return this.entitiesOfInstances(touch.instanceIds, location);
      case 'securityGroup':
        return this.entitiesOfInstances(
          await this.options.lookup.instancesInSecurityGroup(location, touch),
          location,
        );
      case 'autoscalingGroup': {
        const [stored, enrolled] = await Promise.all([
          this.options.index.entitiesOfAutoScalingGroup({
            region: location.region,
            name: touch.name,
          }),
          this.enrolledEntities(),
        ]);
        return unique([
          ...stored,
          ...enrolled
            .filter(e => e.autoscalingGroups.includes(touch.name))
            .map(e => e.entityRef),
        ]);
      }
      case 'launchTemplate': {
        const [stored, enrolled] = await Promise.all([
          this.options.index.entitiesOfLaunchTemplate({
            region: location.region,
            launchTemplateId: touch.id,
          }),
          this.enrolledEntities(),
        ]);
        return unique([
          ...stored,
          ...enrolled
            .filter(
              e =>
                e.launchTemplate !== undefined &&
                (e.launchTemplate === touch.id ||
                  e.launchTemplate === touch.name),
            )
            .map(e => e.entityRef),
        ]);
      }
      default:
        return [];
    }
  }

  private async entitiesOfInstances(
    instanceIds: string[],
    location: ImageLocation,
  ): Promise<string[]> {
    if (instanceIds.length === 0) {
      return [];
    }
    const stored = await this.options.index.entitiesOfInstances({
      region: location.region,
      instanceIds,
    });
    const known = new Set(stored.map(s => s.instanceId));
    const unknown = instanceIds.filter(id => !known.has(id));
    const found = stored.map(s => s.entityRef);
    if (unknown.length > 0) {
      // Not in the inventory yet: the entity whose selector its tags match.
      const [tagged, enrolled] = await Promise.all([
        this.options.lookup.instanceTags(location, unknown),
        this.enrolledEntities(),
      ]);
      for (const { tags } of tagged) {
        for (const entity of enrolled) {
          if (entity.selector.every(({ key, value }) => tags[key] === value)) {
            found.push(entity.entityRef);
          }
        }
      }
    }
    return unique(found);
  }

  private enrolledEntities(): Promise<Enrolled[]> {
    const now = this.options.now?.() ?? Date.now();
    if (!this.enrolled || now - this.enrolled.at > ENROLLED_TTL_MS) {
      const list = this.options.snapshots.listSnapshots().then(rows =>
        rows.flatMap(row => {
          const { annotations, errors } = parseImmutableInfraAnnotations({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: row.name,
              annotations: JSON.parse(row.annotations),
            },
          });
          if (!annotations.imageFamily || errors.length > 0) {
            return [];
          }
          return [
            {
              entityRef: row.entity_ref,
              selector: annotations.fleetSelector,
              launchTemplate: annotations.launchTemplate,
              autoscalingGroups: Object.values(
                annotations.autoscalingGroups ?? {},
              ),
            },
          ];
        }),
      );
      this.enrolled = { at: now, list };
      // A failed read is not kept: the next batch asks again.
      list.catch(() => {
        this.enrolled = undefined;
      });
    }
    return this.enrolled.list;
  }
}

function unique(refs: string[]): string[] {
  return [...new Set(refs)].sort();
}
