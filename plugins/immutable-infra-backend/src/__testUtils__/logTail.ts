import { readFileSync } from 'node:fs';

/**
 * The last lines of a process's log file, to say why it failed; empty when
 * there is no file yet. Also used by scripts/lib/production-replicas.mjs.
 */
export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}
