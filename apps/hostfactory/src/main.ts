// Entry point of the HF scripts (`node main.mjs <command> -f <file>`) and of hostfactory.sh (`node main.mjs hostfactory ...`).
import 'reflect-metadata';
import { runCli } from './cli';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

if (process.env['OPEN_HOSTFACTORY_BENCH'] === '1') {
  // tools/bench.mjs reads this from stderr: the process's own view of its cost.
  process.on('exit', () => {
    const usage = process.resourceUsage();
    process.stderr.write(`${JSON.stringify({ bench: { maxRssKb: usage.maxRSS, uptimeMs: Math.round(process.uptime() * 1000) } })}\n`);
  });
}

/** The root package's version, stamped in by tools/build-app.mjs. */
declare const __OHF_VERSION__: string | undefined;
const VERSION = typeof __OHF_VERSION__ === 'string' ? __OHF_VERSION__ : 'dev';

const argv = process.argv.slice(2);
// `hostfactory.sh` (the operator's command line) is a chunk of its own: the HF calls never load it.
const run =
  argv[0] === 'hostfactory'
    ? import('./operator/operator.js').then(({ runOperator }) =>
        runOperator(argv.slice(1), {
          env: process.env,
          cwd: process.cwd(),
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          isTTY: Boolean(process.stdout.isTTY),
          version: VERSION,
        }),
      )
    : runCli(argv, {
        env: process.env,
        cwd: process.cwd(),
        stdout: (text) => process.stdout.write(text),
      });

run.then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ message: String(error), error: { code: 'INTERNAL_ERROR', message: String(error), details: {} } })}\n`);
    process.exitCode = 1;
  },
);
