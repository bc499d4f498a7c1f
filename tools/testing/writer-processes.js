'use strict';
// The OS-process side of the stores' concurrency proofs: bundle a writer entry (a TypeScript file
// that calls core/testing's concurrentWriterMain) with esbuild, and run copies of it at once.

const { spawn } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const REPO = resolve(__dirname, '..', '..');

/** Bundles `entry` (repository-relative) into a temp dir; `external` modules stay requires of node_modules. */
function bundleWriter(entry, external = []) {
  const { buildSync } = require('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'ohf-writer-'));
  const script = join(dir, 'writer.js');
  buildSync({
    entryPoints: [join(REPO, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external,
    outfile: script,
    tsconfig: join(REPO, 'tsconfig.base.json'),
    logLevel: 'error',
  });
  return { dir, script };
}

/** Runs one writer with its JSON arguments; resolves with its exit code and output. */
function runWriter(script, args) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, JSON.stringify(args)], {
      env: { ...process.env, NODE_PATH: join(REPO, 'node_modules'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

module.exports = { bundleWriter, runWriter };
