// The DynamoDB store through the real scripts on moto_server: the whole lifecycle, provider
// instances sharing a table prefix kept apart, many processes at once losing nothing, an
// unreachable DynamoDB failing cleanly before anything is launched, and state moved from SQLite
// to DynamoDB and back.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createServer } from 'node:net';
import { hf, motoEndpoint, type HfEnvironment } from './hf';
import { startSerializingProxy, type SerializingProxy } from '../../../tools/moto/serializing-proxy';

let proxy: SerializingProxy;
let network: { subnetIds: string[]; securityGroupId: string };
const prefix = `hf-e2e-${Date.now().toString(36)}`;

beforeAll(async () => {
  network = await hf.createNetwork(motoEndpoint());
  // moto does not lock a table between a condition check and the write: serialize its requests
  // (see tools/moto/serializing-proxy.js) so the store's conditional writes mean what they mean.
  proxy = await startSerializingProxy(motoEndpoint());
});
afterAll(async () => proxy.close());

function install(providerName: string, storage: 'dynamodb' | 'sqlite', dynamoEndpoint = proxy.endpoint): HfEnvironment {
  const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf dynamo ')), endpoint: motoEndpoint(), providerName });
  hf.writeProviderFiles(environment.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint() },
    templates: [hf.ondemandTemplate(network, { maxNumber: 40 })],
  });
  writeFileSync(
    join(environment.confDir, 'config.yml'),
    storage === 'dynamodb'
      ? `storage:\n  type: dynamodb\n  dynamodb:\n    table_prefix: ${prefix}\n    endpoint_url: ${dynamoEndpoint}\n`
      : 'storage:\n  type: sqlite\n',
  );
  return environment;
}

const run = (environment: HfEnvironment, script: string, input: unknown) => hf.runScript(script, input, environment.env);

async function complete(environment: HfEnvironment, requestIds: string[]) {
  let answer = await run(environment, 'getRequestStatus', { requests: requestIds.map((requestId) => ({ requestId })) });
  for (let i = 0; i < 10 && answer.json.requests.some((r: { status: string }) => r.status === 'running'); i++) {
    answer = await run(environment, 'getRequestStatus', { requests: requestIds.map((requestId) => ({ requestId })) });
  }
  return answer.json.requests;
}

async function instancesTagged(key: string, values: string[]) {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${key}`, Values: values }] }));
    return (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  } finally {
    ec2.destroy();
  }
}

describe('DynamoDB storage through the scripts', () => {
  it('runs the lifecycle, and keeps provider instances sharing the tables apart', async () => {
    const east = install('aws-east', 'dynamodb');
    const west = install('aws-west', 'dynamodb');
    const made = await run(east, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    expect(made.status).toBe(0);
    const [done] = await complete(east, [made.json.requestId]);
    expect(done.status).toBe('complete');
    expect(done.machines).toHaveLength(2);

    const [theirs] = await complete(west, [made.json.requestId]);
    expect(theirs).toMatchObject({ status: 'complete_with_error', machines: [] });
    expect((await run(west, 'getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(40);
    expect((await run(east, 'getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(38);
    expect((await run(west, 'getReturnRequests', {})).json.requests).toEqual([]);

    const machines = done.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));
    const returned = await run(east, 'requestReturnMachines', { machines });
    expect(returned.json.message).toBe('Delete VM success.');
    const [finished] = await complete(east, [returned.json.requestId]);
    expect(finished.status).toBe('complete');
  });

  it('loses nothing with 18 processes at once (requests, polls, returns of the same machines)', async () => {
    const busy = install('aws-busy', 'dynamodb');
    const first = await run(busy, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    const [ready] = await complete(busy, [first.json.requestId]);
    const contested = ready.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));
    const started = Date.now();
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => run(busy, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } })),
      ...Array.from({ length: 6 }, () => run(busy, 'getRequestStatus', { requests: [{ requestId: first.json.requestId }] })),
      ...Array.from({ length: 6 }, () => run(busy, 'requestReturnMachines', { machines: contested })),
    ]);
    process.stdout.write(`dynamodb concurrency: 18 processes at once took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const result of results) expect({ status: result.status, stdout: result.stdout }).toMatchObject({ status: 0 });
    const madeIds = results.slice(0, 6).map((r) => r.json.requestId as string);
    expect(new Set(madeIds).size).toBe(6);
    expect(new Set(results.slice(12).map((r) => r.json.requestId)).size).toBe(1);
    const finished = await complete(busy, madeIds);
    expect(finished.map((r: { status: string }) => r.status)).toEqual(madeIds.map(() => 'complete'));
    const recorded = finished.flatMap((r: { machines: { machineId: string }[] }) => r.machines.map((m) => m.machineId));
    const launched = await instancesTagged('hf:request-id', madeIds);
    expect(recorded.sort()).toEqual(launched.map((i) => i.InstanceId).sort());
  });

  it('an unreachable DynamoDB fails the call with STORAGE_ERROR and launches nothing', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const offline = install('aws-offline', 'dynamodb', `http://127.0.0.1:${port}`);
    offline.env['AWS_REQUEST_RETRY_ATTEMPTS'] = '0';
    const result = await run(offline, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
    expect(result.status).toBe(5);
    expect(result.json.error.code).toBe('STORAGE_ERROR');
    expect(await instancesTagged('hf:provider-name', ['aws-offline'])).toEqual([]);
  });

  it('moves state from SQLite to DynamoDB and back without losing a request', async () => {
    const sqlite = install('aws-move', 'sqlite');
    const made = await run(sqlite, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    const [before] = await complete(sqlite, [made.json.requestId]);
    const file = join(mkdtempSync(join(tmpdir(), 'hf move ')), 'state.jsonl');
    // Asynchronously: the serializing proxy runs in this process and must keep serving.
    const storage = (environment: HfEnvironment, args: string[]): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const child = spawn(join(hf.SCRIPTS_DIR, 'storage.sh'), args, { env: environment.env, stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.on('error', reject);
        child.on('close', () => resolve(JSON.parse(stdout)));
      });

    expect(await storage(sqlite, ['export', '-o', file])).toMatchObject({ exported: { requests: 1, machines: 2 } });
    const dynamo = install('aws-move', 'dynamodb');
    expect(await storage(dynamo, ['import', '-f', file])).toMatchObject({ imported: { requests: 1, machines: 2 } });
    const [inDynamo] = await complete(dynamo, [made.json.requestId]);
    expect(inDynamo.machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual(
      before.machines.map((m: { machineId: string }) => m.machineId).sort(),
    );

    expect(await storage(dynamo, ['export', '-o', file])).toMatchObject({ exported: { requests: 1, machines: 2 } });
    const back = install('aws-move', 'sqlite');
    expect(await storage(back, ['import', '-f', file])).toMatchObject({ imported: { requests: 1, machines: 2 } });
    const [inSqlite] = await complete(back, [made.json.requestId]);
    expect(inSqlite).toMatchObject({ requestId: made.json.requestId, status: 'complete' });
    expect(inSqlite.machines).toHaveLength(2);
  });

  it('hostfactory.sh health names the tables with their point-in-time recovery and TTL state', async () => {
    const environment = install('aws-health', 'dynamodb');
    expect((await run(environment, 'getAvailableTemplates', {})).status).toBe(0); // the tables exist now
    // Asynchronously: the serializing proxy runs in this process and must keep serving.
    const health = await new Promise<any>((resolve, reject) => {
      const child = spawn(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), ['health', '--json'], {
        env: environment.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.on('error', reject);
      child.on('close', () => resolve(JSON.parse(stdout)));
    });
    const storage = health.checks.find((c: { name: string }) => c.name === 'storage');
    expect(storage.status).toBe('ok');
    for (const table of ['requests', 'machines', 'cache']) {
      expect(storage.message).toMatch(new RegExp(`${prefix}-${table} ACTIVE \\(PITR DISABLED, TTL ENABLED\\)`));
    }
    expect(storage.message).toContain('readable and writable');
  });
});
