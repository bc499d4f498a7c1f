// Entry point of the HF scripts: `node main.mjs <command> -f <file>`.
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

runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ message: String(error), error: { code: 'INTERNAL_ERROR', message: String(error), details: {} } })}\n`);
    process.exitCode = 1;
  },
);
