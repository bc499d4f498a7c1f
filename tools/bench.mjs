// Benchmark (figures, never assertions): what each HF call costs as HF pays it, a whole process
// started through the real script, on SQLite and a moto_server on loopback behind a counting proxy
// (tools/moto/ec2-proxy.js, which also times every AWS round trip).
//
//   npm run bench [-- --runs 11 --history 100000 --scale 1000 --no-write --endpoint URL]
//
// (`--endpoint`: a moto_server already running, whose log is then at hand; by default the bench
// starts one of its own.)
//
// * The five calls, interleaved round by round with `node -e 0` spawned in the very same
//   environment as the scripts (HF's variables, plus NODE_EXTRA_CA_CERTS when this shell sets it,
//   since it costs every node start ~30 ms): median and p90 wall ms, the ratio to `node -e 0`,
//   peak RSS, AWS calls per call and the median of their round trips. Beside them the Python
//   peer's figures measured in issue 13, and whether each target holds.
// * Scale: 100 requests x 10 machines (instant EC2 Fleets) polled at once, 1 request x --scale
//   machines (one instant EC2 Fleet), and getReturnRequests with every one of those machines held.
//   DescribeInstances calls are counted against the target (one per 1,000 instances, plus one).
// * History: the same calls on an empty store and on one holding --history finished requests.
//
// Writes the tables to bench/results.md (newest run first, earlier runs kept below it) unless
// --no-write.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { startMotoServer } = require('./moto/moto-server.js');
const { startEc2Proxy } = require('./moto/ec2-proxy.js');
const hfTools = require('./hf/hf-environment.js');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = Math.max(10, option('runs', 11));
const HISTORY = option('history', 100_000);
const SCALE = option('scale', 1000);
const WRITE = !args.includes('--no-write');

/** Issue 13's interleaved measurement of the Python peer (finos/open-resource-broker) on this machine class: ms and peak MB. */
const PEER = {
  getAvailableTemplates: { ms: 1041, mb: 103 },
  requestMachines: { ms: 1317, mb: 141 },
  getRequestStatus: { ms: 1315, mb: 136 },
  requestReturnMachines: { ms: 1303, mb: 136 },
  getReturnRequests: { ms: 1264, mb: 135 },
};

const setup = spawnAndWait(process.execPath, [join(here, 'setup.mjs')], process.env, 'inherit');
if ((await setup).status !== 0) throw new Error('setup failed');

const median = (values) => quantile(values, 0.5);
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const mib = (kb) => (kb / 1024).toFixed(1);

/** Spawns and waits; wall ms by hrtime, from spawn to exit. */
function spawnAndWait(command, argv, env, stdio = 'pipe') {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, { env, stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

// --endpoint: a moto_server already running (its log at hand); else one of our own.
const external = args.includes('--endpoint') ? args[args.indexOf('--endpoint') + 1] : undefined;
const moto = external
  ? {
      endpoint: external,
      stop: async () => undefined,
      reset: async () => {
        const answer = await fetch(`${external}/moto-api/reset`, { method: 'POST' });
        if (!answer.ok) throw new Error(`moto reset answered HTTP ${answer.status}`);
      },
    }
  : await startMotoServer();
const proxy = await startEc2Proxy(moto.endpoint);
const lines = [];
const out = (text = '') => {
  lines.push(text);
  console.log(text);
};
try {
  const network = await largeNetwork(moto.endpoint);
  const install = (name, templates) => {
    const hf = hfTools.hfEnvironment({ root: mkdtempSync(join(tmpdir(), `ohf-bench-${name}-`)), endpoint: proxy.endpoint });
    hf.env.OPEN_HOSTFACTORY_BENCH = '1';
    if (process.env.NODE_EXTRA_CA_CERTS) hf.env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    hfTools.writeProviderFiles(hf.confDir, { config: { AWS_REGION: 'us-east-1' }, templates });
    return hf;
  };
  const hf = install('calls', [
    hfTools.ondemandTemplate(network, { templateId: 'Bench', maxNumber: -1 }),
    hfTools.ondemandTemplate(network, { templateId: 'Fleet', providerApi: 'EC2Fleet', maxNumber: -1 }),
  ]);

  /** One call through its script; its wall ms, peak RSS (the process's own report) and the AWS requests it made. */
  const call = async (script, input, env = hf.env) => {
    const before = proxy.journal().length;
    const inputDir = mkdtempSync(join(tmpdir(), 'hf_in_'));
    const file = join(inputDir, 'input.json');
    writeFileSync(file, JSON.stringify(input, null, '\t'));
    const result = await spawnAndWait(join(hfTools.SCRIPTS_DIR, `${script}.sh`), ['-f', file], env);
    rmSync(inputDir, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`${script} failed (${result.status}): ${result.stdout}${result.stderr}`);
    const aws = proxy.journal().slice(before);
    const line = result.stderr.split('\n').find((l) => l.includes('"bench"'));
    return {
      json: JSON.parse(result.stdout),
      ms: result.ms,
      rssKb: line ? JSON.parse(line).bench.maxRssKb : NaN,
      awsCalls: aws.length,
      awsMs: aws.reduce((sum, entry) => sum + entry.ms, 0),
      describes: aws.filter((entry) => entry.action === 'DescribeInstances').length,
    };
  };
  const bare = async () => (await spawnAndWait(process.execPath, ['-e', '0'], hf.env)).ms;
  const untilComplete = async (requestId, env = hf.env) => {
    for (let i = 0; i < 120; i++) {
      const status = await call('getRequestStatus', { requests: [{ requestId }] }, env);
      const request = status.json.requests[0];
      if (request.status !== 'running') return request;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`request ${requestId} did not complete`);
  };

  const cpus = os.cpus();
  out(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out();
  out(
    `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, ` +
      `node ${process.version}; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'not set'} (the same for every process below); ` +
      `moto_server on loopback; ${RUNS} interleaved rounds; medians.`,
  );
  out();
  // ---- the five calls, interleaved -------------------------------------------------------------
  await call('getAvailableTemplates', {}); // fills the instance-type cache, as a long-lived install has
  const held = [];
  for (let i = 0; i < 10; i++) {
    const made = await call('requestMachines', { template: { templateId: 'Bench', machineCount: 1 } });
    const done = await untilComplete(made.json.requestId);
    held.push(...done.machines.map((m) => ({ name: m.name, machineId: m.machineId })));
  }
  const names = [
    'node -e 0',
    'getAvailableTemplates',
    'requestMachines',
    'getRequestStatus',
    'getRequestStatus (finished)',
    'requestReturnMachines',
    'getReturnRequests',
  ];
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  let finished;
  for (let round = 0; round < RUNS; round++) {
    samples['node -e 0'].push({ ms: await bare() });
    samples.getAvailableTemplates.push(await call('getAvailableTemplates', {}));
    const made = await call('requestMachines', { template: { templateId: 'Bench', machineCount: 1 } });
    samples.requestMachines.push(made);
    const first = await call('getRequestStatus', { requests: [{ requestId: made.json.requestId }] });
    samples.getRequestStatus.push(first);
    const request = first.json.requests[0];
    if (request.status !== 'complete') throw new Error(`first poll: ${JSON.stringify(request)}`);
    if (finished) samples['getRequestStatus (finished)'].push(await call('getRequestStatus', { requests: [{ requestId: finished }] }));
    finished = made.json.requestId;
    held.push(...request.machines.map((m) => ({ name: m.name, machineId: m.machineId })));
    samples.requestReturnMachines.push(await call('requestReturnMachines', { machines: [held.shift()] }));
    samples.getReturnRequests.push(await call('getReturnRequests', { machines: held }));
  }
  const floor = median(samples['node -e 0'].map((s) => s.ms));
  const rows = names.map((name) => {
    const runs = samples[name];
    const ms = median(runs.map((s) => s.ms));
    const awsMs = median(runs.map((s) => s.awsMs ?? 0));
    const awsCalls = median(runs.map((s) => s.awsCalls ?? 0));
    const rss = Math.max(...runs.map((s) => s.rssKb ?? NaN));
    const peer = PEER[name];
    const reachesAws = awsCalls > 0;
    // Targets (issue 13): no AWS -> 1.5x node -e 0; AWS -> 2x node -e 0 + its round trips; 10x the peer; < 70 MiB.
    const budget = name === 'node -e 0' ? undefined : reachesAws ? 2 * floor + awsMs : 1.5 * floor;
    const misses = [];
    if (budget !== undefined && ms > budget) misses.push(`${Math.round(ms - budget)} ms over ${Math.round(budget)}`);
    if (peer && peer.ms / ms < 10) misses.push(`${(peer.ms / ms).toFixed(1)}x the peer`);
    if (Number.isFinite(rss) && rss / 1024 >= 70) misses.push(`${mib(rss)} MiB`);
    return {
      call: name,
      runs: runs.length,
      'median ms': Math.round(ms),
      'p90 ms': Math.round(
        quantile(
          runs.map((s) => s.ms),
          0.9,
        ),
      ),
      'x node -e 0': (ms / floor).toFixed(2),
      'AWS calls': name === 'node -e 0' ? '' : awsCalls,
      'AWS ms': name === 'node -e 0' ? '' : Math.round(awsMs),
      'peak MiB': Number.isFinite(rss) ? mib(rss) : '',
      'peer ms': peer?.ms ?? '',
      'peer/ours': peer ? (peer.ms / ms).toFixed(1) : '',
      target: budget === undefined ? '' : misses.length === 0 ? 'met' : `missed: ${misses.join(', ')}`,
    };
  });

  out(table(rows));

  // ---- scale --------------------------------------------------------------------------------------
  const scaleRows = [];
  const describeTarget = (instances) => Math.ceil(instances / 1000) + 1;
  const scaleRow = (name, instances, result) =>
    scaleRows.push({
      case: name,
      instances,
      ms: Math.round(result.ms),
      'AWS ms': Math.round(result.awsMs),
      'ms less AWS': Math.round(result.ms - result.awsMs),
      'peak MiB': mib(result.rssKb),
      'AWS calls': result.awsCalls,
      DescribeInstances: result.describes,
      target: `${result.describes <= describeTarget(instances) ? 'met' : 'missed'} (<= ${describeTarget(instances)} describes${instances <= 100 ? ', < 70 MiB' : ', < 150 MiB'})`,
    });
  if (SCALE > 0) {
    // Each case on an emptied moto, a network and an installation of its own: moto's describes slow
    // down with every instance it holds (seconds at 2,000), which would be moto's time, not ours.
    const fresh = async (name) => {
      await moto.reset();
      const net = await largeNetwork(moto.endpoint);
      return install(name, [hfTools.ondemandTemplate(net, { templateId: 'Fleet', providerApi: 'EC2Fleet', maxNumber: -1 })]);
    };
    const machinesOf = (status) => status.json.requests.flatMap((r) => r.machines.map((m) => ({ name: m.name, machineId: m.machineId })));
    let env = (await fresh('scale-many')).env;
    const many = [];
    for (let i = 0; i < 100; i++) {
      many.push((await call('requestMachines', { template: { templateId: 'Fleet', machineCount: 10 } }, env)).json.requestId);
    }
    const requests = many.map((requestId) => ({ requestId }));
    const firstPoll = await call('getRequestStatus', { requests }, env);
    scaleRow('getRequestStatus, first poll: 100 requests x 10', 1000, firstPoll);
    const polls = [];
    for (let i = 0; i < 3; i++) polls.push(await call('getRequestStatus', { requests }, env));
    scaleRow('getRequestStatus, later poll: 100 requests x 10', 1000, polls.sort((a, b) => a.ms - b.ms)[1]);
    const heldMany = machinesOf(firstPoll);
    scaleRow(
      `getReturnRequests: ${heldMany.length} held (100 requests)`,
      heldMany.length,
      await call('getReturnRequests', { machines: heldMany }, env),
    );

    env = (await fresh('scale-one')).env;
    const big = await call('requestMachines', { template: { templateId: 'Fleet', machineCount: SCALE } }, env);
    scaleRow(`requestMachines: 1 x ${SCALE} (instant EC2 Fleet)`, SCALE, big);
    const bigPoll = await call('getRequestStatus', { requests: [{ requestId: big.json.requestId }] }, env);
    scaleRow(`getRequestStatus, first poll: 1 x ${SCALE}`, SCALE, bigPoll);
    const heldOne = machinesOf(bigPoll);
    scaleRow(`getReturnRequests: ${heldOne.length} held (1 request)`, heldOne.length, await call('getReturnRequests', { machines: heldOne }, env));
  }

  if (scaleRows.length > 0) {
    out();
    out(
      'Scale (each case on an emptied moto; one run each, the later poll the median of three; moto answers slowly with 1,000 instances, hence ms less AWS):',
    );
    out();
    out(table(scaleRows));
  }

  // ---- history ------------------------------------------------------------------------------------
  if (HISTORY > 0) {
    await moto.reset();
    const historyRows = await historyCase(install, await largeNetwork(moto.endpoint), call);
    out();
    out(`History: the same calls on an empty store and on one with ${HISTORY} finished requests (interleaved, ${RUNS} runs each):`);
    out();
    out(table(historyRows));
  }
} finally {
  await proxy.close();
  await moto.stop();
}

if (WRITE) {
  const file = join(here, '..', 'bench', 'results.md');
  mkdirSync(dirname(file), { recursive: true });
  const header =
    '# Benchmark results\n\n`npm run bench` on a clean clone prepends its run here (newest first), so a change can be compared with the runs before it.\n\n';
  const earlier = existsSync(file) ? readFileSync(file, 'utf8').replace(/^# Benchmark results\n\n[^\n]*\n\n/, '') : '';
  writeFileSync(file, `${header}${lines.join('\n')}\n\n${earlier}`.trimEnd() + '\n');
  console.log(`\nwritten to ${file}`);
}

/** A VPC with two /18 subnets (thousands of addresses: the scale cases launch over 2,000 instances) and a security group. */
async function largeNetwork(endpoint) {
  const ec2 = require('@aws-sdk/client-ec2');
  const client = new ec2.EC2Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const vpcId = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc.VpcId;
    const subnetIds = [];
    for (const [index, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
      const subnet = await client.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.60.${index * 64}.0/18`, AvailabilityZone: zone }));
      subnetIds.push(subnet.Subnet.SubnetId);
    }
    const group = await client.send(new ec2.CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `hf-bench-${Date.now()}`, Description: 'bench' }));
    return { vpcId, subnetIds, securityGroupId: group.GroupId };
  } finally {
    client.destroy();
  }
}

/** A markdown table of rows (objects with the same keys). */
function table(rows) {
  const keys = Object.keys(rows[0]);
  return [
    `| ${keys.join(' | ')} |`,
    `|${keys.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${keys.map((key) => String(row[key])).join(' | ')} |`),
  ].join('\n');
}

/**
 * getAvailableTemplates, requestMachines and a poll of a finished request on two installations,
 * interleaved: an empty store, and one seeded with HISTORY finished requests of the same template
 * (each with a returned, terminated machine), written straight into its SQLite file as years of
 * use would leave it.
 */
async function historyCase(install, network, call) {
  const Database = require('better-sqlite3');
  const template = [hfTools.ondemandTemplate(network, { templateId: 'History', maxNumber: 1_000_000 })];
  const empty = install('empty', template);
  const full = install('history', template);
  for (const env of [empty, full]) await call('getAvailableTemplates', {}, env.env); // creates the store, fills the type cache
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

  const finishedOf = { empty: undefined, full: undefined };
  const cases = [
    ['getAvailableTemplates', () => ['getAvailableTemplates', {}]],
    ['requestMachines (1 machine)', () => ['requestMachines', { template: { templateId: 'History', machineCount: 1 } }]],
    ['getRequestStatus (finished request)', (key) => ['getRequestStatus', { requests: [{ requestId: finishedOf[key] }] }]],
  ];
  const rows = [];
  for (const [name, input] of cases) {
    const samples = { empty: [], full: [] };
    if (name.startsWith('getRequestStatus')) {
      // The first poll completes the request: the runs below poll it finished.
      for (const [key, env] of [
        ['empty', empty],
        ['full', full],
      ])
        await call(...input(key), env.env);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const [key, env] of [
        ['empty', empty],
        ['full', full],
      ]) {
        const [script, body] = input(key);
        const result = await call(script, body, env.env);
        if (script === 'requestMachines') finishedOf[key] = result.json.requestId;
        samples[key].push(result);
      }
    }
    const emptyMs = median(samples.empty.map((s) => s.ms));
    const fullMs = median(samples.full.map((s) => s.ms));
    rows.push({
      call: name,
      'empty ms': Math.round(emptyMs),
      [`${HISTORY} finished ms`]: Math.round(fullMs),
      ratio: (fullMs / emptyMs).toFixed(2),
      'empty MiB': mib(Math.max(...samples.empty.map((s) => s.rssKb))),
      [`${HISTORY} finished MiB`]: mib(Math.max(...samples.full.map((s) => s.rssKb))),
    });
  }
  return rows;
}
