#!/usr/bin/env node
// The machine's own Debian archive, for services.sh's install of Debian's
// python3-moto: prints "URI SUITE [KEYRING]" of the first deb entry of its
// apt sources (one-line .list files or deb822 .sources) whose suite is the
// release's codename (or sid, unstable), else of the first whose suite is not
// an -updates, -security or -backports one; exits 1 when there is none.
//
// usage: node debian-archive.mjs [ROOT]   (ROOT: where etc/ is, default /)

import fs from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? '/';

function read(file) {
  try {
    return fs.readFileSync(path.join(root, file), 'utf8');
  } catch {
    return '';
  }
}

/** The files of a directory with an ending, in name order. */
function filesIn(dir, ending) {
  try {
    return fs
      .readdirSync(path.join(root, dir))
      .filter(name => name.endsWith(ending))
      .sort()
      .map(name => path.join(dir, name));
  } catch {
    return [];
  }
}

/** `deb [options] URI SUITE components…` lines. */
function oneLineEntries(text) {
  const entries = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'deb') {
      continue;
    }
    let i = 1;
    let keyring = '';
    if (fields[i]?.startsWith('[')) {
      for (; i < fields.length; i++) {
        const signedBy = /signed-by=([^\]]*)/.exec(fields[i]);
        if (signedBy) {
          keyring = signedBy[1];
        }
        if (fields[i].endsWith(']')) {
          break;
        }
      }
      i++;
    }
    entries.push({ uri: fields[i], suite: fields[i + 1], keyring });
  }
  return entries;
}

/** deb822 stanzas: every URI with every suite of an enabled `deb` stanza. */
function deb822Entries(text) {
  const entries = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = {};
    for (const line of stanza.split('\n')) {
      const field = /^([A-Za-z-]+):[ \t]*(.*)$/.exec(line);
      if (field && !line.startsWith('#')) {
        fields[field[1]] = field[2].trim();
      }
    }
    const types = (fields.Types ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.Enabled?.toLowerCase() === 'no') {
      continue;
    }
    // A keyring named by its path; an inline key is left to apt's default.
    const keyring = fields['Signed-By']?.startsWith('/')
      ? fields['Signed-By'].split(/\s+/)[0]
      : '';
    for (const uri of (fields.URIs ?? '').split(/\s+/).filter(Boolean)) {
      for (const suite of (fields.Suites ?? '').split(/\s+/).filter(Boolean)) {
        entries.push({ uri, suite, keyring });
      }
    }
  }
  return entries;
}

const codename = /^VERSION_CODENAME=["']?([^"'\n]*)/m.exec(
  read('etc/os-release'),
)?.[1];
const entries = [
  ...['etc/apt/sources.list', ...filesIn('etc/apt/sources.list.d', '.list')]
    .map(read)
    .flatMap(oneLineEntries),
  ...filesIn('etc/apt/sources.list.d', '.sources')
    .map(read)
    .flatMap(deb822Entries),
].filter(entry => entry.uri && entry.suite);
const chosen =
  entries.find(e => [codename, 'sid', 'unstable'].includes(e.suite)) ??
  entries.find(e => !/[-/]/.test(e.suite));
if (!chosen) {
  process.exit(1);
}
console.log([chosen.uri, chosen.suite, chosen.keyring].join(' ').trim());
