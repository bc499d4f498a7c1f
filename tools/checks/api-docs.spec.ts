// The API reference of core, built as `npm run docs:api` builds it (TypeDoc, typedoc.json), into a
// temp dir: it must build with no warning, and typedoc.json makes an exported name without a doc
// comment, a broken {@link} or a type referenced but not exported a warning.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('the API reference (TypeDoc)', () => {
  it('builds from core with every exported name documented', () => {
    const out = mkdtempSync(join(tmpdir(), 'api-docs-'));
    try {
      const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      const warnings = `${result.stdout}\n${result.stderr}`
        .split('\n')
        .filter((line) => /warning|error/i.test(line) && !/Found 0 errors and 0 warnings/.test(line));
      expect({ status: result.status, warnings }).toEqual({ status: 0, warnings: [] });
      const index = readFileSync(join(out, 'index.html'), 'utf8');
      expect(index).toContain('@open-hostfactory/core');
      for (const page of ['interfaces/index.CapacityProvider.html', 'functions/testing.describeCapacityProviderContract.html']) {
        expect({ page, exists: existsSync(join(out, page)) }).toEqual({ page, exists: true });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
