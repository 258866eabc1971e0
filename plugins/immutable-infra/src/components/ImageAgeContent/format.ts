import { DateTime } from 'luxon';

/** Age in whole days. */
export function ageInDays(iso: string, now = Date.now()): number {
  return Math.floor((now - Date.parse(iso)) / 86_400_000);
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

/** A link to a commit, when the repository is a web URL. */
export function commitUrl(
  gitRepo: string | undefined,
  commit: string | undefined,
): string | undefined {
  if (!gitRepo || !commit || !/^https?:\/\//.test(gitRepo)) {
    return undefined;
  }
  return `${gitRepo.replace(/\.git$/, '').replace(/\/$/, '')}/commit/${commit}`;
}
