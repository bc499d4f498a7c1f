// AWS_PROXY_HOST / AWS_PROXY_PORT and the standard HTTP_PROXY / NO_PROXY environment, through
// the real scripts and a real forward proxy: Debian's tinyproxy on loopback, in front of a
// counting proxy in front of moto_server. tinyproxy adds a `Via` header to what it forwards, so
// the counting proxy tells proxied requests from direct ones; tinyproxy's log lists them too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

const { startTinyproxy } = require('../../../tools/proxy/tinyproxy.js') as typeof import('../../../tools/proxy/tinyproxy');

type Ec2Proxy = Awaited<ReturnType<typeof startEc2Proxy>>;
type Tinyproxy = Awaited<ReturnType<typeof startTinyproxy>>;

let counting: Ec2Proxy;
let tinyproxy: Tinyproxy;
let network: { subnetIds: string[]; securityGroupId: string };

beforeAll(async () => {
  network = await hf.createNetwork(motoEndpoint());
  counting = await startEc2Proxy(motoEndpoint());
  tinyproxy = await startTinyproxy();
});

afterAll(async () => {
  await tinyproxy?.stop();
  await counting?.close();
});

function install(config: Record<string, unknown>, extraEnv: Record<string, string> = {}): HfEnvironment {
  const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf proxy ')), endpoint: counting.endpoint, extraEnv });
  hf.writeProviderFiles(environment.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: counting.endpoint, ...config },
    templates: [hf.ondemandTemplate(network, { maxNumber: 4 })],
  });
  return environment;
}

/** A whole HF lifecycle: templates, a request of 2 polled to complete, its return polled to complete. */
async function lifecycle(environment: HfEnvironment): Promise<void> {
  const { env } = environment;
  expect((await runOk('getAvailableTemplates', {}, env)).templates).toHaveLength(1);
  const { requestId } = await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, env);
  const done = await untilComplete(requestId, env);
  const machines = done.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));
  const returned = await runOk('requestReturnMachines', { machines }, env);
  await untilComplete(returned.requestId, env);
  await runOk('getReturnRequests', { machines: [] }, env);
}

/** What one lifecycle sent: all AWS requests, those that came through tinyproxy, and tinyproxy's log lines. */
async function measured(environment: HfEnvironment): Promise<{ total: number; via: number; logged: string[] }> {
  const before = counting.requests();
  const loggedBefore = tinyproxy.requests().length;
  await lifecycle(environment);
  const after = counting.requests();
  return { total: after.total - before.total, via: after.via - before.via, logged: tinyproxy.requests().slice(loggedBefore) };
}

describe('a forward proxy in front of AWS', () => {
  it('AWS_PROXY_HOST / AWS_PROXY_PORT: every AWS request of a lifecycle goes through the proxy', async () => {
    const seen = await measured(install({ AWS_PROXY_HOST: '127.0.0.1', AWS_PROXY_PORT: tinyproxy.port }));
    expect(seen.total).toBeGreaterThan(5);
    expect(seen.via).toBe(seen.total);
    expect(seen.logged).toHaveLength(seen.total);
    for (const line of seen.logged) expect(line.startsWith(`POST ${counting.endpoint}/`)).toBe(true);
    process.stdout.write(`proxy (AWS_PROXY_HOST): ${seen.total} AWS requests, ${seen.via} through tinyproxy\n`);
  });

  it('HTTP_PROXY from the environment (an http endpoint): every request goes through the proxy', async () => {
    const seen = await measured(install({}, { HTTP_PROXY: tinyproxy.url }));
    expect(seen.total).toBeGreaterThan(5);
    expect(seen.via).toBe(seen.total);
    expect(seen.logged).toHaveLength(seen.total);
  });

  it('NO_PROXY naming the endpoint: no request goes through the proxy, whichever proxy is set', async () => {
    const seen = await measured(
      install({ AWS_PROXY_HOST: '127.0.0.1', AWS_PROXY_PORT: tinyproxy.port }, { HTTP_PROXY: tinyproxy.url, NO_PROXY: 'localhost,127.0.0.1' }),
    );
    expect(seen.total).toBeGreaterThan(5);
    expect(seen.via).toBe(0);
    expect(seen.logged).toEqual([]);
    process.stdout.write(`proxy with NO_PROXY=127.0.0.1: ${seen.total} AWS requests, ${seen.via} through tinyproxy\n`);
  });

  it('a proxy port without a host is refused at load, naming the key', async () => {
    const environment = install({ AWS_PROXY_PORT: tinyproxy.port });
    const result = await hf.runScript('getAvailableTemplates', {}, environment.env);
    expect(result.status).toBe(3);
    expect(result.json.error).toMatchObject({ code: 'CONFIG_INVALID', details: { key: 'AWS_PROXY_PORT' } });
    expect(result.json.error.message).toContain('AWS_PROXY_PORT: is set without AWS_PROXY_HOST');
  });
});
