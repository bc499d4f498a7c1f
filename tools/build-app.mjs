// Bundles the HF command line into apps/hostfactory/dist/ (ESM, code-split so each command
// loads only what it uses: the AWS SDK chunk is imported on first cloud call). better-sqlite3
// stays external (a native addon): its runtime files are copied to dist/node_modules, so
// apps/hostfactory/{scripts,dist} is a complete installation for machines of the same platform.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const appDist = join(root, 'apps/hostfactory/dist');

/** Bundles into `outdir` (default apps/hostfactory/dist; the release builds a directory of its own). */
export async function buildApp({ quiet = false, outdir = appDist } = {}) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'apps/hostfactory/src/main.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    tsconfig: join(root, 'tsconfig.base.json'),
    external: ['better-sqlite3'],
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    // `hostfactory.sh --version`: the root package's version.
    define: { __OHF_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
    logLevel: quiet ? 'error' : 'warning',
    // Bundled CommonJS (parts of the AWS SDK) may call require(): give ESM a real one.
    banner: {
      js: "import { createRequire as __ohfCreateRequire } from 'node:module'; const require = __ohfCreateRequire(import.meta.url);",
    },
  });
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  copyNativeRuntime(outdir);
  return result;
}

/** better-sqlite3 and what it loads at run time (not its sources or build intermediates). */
function copyNativeRuntime(outdir) {
  const from = join(root, 'node_modules');
  const to = join(outdir, 'node_modules');
  rmSync(to, { recursive: true, force: true });
  const files = [
    'better-sqlite3/package.json',
    'better-sqlite3/LICENSE',
    'better-sqlite3/lib',
    'better-sqlite3/build/Release/better_sqlite3.node',
    'bindings',
    'file-uri-to-path',
  ];
  for (const file of files) cpSync(join(from, file), join(to, file), { recursive: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildApp();
  process.stderr.write(`built apps/hostfactory/dist in ${Date.now() - started} ms\n`);
}
