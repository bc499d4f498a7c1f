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
  // A clean directory: chunks of earlier builds (content-hashed names) would pile up beside the new ones.
  rmSync(outdir, { recursive: true, force: true });
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
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    // `hostfactory.sh --version`: the root package's version.
    define: { __OHF_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
    logLevel: quiet ? 'error' : 'warning',
    plugins: [pureSdkSchemas, yamlApart],
    // Bundled CommonJS (parts of the AWS SDK) may call require(): give ESM a real one.
    banner: {
      js: "import { createRequire as __ohfCreateRequire } from 'node:module'; const require = __ohfCreateRequire(import.meta.url);",
    },
  });
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  // The YAML parser, a CommonJS file of its own that read-config-file requires only for a YAML file.
  await build({
    absWorkingDir: join(root, 'apps/hostfactory'),
    stdin: { contents: "module.exports = require('yaml');", resolveDir: join(root, 'apps/hostfactory'), loader: 'js' },
    outfile: join(outdir, 'yaml.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: quiet ? 'error' : 'warning',
  });
  copyNativeRuntime(outdir);
  return result;
}

/**
 * The AWS SDK's schema modules (`@aws-sdk/client-* /dist-es/schemas/schemas_0.js`) describe every
 * operation of their service as top-level arrays, and key their traits by constants
 * (`{ [_xN]: ... }` with `const _xN = "xmlName"`). A computed key might run code, so esbuild keeps
 * every schema, used or not (the EC2 one is 1 MB). With the constants written in place of the
 * computed keys, the arrays are plainly side-effect free and only the schemas the bundled commands
 * reach are kept.
 */
const pureSdkSchemas = {
  name: 'pure-sdk-schemas',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const constants = new Map();
      for (const [, name, value] of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm)) constants.set(name, value);
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name) => (constants.has(name) ? `${constants.get(name)}:` : key));
      return { contents, loader: 'js' };
    });
  },
};

/**
 * `yaml` (a quarter of what every call would load) stays out of the bundle: the one `require('yaml')`
 * of read-config-file loads dist/yaml.cjs, built beside it, when a YAML file is read.
 */
const yamlApart = {
  name: 'yaml-apart',
  setup(builder) {
    builder.onResolve({ filter: /^yaml$/ }, () => ({ path: './yaml.cjs', external: true }));
  },
};

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
