import {
  ImageFamily,
  ImageVersion,
} from '@immutable-infra/backstage-plugin-common';
import { Timestamp, toIso } from '../database/timestamps';

/** @internal */
export type FamilyRow = {
  name: string;
  entity_ref: string;
  created_at: Timestamp;
  /** The highest number handed out. */
  last_version: number;
};

/** @internal */
export type VersionRow = {
  id: number | string;
  family: string;
  version: number;
  fingerprint: string;
  digest: string;
  git_repo: string | null;
  git_commit: string | null;
  build_url: string | null;
  packer_run_uuid: string | null;
  parent: string | null;
  parent_version_id: number | string | null;
  source: 'registered' | 'discovered';
  state: ImageVersion['state'];
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
  revoked_by: string | null;
  missing_since: Timestamp | null;
  created_at: Timestamp;
};

/** @internal */
export type ArtifactRow = {
  version_id: number | string;
  provider: string;
  account: string | null;
  region: string;
  image_id: string;
};

/** @internal */
export type ChannelRow = {
  family: string;
  name: string;
  version_id: number | string;
  updated_at: Timestamp;
  updated_by: string;
};

/** @internal */
export type AssignmentRow = {
  id: number | string;
  family: string;
  channel: string;
  from_version_id: number | string | null;
  to_version_id: number | string;
  actor: string;
  kind: 'assign' | 'rollback';
  reason: string | null;
  at: Timestamp;
};

/** States a channel may point at. @internal */
export const USABLE_STATES: ImageVersion['state'][] = ['active', 'deprecated'];

/** @internal */
export function toFamily(row: FamilyRow): ImageFamily {
  return {
    name: row.name,
    entityRef: row.entity_ref,
    createdAt: toIso(row.created_at),
  };
}

/** A version's id: `<family>@<version>`. @internal */
export function versionRef(row: { family: string; version: number }): string {
  return `${row.family}@${row.version}`;
}

/**
 * A page cursor: the number or id the next page starts below. A cursor that
 * is not one starts from the beginning.
 *
 * @internal
 */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  return /^\d+$/.test(cursor) ? Number(cursor) : 0;
}

/** A page of a list. @internal */
export type Page<T> = { items: T[]; nextCursor?: string };
