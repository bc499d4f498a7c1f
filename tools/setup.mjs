// Makes a checkout ready to run: installs dependencies when node_modules is missing or older
// than package-lock.json (npm ci), then bundles the HF command line when its sources changed.
// Idempotent and quiet when there is nothing to do. Used by `npm test`, `npm run demo`, .ci/run.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const log = (text) => process.stderr.write(`[setup] ${text}\n`);

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const marker = join(root, 'node_modules/.package-lock.json');
const lock = join(root, 'package-lock.json');
if (
  !existsSync(marker) ||
  statSync(marker).mtimeMs < statSync(lock).mtimeMs ||
  !existsSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))
) {
  log('installing dependencies (npm ci; better-sqlite3 may compile for about a minute)');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

const bundle = join(root, 'apps/hostfactory/dist/main.mjs');
const sources = Math.max(...['packages', 'apps/hostfactory/src'].map((d) => newest(join(root, d))), statSync(lock).mtimeMs);
if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
  const { buildApp } = await import('./build-app.mjs');
  const started = Date.now();
  await buildApp({ quiet: true });
  log(`bundled apps/hostfactory/dist in ${Date.now() - started} ms`);
}
