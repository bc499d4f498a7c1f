// The linter is live: ESLint with Nx's module boundaries on the projects' tags refuses an
// adapter importing another adapter, or core importing an adapter, and accepts what the rules
// allow. (The test command runs `npm run lint` on the whole repository besides.)
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** What ESLint's command line reports for `source` as if it were `file`: `rule: message` lines. */
function lint(file: string, source: string): string[] {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', file, '-f', 'json'], {
    cwd: ROOT,
    input: source,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    timeout: 120_000,
  });
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return (report?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

/** The module boundary errors among them. */
function boundaryErrors(file: string, source: string): string[] {
  return lint(file, source)
    .filter((line) => line.startsWith('@nx/enforce-module-boundaries: '))
    .map((line) => line.slice('@nx/enforce-module-boundaries: '.length));
}

describe('ESLint module boundaries (Nx tags)', () => {
  beforeAll(() => {
    // The rule reads Nx's project graph; make sure it is computed.
    execFileSync(process.execPath, [join(ROOT, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects'], {
      cwd: ROOT,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      stdio: 'ignore',
    });
  });

  it('refuses an adapter importing another adapter, and core importing any package of ours', async () => {
    expect(
      boundaryErrors('packages/aws-asg/src/probe.ts', "import { LaunchTemplates } from '@open-hostfactory/aws-ec2';\nexport { LaunchTemplates };\n"),
    ).toEqual([expect.stringContaining('can only depend on libs tagged with "scope:core", "scope:shared"')]);
    expect(boundaryErrors('packages/core/src/probe.ts', "import { chunk } from '@open-hostfactory/aws-common';\nexport { chunk };\n")).toEqual([
      // Every package depends on core, so this is also a cycle, which the rule names as such.
      expect.stringMatching(/can only depend on libs tagged with "scope:core"|Circular dependency between "core" and "aws-common"/),
    ]);
  });

  it('accepts what the rules allow: an adapter on core and aws-common, the app on an adapter', async () => {
    expect(
      boundaryErrors(
        'packages/aws-asg/src/probe.ts',
        "import { chunk } from '@open-hostfactory/aws-common';\nimport { HostFactoryError } from '@open-hostfactory/core';\nexport { chunk, HostFactoryError };\n",
      ),
    ).toEqual([]);
    expect(
      boundaryErrors(
        'apps/hostfactory/src/probe.ts',
        "import { sqliteStorageModule } from '@open-hostfactory/storage-sqlite';\nexport { sqliteStorageModule };\n",
      ),
    ).toEqual([]);
  });

  it('core loads no SDK, driver, container or file system, statically, lazily or by require', () => {
    const found = lint(
      'packages/core/src/probe.ts',
      [
        "import { EC2Client } from '@aws-sdk/client-ec2';",
        "import Database from 'better-sqlite3';",
        "import { readFileSync } from 'node:fs';",
        "const lazy = import('inversify');",
        "const sqlite = require('@open-hostfactory/storage-sqlite');",
        'export { EC2Client, Database, readFileSync, lazy, sqlite };',
      ].join('\n'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        "no-restricted-imports: '@aws-sdk/client-ec2' import is restricted from being used by a pattern. No AWS SDK in core.",
        "no-restricted-imports: 'better-sqlite3' import is restricted from being used by a pattern. No database driver in core.",
        "no-restricted-imports: 'node:fs' import is restricted from being used by a pattern. No file system in core.",
        'no-restricted-syntax: Core loads no SDK, driver, container, file system or package of ours, not even lazily.',
        'no-restricted-syntax: Core requires no SDK, driver, container, file system or package of ours.',
      ]),
    );
  });

  it('no export *, no deep import, no dynamic import of an SDK client index but STS, anywhere', () => {
    const found = lint(
      'packages/aws-ec2/src/probe.ts',
      [
        "export * from './errors';",
        "import { migrate } from '@open-hostfactory/storage-sqlite/src/migrations';",
        "import { FakeAwsClient } from '@open-hostfactory/aws-common/testing';",
        "const ec2 = import('@aws-sdk/client-ec2');",
        "const sts = import('@aws-sdk/client-sts');",
        'export { migrate, FakeAwsClient, ec2, sts };',
      ].join('\n'),
    );
    expect(found.filter((line) => line.startsWith('no-restricted'))).toEqual([
      'no-restricted-syntax: Re-export names explicitly (no `export *`): each package exports what others use.',
      "no-restricted-imports: '@open-hostfactory/storage-sqlite/src/migrations' import is restricted from being used by a pattern. No deep imports: use the package's entry point (or its /testing).",
      "no-restricted-syntax: No dynamic import of an AWS SDK client's index (it defeats tree shaking: all of EC2's commands, +27 MB a call); import it statically in the adapter, which the app loads lazily.",
    ]);
  });
});
