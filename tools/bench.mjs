// Benchmark (figures, never assertions): cold start and cost of each HF call through the real
// scripts, on SQLite and a moto_server on loopback. HF spawns one process per call, so the
// wall time of a whole call is what matters.
//
//   npm run bench [-- --runs 15 --requests 50]
//
// Prints, per call: median and p90 wall time (ms) over --runs runs, and the process's peak RSS;
// plus bare `node -e 0` for reference and one status poll over --requests requests at once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const require = createRequire(import.meta.url);
const { startMotoServer } = require('./moto/moto-server.js');
const hfTools = require('./hf/hf-environment.js');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option('runs', 15);
const REQUESTS = option('requests', 50);

spawnSync(process.execPath, [join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'setup.mjs')], { stdio: 'inherit' });

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const rows = [];
const record = (name, samples, rss = []) =>
  rows.push({
    call: name,
    runs: samples.length,
    'median ms': Math.round(quantile(samples, 0.5)),
    'p90 ms': Math.round(quantile(samples, 0.9)),
    'peak RSS MiB': rss.length ? (Math.max(...rss) / 1024).toFixed(1) : '',
  });

const bare = [];
for (let i = 0; i < RUNS; i++) {
  const t = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(Number(process.hrtime.bigint() - t) / 1e6);
}
record('node -e 0 (reference)', bare);

const moto = await startMotoServer();
try {
  const root = mkdtempSync(join(tmpdir(), 'ohf-bench-'));
  const network = await hfTools.createNetwork(moto.endpoint);
  const hf = hfTools.hfEnvironment({ root, endpoint: moto.endpoint, extraEnv: { OPEN_HOSTFACTORY_BENCH: '1' } });
  hfTools.writeProviderFiles(hf.confDir, {
    config: { AWS_REGION: 'us-east-1' },
    templates: [hfTools.ondemandTemplate(network, { templateId: 'Bench', maxNumber: -1 })],
  });
  const call = async (script, input) => {
    const result = await hfTools.runScript(script, input, hf.env);
    if (result.status !== 0) throw new Error(`${script}: ${result.stdout}`);
    const line = result.stderr.split('\n').find((l) => l.includes('"bench"'));
    return { ...result, rssKb: line ? JSON.parse(line).bench.maxRssKb : undefined };
  };
  const measure = async (name, script, inputFor) => {
    const times = [];
    const rss = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await call(script, await inputFor(i));
      times.push(r.ms);
      if (r.rssKb) rss.push(r.rssKb);
    }
    record(name, times, rss);
  };

  await call('getAvailableTemplates', {}); // fills the instance-type cache, as a long-lived install has
  await measure('getAvailableTemplates (cached types)', 'getAvailableTemplates', () => ({}));
  const requestIds = [];
  await measure('requestMachines (1 machine)', 'requestMachines', async () => ({ template: { templateId: 'Bench', machineCount: 1 } }));
  for (let i = 0; i < REQUESTS; i++) {
    requestIds.push((await call('requestMachines', { template: { templateId: 'Bench', machineCount: 1 } })).json.requestId);
  }
  await measure('getRequestStatus (1 request)', 'getRequestStatus', () => ({ requests: [{ requestId: requestIds[0] }] }));
  await measure(`getRequestStatus (${REQUESTS} requests at once)`, 'getRequestStatus', () => ({
    requests: requestIds.map((requestId) => ({ requestId })),
  }));
  const status = await call('getRequestStatus', { requests: requestIds.map((requestId) => ({ requestId })) });
  const machines = status.json.requests.flatMap((r) => r.machines.map((m) => ({ name: m.name, machineId: m.machineId })));
  await measure('getReturnRequests (all held)', 'getReturnRequests', () => ({}));
  await measure('requestReturnMachines (1 machine)', 'requestReturnMachines', (i) => ({ machines: [machines[i % machines.length]] }));
} finally {
  await moto.stop();
}

console.log(`\nopen-hostfactory bench: ${RUNS} runs per call, node ${process.version}, moto_server on loopback\n`);
console.table(rows);
