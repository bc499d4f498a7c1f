// `npm run release`: builds the bundle and packs an installation into
// release/open-hostfactory-<version>-<os>-<arch>.tar.gz (os and arch as Node names them), which
// unpacks to open-hostfactory-<version>/ with scripts/ (the five HF scripts, hostfactory.sh,
// storage.sh, invoke.sh), dist/ (the bundle and its native SQLite driver), config/ examples,
// docs/, LICENSE, VERSION, CHANGELOG.md and README.md, and runs with only Node on PATH. The
// tarball's path is printed last. better-sqlite3 is native: build on a machine like the HF hosts.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from './build-app.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function release({ outDir = join(root, 'release') } = {}) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const name = `open-hostfactory-${version}`;
  const stage = join(outDir, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  // Its own build, straight into the staging dir: apps/hostfactory/dist (which tests run) is left alone.
  await buildApp({ quiet: true, outdir: join(stage, 'dist') });
  rmSync(join(stage, 'dist', 'meta.json'), { force: true });
  const app = join(root, 'apps/hostfactory');
  cpSync(join(app, 'scripts'), join(stage, 'scripts'), { recursive: true });
  for (const dir of ['config', 'docs']) cpSync(join(root, dir), join(stage, dir), { recursive: true });
  for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md']) cpSync(join(root, file), join(stage, file));
  writeFileSync(join(stage, 'VERSION'), `${version}\n`);
  const tarball = join(outDir, `${name}-${process.platform}-${process.arch}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', outDir, name]);
  rmSync(stage, { recursive: true, force: true });
  return tarball;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `--out DIR`: where the tarball goes (default release/).
  const at = process.argv.indexOf('--out');
  const tarball = await release(at > 0 && process.argv[at + 1] ? { outDir: process.argv[at + 1] } : {});
  process.stdout.write(`${tarball}\n`);
}
