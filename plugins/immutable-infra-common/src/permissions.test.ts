import fs from 'node:fs';
import path from 'node:path';
import { Permission } from '@backstage/plugin-permission-common';
import * as permissionsModule from './permissions';
import { immutableInfraPermissions } from './permissions';

// The permission list against the module's exports (what plugin.ts registers
// is the list) and against the tables that document the permissions.

const ROOT = path.resolve(__dirname, '../../..');

const isPermission = (value: unknown): value is Permission =>
  typeof value === 'object' &&
  value !== null &&
  ['type', 'name', 'attributes'].every(key => key in value);

/** `name resourceType` of each permission, sorted. */
const described = (permissions: Permission[]) =>
  permissions
    .map(p => `${p.name} ${'resourceType' in p ? p.resourceType : 'none'}`)
    .sort();

/**
 * The rows of the table under the `## Permissions` heading of a Markdown
 * file, as `name resourceType` (`none` where the cell names no resource
 * type), sorted.
 */
function documented(file: string): string[] {
  const markdown = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const section = markdown
    .split(/^## /m)
    .find(s => s.startsWith('Permissions'));
  if (!section) {
    throw new Error(`${file} has no section "Permissions"`);
  }
  const rows = section
    .split('\n')
    .filter(line => line.startsWith('|'))
    .slice(2) // the header and its rule
    .map(line => line.split('|').map(cell => cell.trim()));
  return rows
    .map(([, name, resourceType]) => {
      const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1];
      return `${code(name) ?? name} ${code(resourceType) ?? 'none'}`;
    })
    .sort();
}

describe('immutableInfraPermissions', () => {
  it('holds every permission the module exports, once', () => {
    const exported =
      Object.values<unknown>(permissionsModule).filter(isPermission);
    expect(described(immutableInfraPermissions)).toEqual(described(exported));
    expect(new Set(immutableInfraPermissions).size).toBe(
      immutableInfraPermissions.length,
    );
  });

  it.each([
    'docs/configuration.md',
    'plugins/immutable-infra-common/README.md',
    'plugins/immutable-infra-backend/README.md',
  ])('is the table of %s, with the resource types', file => {
    expect(documented(file)).toEqual(described(immutableInfraPermissions));
  });
});
