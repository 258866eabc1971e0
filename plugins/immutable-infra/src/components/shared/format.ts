import {
  GIT_COMMIT_PATTERN,
  isHttpUrl,
} from '@immutable-infra/backstage-plugin-common';
import { DateTime } from 'luxon';

const DAY_MS = 86_400_000;

/** Age in whole days. */
export function ageInDays(iso: string, now = Date.now()): number {
  return Math.floor((now - Date.parse(iso)) / DAY_MS);
}

/**
 * "50 days ago" from an ISO timestamp: whole days, since image age is
 * judged in days; "3 hours ago" within the first day.
 */
export function relative(iso: string): string {
  const days = ageInDays(iso);
  if (days >= 1) {
    return `${days} day${days === 1 ? '' : 's'} ago`;
  }
  return DateTime.fromISO(iso).toRelative() ?? iso;
}

/**
 * A length of time in seconds, in its largest whole unit: "45 s",
 * "12 min", "3 h", "2 d"; a dash when unknown.
 */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined) {
    return '—';
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min`;
  }
  if (seconds < 86_400) {
    return `${Math.round(seconds / 3600)} h`;
  }
  return `${Math.round(seconds / 86_400)} d`;
}

/** "42 d" for a number of days; a dash when unknown. */
export function dayCount(n: number | undefined): string {
  return n === undefined ? '—' : `${n} d`;
}

/**
 * A link to a commit, when the repository is an http(s) URL (not an SSH
 * remote or a bare name) and the commit a SHA. Stored data may predate the
 * backend's validation, so both are checked with the rules it uses.
 */
export function commitUrl(
  gitRepo: string | undefined,
  commit: string | undefined,
): string | undefined {
  if (
    !gitRepo ||
    !commit ||
    !isHttpUrl(gitRepo) ||
    !GIT_COMMIT_PATTERN.test(commit)
  ) {
    return undefined;
  }
  return `${gitRepo.replace(/\/$/, '').replace(/\.git$/, '')}/commit/${commit}`;
}

/**
 * What went wrong, in the backend's words where it gave them: a failed call
 * carries the backend's own error as its `cause`, under a generic "Request
 * failed with 409 Conflict".
 */
export function errorMessage(error: unknown): string {
  return (
    (error as { cause?: { message?: string } }).cause?.message ??
    (error as Error).message
  );
}
