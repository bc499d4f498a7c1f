// Never leak, through the real scripts on moto_server, one fault at a time: a requestMachines
// killed in the middle of its launch (HF never gets the id), the work dir wiped under held
// machines, a return the cloud accepts but never carries out, and DynamoDB's TTL on requests
// whose machines are still held.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, type HfEnvironment } from './hf';
import { startSerializingProxy } from '../../../tools/moto/serializing-proxy';

const { startEc2Proxy, terminateAcceptedXml } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials });
let network: { subnetIds: string[]; securityGroupId: string };

beforeAll(async () => {
  network = await hf.createNetwork(motoEndpoint());
});
afterAll(() => ec2.destroy());

function install(endpoint: string, config: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}): HfEnvironment {
  const providerName = `leak${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf leaks ')), endpoint, providerName, extraEnv });
  hf.writeProviderFiles(environment.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, ...config },
    templates: [hf.ondemandTemplate(network, { maxNumber: 4 })],
  });
  return environment;
}

async function states(ids: readonly string[]): Promise<Map<string, string>> {
  const page = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  return new Map((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId as string, i.State?.Name as string]));
}

async function aliveOf(providerName: string): Promise<string[]> {
  const page = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:hf:provider-name', Values: [providerName] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string);
}

async function untilComplete(run: (script: string, input: unknown) => Promise<{ json: any }>, requestId: string): Promise<any> {
  let entry = (await run('getRequestStatus', { requests: [{ requestId }] })).json.requests[0];
  for (let i = 0; i < 20 && entry.status === 'running'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    entry = (await run('getRequestStatus', { requests: [{ requestId }] })).json.requests[0];
  }
  return entry;
}

const logLines = (environment: HfEnvironment): { level: string; msg: string; [key: string]: unknown }[] =>
  readFileSync(join(environment.logDir, `${environment.env['HF_PROVIDER_NAME']}-provider.log`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('a requestMachines killed in the middle of its launch (HF never gets the request id)', () => {
  it('ends as an orphan after AWS_ORPHAN_TIMEOUT_SEC: its instances given back, its quota free again', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const environment = install(proxy.endpoint, { AWS_ORPHAN_TIMEOUT_SEC: 3, AWS_ORPHAN_SWEEP_INTERVAL_SEC: 1, AWS_ORPHAN_GRACE_SEC: 60 });
      const providerName = environment.env['HF_PROVIDER_NAME'] as string;
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      // The call is killed while its RunInstances is on its way; the proxy then forwards it, moto
      // launches, and the answer goes nowhere: instances nobody recorded, a request HF never saw.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      proxy.setHold((action) => (action === 'RunInstances' ? gate : 0));
      const sent = (async () => {
        for (let i = 0; i < 600 && proxy.count('RunInstances') === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      })();
      const result = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, environment.env, {
        killOn: sent,
      });
      expect(result.killed).toBe(true);
      expect(result.stdout).toBe('');
      release();
      await proxy.drain();
      proxy.setHold(() => 0);
      const orphans = await aliveOf(providerName);
      expect(orphans.length).toBeGreaterThan(0);
      expect((await run('getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(2); // reserved for the lost request

      await new Promise((resolve) => setTimeout(resolve, 3100));
      expect((await run('getReturnRequests', { machines: [] })).status).toBe(0); // the sweep runs from HF's calls
      for (const [, state] of await states(orphans)) expect(['shutting-down', 'terminated']).toContain(state);
      expect((await run('getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(4);
      const warning = logLines(environment).find((l) => l.msg === 'orphans found');
      expect(JSON.stringify(warning)).toContain('never polled by HF within 3 s');
    } finally {
      await proxy.close();
    }
  });
});

describe('a wiped work dir under machines HF holds', () => {
  it('returns them all the same: found in the cloud by their tags, recorded, terminated; the sweep leaves them to HF', async () => {
    const environment = install(motoEndpoint(), { AWS_ORPHAN_SWEEP_INTERVAL_SEC: 1, AWS_ORPHAN_GRACE_SEC: 0 });
    const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
    const made = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    const acquired = await untilComplete(run, made.json.requestId);
    expect(acquired.status).toBe('complete');
    const held = acquired.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));

    rmSync(environment.workDir, { recursive: true, force: true }); // state lost (or restored from an old backup)
    const reclaims = await run('getReturnRequests', { machines: held }); // HF lists what it holds: the sweep never takes those
    expect(reclaims.status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await run('getReturnRequests', { machines: held });
    for (const [, state] of await states(held.map((m: { machineId: string }) => m.machineId))) expect(state).toBe('running');

    const returned = await run('requestReturnMachines', { machines: [...held, { name: 'stranger', machineId: 'i-0123456789abcdef0' }] });
    expect(returned.status).toBe(0);
    expect(returned.json.message).toContain('Delete VM success.');
    expect(returned.json.message).toContain('i-0123456789abcdef0');
    const done = await untilComplete(run, returned.json.requestId);
    expect(done.status).toBe('complete');
    expect(done.machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual(held.map((m: { machineId: string }) => m.machineId).sort());
    for (const [, state] of await states(held.map((m: { machineId: string }) => m.machineId)))
      expect(['shutting-down', 'terminated']).toContain(state);
  });
});

describe('a return the cloud accepts but never carries out', () => {
  it('ends complete_with_error after AWS_RETURN_TIMEOUT_SEC naming the machine, logged at warn; the sweep keeps giving it back', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const environment = install(proxy.endpoint, { AWS_RETURN_TIMEOUT_SEC: 2, AWS_ORPHAN_SWEEP_INTERVAL_SEC: 1 });
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      const made = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
      const [machine] = (await untilComplete(run, made.json.requestId)).machines;
      proxy.swallow('TerminateInstances', terminateAcceptedXml);
      const returned = await run('requestReturnMachines', { machines: [{ name: machine.name, machineId: machine.machineId }] });
      expect(returned.status).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const [entry] = (await run('getRequestStatus', { requests: [{ requestId: returned.json.requestId }] })).json.requests;
      expect(entry.status).toBe('complete_with_error');
      expect(entry.message).toContain(machine.machineId);
      expect(logLines(environment).some((l) => l.level === 'warn' && l.msg === 'return did not take')).toBe(true);

      const issued = proxy.count('TerminateInstances');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await run('getReturnRequests', { machines: [] });
      expect(proxy.count('TerminateInstances')).toBeGreaterThan(issued); // the sweep tries again
      proxy.clear('TerminateInstances');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await run('getReturnRequests', { machines: [] });
      expect((await states([machine.machineId])).get(machine.machineId)).toMatch(/shutting-down|terminated/);
      expect((await run('getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(3); // alive until seen terminated
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await run('getReturnRequests', { machines: [] });
      expect((await run('getAvailableTemplates', {})).json.templates[0].availableNumber).toBe(4);
    } finally {
      await proxy.close();
    }
  });
});

describe("DynamoDB's TTL", () => {
  it('never expires an acquire request whose machines are held; it gets its TTL once the last one is returned', async () => {
    const dynamo = await startSerializingProxy(motoEndpoint());
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: motoEndpoint(), credentials });
    try {
      const prefix = `hf-ttl-${Date.now().toString(36)}`;
      const environment = install(motoEndpoint());
      writeFileSync(
        join(environment.confDir, 'config.yml'),
        `storage:\n  type: dynamodb\n  dynamodb:\n    table_prefix: ${prefix}\n    endpoint_url: ${dynamo.endpoint}\n    retention_days: 2\n`,
      );
      const providerName = environment.env['HF_PROVIDER_NAME'] as string;
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      const ttl = async (requestId: string): Promise<string | undefined> =>
        (await client.send(new GetItemCommand({ TableName: `${prefix}-requests`, Key: { pk: { S: `${providerName}#${requestId}` } } }))).Item?.[
          'expiresAt'
        ]?.N;
      const made = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
      const acquired = await untilComplete(run, made.json.requestId);
      expect(acquired.status).toBe('complete');
      expect(await ttl(made.json.requestId)).toBeUndefined();
      const [first, second] = acquired.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));
      const one = await run('requestReturnMachines', { machines: [first] });
      expect((await untilComplete(run, one.json.requestId)).status).toBe('complete');
      expect(await ttl(made.json.requestId)).toBeUndefined(); // one machine still held
      expect(await ttl(one.json.requestId)).toBeDefined();
      const two = await run('requestReturnMachines', { machines: [second] });
      expect((await untilComplete(run, two.json.requestId)).status).toBe('complete');
      const expiresAt = Number(await ttl(made.json.requestId));
      expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 2 * 86_400 - 60);
      expect(expiresAt).toBeLessThan(Date.now() / 1000 + 2 * 86_400 + 60);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
