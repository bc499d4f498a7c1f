import { spawn } from 'node:child_process';
import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSettings, systemClock, type Template } from '@open-hostfactory/core';
import { aTemplate, anAcquireRequest, describeCapacityProviderContract } from '@open-hostfactory/core/testing';
import { providers, staticPool, staticPoolSettings } from './index';
import { StaticPoolProvider } from './static-pool-provider';

const HOSTS = Array.from({ length: 8 }, (_, i) => `10.1.0.${i + 1}`);

function poolTemplate(hosts: readonly string[] = HOSTS, templateId = 'Pool-A'): Template {
  return aTemplate({
    templateId,
    providerApi: 'StaticPool',
    imageId: '',
    subnetIds: [],
    securityGroupIds: [],
    vmType: undefined,
    providerSettings: { hosts, instanceType: 'rack-node' },
  });
}

function provider(workDir = mkdtempSync(join(tmpdir(), 'static-pool-'))): { provider: StaticPoolProvider; workDir: string; file: string } {
  return {
    provider: new StaticPoolProvider({ providerName: 'onprem', workDir, clock: systemClock }),
    workDir,
    file: join(workDir, 'onprem.static-pool.json'),
  };
}

describeCapacityProviderContract(
  'StaticPool on a pool file',
  async () => {
    const { provider: pool, file } = provider();
    return {
      provider: pool,
      template: poolTemplate(),
      // Someone takes a host back behind the provider's back: its lease disappears from the file.
      terminateOutside: async (machineId) => {
        const state = JSON.parse(readFileSync(file, 'utf8'));
        for (const [host, lease] of Object.entries(state.leases) as [string, { machineId: string }][])
          if (lease.machineId === machineId) delete state.leases[host];
        writeFileSync(file, JSON.stringify(state));
      },
    };
  },
  { idempotentTokens: true },
);

describe('StaticPoolProvider', () => {
  const request = (n: number) => anAcquireRequest({ requestId: `req-pool-${n}`, templateId: 'Pool-A', providerApi: 'StaticPool', machineCount: 3 });

  it('hands out free hosts only, and says why when the pool runs short', async () => {
    const { provider: pool } = provider();
    const template = poolTemplate(HOSTS.slice(0, 3));
    const first = await pool.acquire({ request: request(1), template, count: 2, attempt: 1, deadline: Date.now() + 60_000 });
    expect(first.machines.map((m) => m.name)).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(first.machines[0]).toMatchObject({ state: 'running', instanceType: 'rack-node', privateIpAddress: '10.1.0.1', requestId: 'req-pool-1' });
    const second = await pool.acquire({ request: request(2), template, count: 2, attempt: 1, deadline: Date.now() + 60_000 });
    expect(second.machines.map((m) => m.name)).toEqual(['10.1.0.3']);
    expect(second.shortfallReason).toBe('static pool: 1 of 2 host(s) free (3 in the template, 2 handed out)');
    expect((await pool.preflight(template)).problems).toEqual([
      { severity: 'warn', field: 'providerSettings.hosts', message: 'all 3 host(s) are handed out' },
    ]);
  });

  it('a host given back is handed out again under a new machine id', async () => {
    const { provider: pool } = provider();
    const template = poolTemplate(HOSTS.slice(0, 1));
    const first = await pool.acquire({ request: request(1), template, count: 1, attempt: 1, deadline: Date.now() + 60_000 });
    const machine = first.machines[0]!;
    await pool.release([{ ...machine, providerApi: 'StaticPool' } as never]);
    const again = await pool.acquire({ request: request(2), template, count: 1, attempt: 1, deadline: Date.now() + 60_000 });
    expect(again.machines[0]?.name).toBe(machine.name);
    expect(again.machines[0]?.machineId).not.toBe(machine.machineId);
  });

  it('concurrent processes never hand out a host twice (the lock file)', async () => {
    const { workDir, file } = provider();
    // Eight processes race for eight hosts, two each, all starting at once: four get two hosts,
    // the others none, and no host goes to two of them.
    const worker = join(mkdtempSync(join(tmpdir(), 'pool-worker-')), 'acquire-worker.cjs');
    buildSync({
      entryPoints: [join(__dirname, '..', 'test', 'acquire-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: worker,
      logLevel: 'error',
    });
    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) =>
          new Promise<string[]>((resolve, reject) => {
            const child = spawn(process.execPath, [worker, workDir, `req-race-${i}`, JSON.stringify(HOSTS), startAt], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            child.stdout.on('data', (chunk) => (out += chunk));
            child.on('error', reject);
            child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${i} exited ${code}`))));
          }),
      ),
    );
    const handedOut = results.flat();
    expect(handedOut.sort()).toEqual([...HOSTS].sort());
    expect(results.map((hosts) => hosts.length).sort()).toEqual([0, 0, 0, 0, 2, 2, 2, 2]);
    const leases = JSON.parse(readFileSync(file, 'utf8')).leases;
    expect(Object.keys(leases).sort()).toEqual([...HOSTS].sort());
  });
});

describe('the plugin module', () => {
  it('exports the StaticPool factory, which makes the provider with the context it is given', async () => {
    expect(providers).toEqual([staticPool]);
    const made = await staticPool.create({
      providerName: 'onprem',
      workDir: mkdtempSync(join(tmpdir(), 'static-pool-')),
      clock: systemClock,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(made).toBeInstanceOf(StaticPoolProvider);
    expect(made.api).toBe('StaticPool');
  });

  it('its settings schema requires hosts and fills in the instance type', () => {
    expect(checkSettings(staticPoolSettings, { hosts: 'a, b' })).toEqual({ values: { hosts: ['a', 'b'], instanceType: 'static' }, problems: [] });
    expect(checkSettings(staticPoolSettings, {}).problems).toEqual([{ key: 'hosts', reason: expect.stringMatching(/^is required/) }]);
    expect(checkSettings(staticPoolSettings, { hosts: ['a'], host: 'b' }).problems).toEqual([
      { key: 'host', reason: expect.stringMatching(/did you mean hosts\?/) },
    ]);
  });
});
