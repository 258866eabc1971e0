// Checks of scripts/lib/consumer-check.sh, on the app the plugin tarballs were
// installed into:
//   node consumer-check.mjs imports DIR...
//     every module the published code and types of each package DIR import is
//     a declared dependency (or peer dependency) of that package;
//   node consumer-check.mjs lockfile COMMITTED INSTALLED
//     installing the tarballs changed no resolution of the app's lockfile but
//     the plugins' own, and the app has one copy of the frontend framework;
//   node consumer-check.mjs routes BACKEND_URL ENTITY
//     the app's backend serves the plugin: health without a token, 401 for
//     an entity's summary without one, with a guest token the summary of
//     ENTITY (annotated, so enrolled), its family enrolled through the API,
//     and the scaffolder listing the plugin's actions.
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { answer } from './http.mjs';

const require = createRequire(import.meta.url);
const { parse } = require('yaml');

const ONE_COPY = [
  '@backstage/frontend-plugin-api',
  '@backstage/core-plugin-api',
];
const OWN = '@immutable-infra/';

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function publishedFiles(dir) {
  const files = [];
  const walk = d => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(c|m)?js$|\.d\.ts$/.test(entry.name)) files.push(p);
    }
  };
  for (const sub of ['dist', 'migrations']) {
    if (fs.existsSync(path.join(dir, sub))) walk(path.join(dir, sub));
  }
  return files;
}

function checkImports(dirs) {
  let failed = false;
  for (const dir of dirs) {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
    );
    const declared = new Set([
      pkg.name,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const undeclared = new Map();
    for (const file of publishedFiles(dir)) {
      const source = fs.readFileSync(file, 'utf8');
      const imports = [
        // import … from 'x', export … from 'x' (also over several lines)
        /(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
        // import 'x'
        /(?:^|\n)\s*import\s*['"]([^'"\n]+)['"]/g,
        // require('x'), import('x')
        /\b(?:require|import)\(\s*['"]([^'"\n]+)['"]\s*\)/g,
      ].flatMap(pattern => [...source.matchAll(pattern)]);
      for (const [, specifier] of imports) {
        if (specifier.startsWith('.') || specifier.startsWith('node:'))
          continue;
        const name = packageName(specifier);
        if (builtinModules.includes(name) || declared.has(name)) continue;
        undeclared.set(name, path.relative(dir, file));
      }
    }
    if (undeclared.size) {
      failed = true;
      for (const [name, file] of undeclared) {
        console.error(
          `${pkg.name}: ${file} imports ${name}, which is not a declared dependency`,
        );
      }
    } else {
      console.log(
        `${pkg.name}: every import of its published code and types is declared`,
      );
    }
  }
  return !failed;
}

// Package name -> set of resolved versions, from a yarn lockfile.
function resolutions(file) {
  const lock = parse(fs.readFileSync(file, 'utf8'));
  const result = new Map();
  for (const [key, entry] of Object.entries(lock)) {
    if (key === '__metadata' || !entry.resolution) continue;
    const at = entry.resolution.indexOf('@', 1);
    const name = entry.resolution.slice(0, at);
    const version = entry.resolution.includes('@workspace:')
      ? 'workspace'
      : entry.version;
    if (!result.has(name)) result.set(name, new Set());
    result.get(name).add(version);
  }
  return result;
}

function checkLockfile(committedFile, installedFile) {
  const committed = resolutions(committedFile);
  const installed = resolutions(installedFile);
  let ok = true;
  const changes = [];
  for (const name of new Set([...committed.keys(), ...installed.keys()])) {
    if (name.startsWith(OWN)) continue;
    const before = [...(committed.get(name) ?? [])].sort().join(', ');
    const after = [...(installed.get(name) ?? [])].sort().join(', ');
    if (before !== after)
      changes.push(`  ${name}: ${before || '(none)'} -> ${after || '(none)'}`);
  }
  if (changes.length) {
    ok = false;
    console.error(
      `Installing the plugins changed the app's resolutions (the plugins' dependencies changed?):\n${changes.join(
        '\n',
      )}\n` +
        `If that is intended, copy ${installedFile} to fixtures/consumer-app/yarn.lock.`,
    );
  } else {
    console.log(
      "Installing the plugins kept every resolution of the app's lockfile",
    );
  }
  for (const name of ONE_COPY) {
    const versions = [...(installed.get(name) ?? [])];
    if (versions.length !== 1) {
      ok = false;
      console.error(
        `The app has ${versions.length} copies of ${name}: ${versions.join(
          ', ',
        )}`,
      );
    } else {
      console.log(`One copy of ${name}: ${versions[0]}`);
    }
  }
  return ok;
}

async function checkRoutes(backendUrl, entity) {
  const plugin = `${backendUrl}/api/immutable-infra`;
  const summaryUrl = `${plugin}/entities/component/default/${entity}/summary`;
  const failures = [];
  const expectAnswer = (what, got, ok) => {
    if (!ok) {
      failures.push(
        `${what}: answered ${got.status}: ${got.text.slice(0, 500)}`,
      );
    }
    return ok;
  };
  const timeoutMs = 30_000;
  const health = await answer(`${plugin}/health`, { timeoutMs });
  expectAnswer('GET /health', health, health.status === 200);
  const anonymous = await answer(summaryUrl, { timeoutMs });
  expectAnswer(
    'the summary without a token (401 expected)',
    anonymous,
    anonymous.status === 401,
  );
  const guest = await answer(
    `${backendUrl}/api/auth/guest/refresh?env=development`,
    { headers: { 'X-Requested-With': 'XMLHttpRequest' }, timeoutMs },
  );
  const token = guest.json?.backstageIdentity?.token;
  if (!expectAnswer('a guest token', guest, token)) {
    return report(failures);
  }
  // The catalog reads its locations shortly after start.
  const deadline = Date.now() + 60_000;
  let summary = await answer(summaryUrl, { token, timeoutMs });
  while (summary.status !== 200 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 2000));
    summary = await answer(summaryUrl, { token, timeoutMs });
  }
  expectAnswer(
    `the summary of ${entity}, annotated`,
    summary,
    summary.status === 200 && summary.json?.enrolled === true,
  );
  const enrolled = await answer(`${plugin}/families`, {
    method: 'POST',
    token,
    body: { name: entity, entityRef: `component:default/${entity}` },
    timeoutMs,
  });
  expectAnswer(
    `POST /families for ${entity} (201 expected)`,
    enrolled,
    enrolled.status === 201,
  );
  const after = await answer(summaryUrl, { token, timeoutMs });
  expectAnswer(
    `the summary after enrolling, with the family ${entity}`,
    after,
    after.status === 200 && after.json?.family?.name === entity,
  );
  const actions = await answer(`${backendUrl}/api/scaffolder/v2/actions`, {
    token,
    timeoutMs,
  });
  expectAnswer(
    'the scaffolder listing immutable-infra:image:register',
    actions,
    actions.status === 200 &&
      actions.json?.some?.(a => a.id === 'immutable-infra:image:register'),
  );
  return report(failures);
}

function report(failures) {
  for (const failure of failures) {
    console.error(failure);
  }
  if (failures.length === 0) {
    console.log(
      'the backend serves the plugin: health, 401 without a token, summary, enrolment, scaffolder actions',
    );
  }
  return failures.length === 0;
}

const COMMANDS = {
  imports: args => checkImports(args),
  lockfile: ([committed, installed]) => checkLockfile(committed, installed),
  routes: ([backendUrl, entity]) => checkRoutes(backendUrl, entity),
};

const [command, ...args] = process.argv.slice(2);
const ok = COMMANDS[command]
  ? await COMMANDS[command](args)
  : (console.error(`unknown command ${command}`), false);
process.exit(ok ? 0 : 1);
