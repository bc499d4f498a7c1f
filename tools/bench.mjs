// Benchmark (figures, never assertions): cold start and cost of each HF call through the real
// scripts, on SQLite and a moto_server on loopback. HF spawns one process per call, so the
// wall time of a whole call is what matters.
//
//   npm run bench [-- --runs 15 --requests 50 --history 100000]
//
// Prints, per call: median and p90 wall time (ms) over --runs runs, and the process's peak RSS;
// plus bare `node -e 0` for reference and one status poll over --requests requests at once.
// The history case runs getAvailableTemplates and requestMachines, interleaved, on an empty store
// and on one holding --history finished requests (0 skips it), and prints the ratio.
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
const HISTORY = option('history', 100_000);

spawnSync(process.execPath, [join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'setup.mjs')], { stdio: 'inherit' });

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const rows = [];
const historyRows = [];
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
  if (HISTORY > 0) await historyCase(moto.endpoint, network);
} finally {
  await moto.stop();
}

console.log(`\nopen-hostfactory bench: ${RUNS} runs per call, node ${process.version}, moto_server on loopback\n`);
console.table(rows);
if (historyRows.length > 0) {
  console.log(`\nhistory: the same calls on an empty store and on one with ${HISTORY} finished requests (interleaved, ${RUNS} runs each)\n`);
  console.table(historyRows);
}

/**
 * getAvailableTemplates and requestMachines on two installations, interleaved: an empty store, and
 * one seeded with HISTORY finished requests of the same template (each with a returned, terminated
 * machine), written straight into its SQLite file as years of use would leave it.
 */
async function historyCase(endpoint, network) {
  const Database = require('better-sqlite3');
  const install = (name) => {
    const env = hfTools.hfEnvironment({
      root: mkdtempSync(join(tmpdir(), `ohf-bench-${name}-`)),
      endpoint,
      extraEnv: { OPEN_HOSTFACTORY_BENCH: '1' },
    });
    hfTools.writeProviderFiles(env.confDir, {
      config: { AWS_REGION: 'us-east-1' },
      templates: [hfTools.ondemandTemplate(network, { templateId: 'History', maxNumber: 1_000_000 })],
    });
    return env;
  };
  const empty = install('empty');
  const full = install('history');
  for (const env of [empty, full]) await hfTools.runScript('getAvailableTemplates', {}, env.env); // creates the store, fills the type cache
  const db = new Database(join(full.workDir, 'awsinst.db'));
  const started = Date.now();
  db.transaction(() => {
    const request = db.prepare(
      `INSERT INTO requests (request_id, kind, template_id, provider_api, machine_count, status, message, launch_attempts,
         failed_attempts, provider_data, created_at, updated_at, version, first_polled_at, closed_at)
       VALUES (?, 'acquire', 'History', 'RunInstances', 1, 'complete', '', 1, 0, '{}', ?, ?, 5, ?, ?)`,
    );
    const machine = db.prepare(
      `INSERT INTO machines (machine_id, request_id, template_id, provider_api, return_request_id, name, private_ip_address,
         public_ip_address, launch_time, status, result, message, price_type, instance_type, instance_tags, cloud_host_id, gone,
         notice_kind, notice_deadline, created_at, updated_at, version, weight)
       VALUES (?, ?, 'History', 'RunInstances', ?, ?, '10.0.0.1', '', 1, 'terminated', 'succeed', '', 'ondemand', 't3.medium', '', NULL, 0,
         NULL, NULL, ?, ?, 4, 1)`,
    );
    const returned = db.prepare(
      `INSERT INTO requests (request_id, kind, template_id, provider_api, machine_count, status, message, launch_attempts,
         failed_attempts, provider_data, created_at, updated_at, version, closed_at)
       VALUES (?, 'return', NULL, NULL, 1, 'complete', '', 0, 0, '{}', ?, ?, 2, ?)`,
    );
    const base = Date.now() - HISTORY * 1000;
    for (let i = 0; i < HISTORY; i++) {
      const at = base + i * 1000;
      const id = String(i).padStart(12, '0');
      request.run(`req-00000000-0000-4000-8000-${id}`, at, at, at, at);
      returned.run(`ret-00000000-0000-4000-8000-${id}`, at, at, at);
      machine.run(`i-${id}`, `req-00000000-0000-4000-8000-${id}`, `ret-00000000-0000-4000-8000-${id}`, `ip-${id}`, at, at);
    }
  })();
  db.close();
  process.stderr.write(`[bench] seeded ${HISTORY} finished requests in ${Date.now() - started} ms\n`);

  const cases = [
    ['getAvailableTemplates', () => ({})],
    ['requestMachines (1 machine)', () => ({ template: { templateId: 'History', machineCount: 1 } })],
  ];
  for (const [name, input] of cases) {
    const script = name.split(' ')[0];
    const samples = { empty: [], full: [], emptyRss: [], fullRss: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const [key, env] of [
        ['empty', empty],
        ['full', full],
      ]) {
        const result = await hfTools.runScript(script, input(), env.env);
        if (result.status !== 0) throw new Error(`${script}: ${result.stdout}`);
        samples[key].push(result.ms);
        const line = result.stderr.split('\n').find((l) => l.includes('"bench"'));
        if (line) samples[`${key}Rss`].push(JSON.parse(line).bench.maxRssKb);
      }
    }
    const emptyMs = quantile(samples.empty, 0.5);
    const fullMs = quantile(samples.full, 0.5);
    historyRows.push({
      call: name,
      'empty ms': Math.round(emptyMs),
      [`${HISTORY} finished ms`]: Math.round(fullMs),
      ratio: (fullMs / emptyMs).toFixed(2),
      'empty MiB': (Math.max(...samples.emptyRss) / 1024).toFixed(1),
      [`${HISTORY} finished MiB`]: (Math.max(...samples.fullRss) / 1024).toFixed(1),
    });
  }
}
