import { DateTime } from 'luxon';

/** "3 days ago", from an ISO timestamp. */
export function relative(iso: string): string {
  return DateTime.fromISO(iso).toRelative() ?? iso;
}

/** Age in whole days. */
export function ageInDays(iso: string, now = Date.now()): number {
  return Math.floor((now - Date.parse(iso)) / 86_400_000);
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
