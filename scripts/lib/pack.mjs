#!/usr/bin/env node
// What pack.sh asks of a package and its tarball:
//   node pack.mjs tarball-name DIR
//     the file name `yarn pack` gives DIR's package: @scope/name-x 0.1.0 ->
//     scope-name-x-0.1.0.tgz;
//   node pack.mjs check-entry-points LISTING < package/package.json
//     whether the tarball (its file list, one path a line) holds every file
//     its package.json names as an entry point (main, module, types,
//     exports); names the missing ones and exits 1 otherwise.

import fs from 'node:fs';
import path from 'node:path';

function tarballName(dir) {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
  );
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

function missingEntryPoints(pkg, listing) {
  const files = new Set(listing.split('\n'));
  const exported = Object.values(pkg.exports ?? {}).flatMap(e =>
    typeof e === 'string' ? [e] : Object.values(e),
  );
  return [pkg.main, pkg.module, pkg.types, ...exported]
    .filter(f => typeof f === 'string' && /^(\.\/)?dist\//.test(f))
    .map(f => `package/${f.replace(/^\.\//, '')}`)
    .filter(f => !files.has(f));
}

const [command, arg] = process.argv.slice(2);
if (command === 'tarball-name') {
  console.log(tarballName(arg));
} else if (command === 'check-entry-points') {
  const pkg = JSON.parse(fs.readFileSync(0, 'utf8'));
  const missing = missingEntryPoints(pkg, arg);
  if (missing.length) {
    console.error(`${pkg.name}: the tarball lacks ${missing.join(', ')}`);
    process.exit(1);
  }
} else {
  console.error(
    'usage: pack.mjs tarball-name DIR | check-entry-points LISTING < package.json',
  );
  process.exit(2);
}
