// Every call bounded in time, through the real scripts. Against an AWS endpoint that accepts
// connections and never answers, each of the five calls ends within its budget
// (HF_PROVIDER_ACTION_TIMEOUT less a margin) with one JSON document, instead of being killed by
// HF. And a poll with many slow top-ups makes them a few at a time, well inside the budget.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, type HfEnvironment } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

const ACTION_TIMEOUT_SEC = 8;

describe('a stalled AWS endpoint (accepts connections, never answers)', () => {
  let stalled: Server;
  let endpoint: string;
  const sockets = new Set<Socket>();
  let environment: HfEnvironment;
  let held: { name: string; machineId: string }[];
  let running: string;
  let write: (url: string, extra?: Record<string, unknown>) => void;

  beforeAll(async () => {
    stalled = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(stalled.address() as { port: number }).port}`;

    // State made against moto first: a running request and machines HF holds.
    const network = await hf.createNetwork(motoEndpoint());
    environment = hf.hfEnvironment({
      root: mkdtempSync(join(tmpdir(), 'hf stalled ')),
      endpoint: motoEndpoint(),
      extraEnv: { HF_PROVIDER_ACTION_TIMEOUT: String(ACTION_TIMEOUT_SEC) },
    });
    write = (url: string, extra: Record<string, unknown> = {}): void =>
      hf.writeProviderFiles(environment.confDir, {
        config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: url, AWS_REQUEST_RETRY_ATTEMPTS: 10, ...extra },
        templates: [hf.ondemandTemplate(network, { maxNumber: 10, attributes: { type: ['String', 'X86_64'] } })],
      });
    write(motoEndpoint());
    const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
    const made = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
    let entry = (await run('getRequestStatus', { requests: [{ requestId: made.json.requestId }] })).json.requests[0];
    for (let i = 0; i < 5 && entry.status === 'running'; i++)
      entry = (await run('getRequestStatus', { requests: [{ requestId: made.json.requestId }] })).json.requests[0];
    held = entry.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));
    running = (await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 3 } })).json.requestId; // moto launches 1 of 3
    write(endpoint);
    environment.env['AWS_ENDPOINT_URL'] = endpoint;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => stalled.close(() => resolve()));
  });

  it.each([
    ['getAvailableTemplates', 'non-zero', () => ({})],
    ['requestMachines', 'non-zero', () => ({ template: { templateId: 'OnDemand-Small', machineCount: 1 } })],
    ['getRequestStatus', 'zero', () => ({ requests: [{ requestId: running }] })],
    ['getReturnRequests', 'non-zero', () => ({ machines: held })],
    ['requestReturnMachines', 'non-zero', () => ({ machines: held })],
  ])('%s ends within the budget with one JSON document (exit %s)', async (script, exit, input) => {
    const started = Date.now();
    // getAvailableTemplates reaches AWS only for attributes it must derive: make it need them.
    const result = await hf.runScript(script, input(), environment.env, { timeoutMs: 60_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(result.killed).toBe(false);
    expect(seconds).toBeLessThan(ACTION_TIMEOUT_SEC);
    expect(result.json).toBeDefined();
    if (exit === 'zero') {
      expect(result.status).toBe(0);
      expect(result.json.requests[0]).toMatchObject({ requestId: running, status: 'running', message: expect.stringContaining('time budget') });
    } else {
      expect(result.status).not.toBe(0);
      expect(result.json.error).toMatchObject({ message: expect.any(String) });
    }
    process.stdout.write(`stalled endpoint: ${script} answered in ${seconds.toFixed(1)} s (budget ${ACTION_TIMEOUT_SEC} s), exit ${result.status}\n`);
  });

  it('is bounded by AWS_ACTION_TIMEOUT_SEC from the file when HF does not set HF_PROVIDER_ACTION_TIMEOUT', async () => {
    const fileTimeoutSec = 5;
    write(endpoint, { AWS_ACTION_TIMEOUT_SEC: fileTimeoutSec });
    const env = { ...environment.env };
    delete env['HF_PROVIDER_ACTION_TIMEOUT'];
    try {
      const started = Date.now();
      const result = await hf.runScript('getRequestStatus', { requests: [{ requestId: running }] }, env, { timeoutMs: 60_000 });
      const seconds = (Date.now() - started) / 1000;
      expect(result.killed).toBe(false);
      expect(result.status).toBe(0);
      expect(seconds).toBeLessThan(fileTimeoutSec);
      expect(result.json.requests[0]).toMatchObject({ requestId: running, status: 'running', message: expect.stringContaining('time budget') });
      process.stdout.write(`stalled endpoint, AWS_ACTION_TIMEOUT_SEC=${fileTimeoutSec}: getRequestStatus answered in ${seconds.toFixed(1)} s\n`);
    } finally {
      write(endpoint);
    }
  });
});

describe('a poll with many slow top-ups', () => {
  it('makes them a few at a time, well inside the budget', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const network = await hf.createNetwork(motoEndpoint());
      const environment = hf.hfEnvironment({
        root: mkdtempSync(join(tmpdir(), 'hf slow top-ups ')),
        endpoint: proxy.endpoint,
        extraEnv: { HF_PROVIDER_ACTION_TIMEOUT: '60' },
      });
      hf.writeProviderFiles(environment.confDir, {
        config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: proxy.endpoint },
        templates: [hf.ondemandTemplate(network, { maxNumber: -1 })],
      });
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++)
        ids.push((await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } })).json.requestId);
      proxy.setHold((action) => (action === 'RunInstances' ? 1500 : 0)); // every top-up takes 1.5 s
      const before = proxy.count('RunInstances');
      const started = Date.now();
      const poll = await run('getRequestStatus', { requests: ids.map((requestId) => ({ requestId })) });
      const seconds = (Date.now() - started) / 1000;
      expect(poll.status).toBe(0);
      expect(proxy.count('RunInstances') - before).toBe(20); // one top-up per request in this one poll
      expect(seconds).toBeLessThan(60 * 0.9); // inside the budget: not 20 x 1.5 s one after another
      process.stdout.write(`slow top-ups: 20 top-ups of 1.5 s in one poll took ${seconds.toFixed(1)} s\n`);
    } finally {
      await proxy.close();
    }
  });
});
