import fs from 'node:fs';
import path from 'node:path';

// The backend's layout, as docs/architecture.md draws it: one folder per
// capability, imports pointing one way. These tests read the source.

const SRC = __dirname;

/**
 * Which folders each folder may import from. Files at the root (plugin,
 * services, index) wire everything and may import anything.
 */
const ALLOWED: Record<string, string[]> = {
  config: [],
  database: [],
  providers: [],
  drift: ['providers'],
  audit: ['database'],
  catalog: ['audit', 'database'],
  registry: ['audit', 'catalog', 'database', 'providers'],
  fleet: ['audit', 'catalog', 'database', 'drift', 'providers', 'registry'],
  entities: ['audit', 'catalog', 'database', 'drift', 'fleet', 'registry'],
  rollouts: [
    'audit',
    'catalog',
    'database',
    'drift',
    'fleet',
    'providers',
    'registry',
  ],
  adoption: [
    'audit',
    'catalog',
    'database',
    'drift',
    'entities',
    'fleet',
    'registry',
    'rollouts',
  ],
  http: ['adoption', 'audit', 'entities', 'fleet', 'registry', 'rollouts'],
};

type SourceFile = { file: string; folder: string; text: string };

function sourceFiles(): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__testUtils__') {
          walk(full);
        }
      } else if (
        /\.tsx?$/.test(entry.name) &&
        !/\.test\.tsx?$/.test(entry.name)
      ) {
        const rel = path.relative(SRC, full);
        files.push({
          file: rel,
          folder: rel.includes(path.sep) ? rel.split(path.sep)[0] : '',
          text: fs.readFileSync(full, 'utf8'),
        });
      }
    }
  };
  walk(SRC);
  return files;
}

/** Relative imports of a file: the folder each points into, and whether type-only. */
function importsOf(file: SourceFile) {
  const found: { folder: string; typeOnly: boolean; spec: string }[] = [];
  const pattern = /import\s+(type\s+)?[^;]*?from\s+'(\.{1,2}\/[^']+)'/gs;
  for (const match of file.text.matchAll(pattern)) {
    const target = path.relative(
      SRC,
      path.resolve(path.dirname(path.join(SRC, file.file)), match[2]),
    );
    found.push({
      folder: target.includes(path.sep) ? target.split(path.sep)[0] : '',
      typeOnly: Boolean(match[1]),
      spec: match[2],
    });
  }
  return found;
}

describe('the backend layout', () => {
  const files = sourceFiles();

  it('has every file in a known folder', () => {
    const unknown = files
      .map(f => f.folder)
      .filter(folder => folder && !(folder in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('imports only in the allowed direction, so folders form no cycle', () => {
    const violations: string[] = [];
    for (const file of files.filter(f => f.folder)) {
      for (const { folder } of importsOf(file)) {
        if (folder !== file.folder && !ALLOWED[file.folder].includes(folder)) {
          violations.push(`${file.file} imports from ${folder || 'the root'}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps drift pure: outside -common it imports types only', () => {
    const impure = files
      .filter(f => f.folder === 'drift')
      .flatMap(f =>
        importsOf(f)
          .filter(i => i.folder !== 'drift' && !i.typeOnly)
          .map(i => `${f.file} imports ${i.spec}`),
      );
    const packages = files
      .filter(f => f.folder === 'drift')
      .flatMap(f =>
        [...f.text.matchAll(/from\s+'([^.][^']*)'/g)]
          .map(m => m[1])
          .filter(p => p !== '@immutable-infra/backstage-plugin-common')
          .map(p => `${f.file} imports ${p}`),
      );
    expect([...impure, ...packages]).toEqual([]);
  });

  it('opens transactions and bumps the read-model generation only in writeTransaction', () => {
    const writers = files
      .filter(
        f =>
          /\.transaction\(/.test(f.text) ||
          /bumpReadModelGeneration\(/.test(f.text),
      )
      .map(f => f.file)
      .filter(f => f !== path.join('database', 'readModelGeneration.ts'));
    expect(writers).toEqual([path.join('audit', 'writeTransaction.ts')]);
  });

  it('calls the AWS SDK only from providers/aws', () => {
    const callers = files
      .filter(f => /from\s+'@aws-sdk\//.test(f.text))
      .map(f => f.file)
      .filter(f => !f.startsWith(path.join('providers', 'aws')));
    expect(callers).toEqual([]);
  });
});
