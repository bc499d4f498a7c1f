// What a team that ships its own provider does, outside the monorepo: `npm pack` of core (built
// as published), installed from the tarball into a fresh project in a temp dir (no node_modules
// above it, nothing reached over the network), the worked example's sources compiled there
// against the published types, and the built module wired by configuration into an installed
// release; then the HF lifecycle through the release's scripts.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hf, motoEndpoint, runOk, untilComplete } from './hf';

const ROOT = join(__dirname, '..', '..', '..');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const HOSTS = ['192.168.7.11', '192.168.7.12'];

/** npm, offline and quiet, with its cache in the temp dir (never the user's). */
function npm(args: string[], cwd: string, cache: string): string {
  return execFileSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `--cache=${cache}`], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('a provider built outside the monorepo from the packed kit', () => {
  const work = mkdtempSync(join(tmpdir(), 'hf kit '));
  const cache = join(work, 'npm-cache');
  const packs = join(work, 'packs');
  const project = join(work, 'acme-pool');

  beforeAll(() => {
    mkdirSync(packs);
    // core as it is published: its package.json, README, LICENSE and dist built from the sources.
    const core = join(work, 'core');
    mkdirSync(core);
    for (const file of ['package.json', 'README.md', 'LICENSE']) copyFileSync(join(ROOT, 'packages/core', file), join(core, file));
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'packages/core/tsconfig.lib.json'), '--outDir', join(core, 'dist')],
      { timeout: 120_000 },
    );
    npm(['pack', core, '--pack-destination', packs], work, cache);
    // Node's types, which the provider's sources use, packed from the workspace (no registry here).
    for (const dir of ['@types/node', 'undici-types']) npm(['pack', join(ROOT, 'node_modules', dir), '--pack-destination', packs], work, cache);
  });

  it('packs core with its entry points, types, README and LICENSE, and jest only as an optional peer', () => {
    const tarball = readdirSync(packs).find((name) => name.startsWith('open-hostfactory-core-')) as string;
    const listing = execFileSync('tar', ['-tzf', join(packs, tarball)], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'package/README.md',
      'package/LICENSE',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/testing/index.js',
      'package/dist/testing/index.d.ts',
    ]) {
      expect({ file, packed: listing.includes(file) }).toEqual({ file, packed: true });
    }
    expect(listing.some((file) => file.includes('.spec.'))).toBe(false);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', join(packs, tarball), 'package/package.json'], { encoding: 'utf8' }));
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './testing': { types: './dist/testing/index.d.ts', default: './dist/testing/index.js' },
    });
    expect(manifest.peerDependenciesMeta).toEqual({ jest: { optional: true }, '@types/jest': { optional: true } });
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it('builds the example provider against the installed kit and runs the HF lifecycle through an installed release', async () => {
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'acme-pool', version: '1.0.0', private: true, main: 'dist/index.js' }, null, 2),
    );
    npm(['install', ...readdirSync(packs).map((name) => join(packs, name))], project, cache);
    expect(existsSync(join(project, 'node_modules/@open-hostfactory/core/dist/index.d.ts'))).toBe(true);
    for (const file of ['index.ts', 'static-pool-provider.ts', 'pool-file.ts'])
      copyFileSync(join(ROOT, 'packages/provider-example/src', file), join(project, 'src', file));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          skipLibCheck: false,
        },
        include: ['src'],
      }),
    );
    const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { encoding: 'utf8', timeout: 120_000 });
    expect({ status: built.status, output: built.stdout + built.stderr }).toEqual({ status: 0, output: '' });

    // An installed release, its state and configuration in an HF layout; only Node on PATH.
    const made = spawnSync(process.execPath, [join(ROOT, 'tools/release.mjs'), '--out', join(work, 'release')], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(made.status).toBe(0);
    const install = join(work, 'installed');
    mkdirSync(install);
    execFileSync('tar', ['-xzf', made.stdout.trim().split('\n').pop() as string, '-C', install]);
    const scriptsDir = join(install, `open-hostfactory-${version}`, 'scripts');
    const environment = hf.hfEnvironment({ root: join(work, 'hf'), endpoint: motoEndpoint() });
    hf.writeProviderFiles(environment.confDir, {
      // The built provider, by path; the project's own node_modules gives it core.
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint(), PROVIDER_PLUGINS: [join(project, 'dist/index.js')] },
      templates: [
        {
          templateId: 'Acme-Rack',
          maxNumber: 2,
          providerApi: 'StaticPool',
          attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '8'], nram: ['Numeric', '32768'] },
          providerSettings: { hosts: HOSTS },
        },
      ],
    });
    const env = { ...environment.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    const run = (script: string, input: unknown) => runOk(script, input, env, { scriptsDir });
    expect((await run('getAvailableTemplates', {})).templates).toEqual([
      expect.objectContaining({ templateId: 'Acme-Rack', availableNumber: 2, providerApi: 'StaticPool' }),
    ]);
    const { requestId } = await run('requestMachines', { template: { templateId: 'Acme-Rack', machineCount: 2 } });
    const complete = await untilComplete(requestId, env, { scriptsDir });
    expect(complete.machines.map((m: { name: string }) => m.name).sort()).toEqual(HOSTS);
    const returned = await run('requestReturnMachines', {
      machines: complete.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId })),
    });
    await untilComplete(returned.requestId, env, { scriptsDir });
    expect((await run('getAvailableTemplates', {})).templates[0].availableNumber).toBe(2);
  });
});
