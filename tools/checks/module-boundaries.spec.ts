// The dependency rules of docs/architecture.md, checked on every test run:
//  - core imports no AWS SDK, no better-sqlite3, no inversify, no node:fs (nor any adapter);
//  - adapters import core and aws-common only (never each other, never the app); aws-common,
//    the AWS plumbing every AWS adapter shares, imports core only;
//  - nothing deep-imports another package's files; no `export *`.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist') continue;
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|cts)$/.test(entry)) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const match of text.matchAll(pattern)) found.push((match[1] ?? match[2] ?? match[3] ?? match[4]) as string);
  return found;
}

const packages = readdirSync(join(root, 'packages')).filter((p) => statSync(join(root, 'packages', p)).isDirectory());

function violations(dir: string, forbidden: (specifier: string, file: string) => string | undefined): string[] {
  const list: string[] = [];
  for (const file of sources(dir)) {
    for (const specifier of imports(file)) {
      const why = forbidden(specifier, file);
      if (why) list.push(`${relative(root, file)} imports '${specifier}': ${why}`);
    }
  }
  return list;
}

function coreRule(s: string): string | undefined {
  if (/^@aws-sdk\/|^@smithy\//.test(s)) return 'AWS SDK in core';
  if (s === 'better-sqlite3') return 'database driver in core';
  if (s === 'inversify' || s.startsWith('@inversifyjs/')) return 'inversify in core';
  if (s === 'fs' || s === 'node:fs' || s.startsWith('node:fs/') || s === 'fs/promises') return 'file system in core';
  if (s.startsWith('@open-hostfactory/')) return 'core depends on nothing of ours';
  return undefined;
}

describe('module boundaries', () => {
  it('core imports no SDK, driver, container or file system, and no other package', () => {
    expect(violations(join(root, 'packages/core/src'), coreRule)).toEqual([]);
  });

  it('the core rule catches each kind of forbidden import (static, dynamic, require, side effect)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'boundaries-'));
    writeFileSync(
      join(dir, 'bad.ts'),
      [
        "import { EC2Client } from '@aws-sdk/client-ec2';",
        "import Database from 'better-sqlite3';",
        "import { readFileSync } from 'node:fs';",
        "import 'reflect-metadata';",
        "const lazy = import('inversify');",
        "const sqlite = require('@open-hostfactory/storage-sqlite');",
      ].join('\n'),
    );
    const found = violations(dir, coreRule);
    expect(found.map((line) => line.split(': ').pop())).toEqual([
      'AWS SDK in core',
      'database driver in core',
      'file system in core',
      'inversify in core',
      'core depends on nothing of ours',
    ]);
  });

  it.each(packages.filter((p) => p !== 'core'))('adapter %s imports core (and aws-common) only', (name) => {
    const found = violations(join(root, 'packages', name, 'src'), (s) => {
      if (!s.startsWith('@open-hostfactory/')) return undefined;
      if (s === '@open-hostfactory/core' || s === '@open-hostfactory/core/testing') return undefined;
      if (name === 'aws-common') return 'aws-common imports core only';
      if (s === '@open-hostfactory/aws-common' || s === '@open-hostfactory/aws-common/testing') return undefined;
      return 'adapters never import each other or the app';
    });
    expect(found).toEqual([]);
  });

  it('no deep imports across packages and no export *', () => {
    const found: string[] = [];
    for (const dir of [join(root, 'packages'), join(root, 'apps')]) {
      for (const file of sources(dir)) {
        const text = readFileSync(file, 'utf8');
        if (/^\s*export\s+\*\s+from/m.test(text)) found.push(`${relative(root, file)}: export *`);
        for (const specifier of imports(file)) {
          if (/^@open-hostfactory\/[^/]+\/(?!testing$)/.test(specifier)) found.push(`${relative(root, file)}: deep import '${specifier}'`);
          if (/^\.\.\/.*\b(packages|apps)\//.test(specifier)) found.push(`${relative(root, file)}: relative import into another project '${specifier}'`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('no dynamic import of an AWS SDK client index but STS (it would defeat tree shaking: all of EC2\'s commands, +27 MB a call)', () => {
    const found: string[] = [];
    for (const dir of [join(root, 'packages'), join(root, 'apps')]) {
      for (const file of sources(dir)) {
        for (const match of readFileSync(file, 'utf8').matchAll(/import\(\s*['"](@aws-sdk\/client-[\w-]+)['"]\s*\)/g)) {
          if (match[1] !== '@aws-sdk/client-sts') found.push(`${relative(root, file)}: import('${match[1]}')`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the check itself sees imports (guards against a silently empty scan)', () => {
    const coreImports = sources(join(root, 'packages/core/src')).flatMap(imports);
    expect(coreImports.length).toBeGreaterThan(20);
    expect(imports(join(root, 'apps/hostfactory/src/container.ts'))).toContain('inversify');
  });
});
