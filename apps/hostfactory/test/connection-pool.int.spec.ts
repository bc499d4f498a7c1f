// AWS_CONNECTION_POOL_SIZE (provider.aws.connection_pool_size), through the real scripts: the
// SDK's sockets per endpoint, kept alive. One poll tops up six requests, each RunInstances held
// 400 ms by a loopback proxy in front of moto that counts the TCP connections it accepts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

async function pollThroughProxy(poolSize: number | undefined): Promise<{ total: number; maxOpen: number; topUps: number }> {
  const network = await hf.createNetwork(motoEndpoint());
  const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf pool ')), endpoint: motoEndpoint() });
  const write = (endpoint: string): void =>
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, ...(poolSize === undefined ? {} : { AWS_CONNECTION_POOL_SIZE: poolSize }) },
      templates: [hf.ondemandTemplate(network, { maxNumber: -1 })],
    });
  write(motoEndpoint());
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, environment.env);
    expect(made.status).toBe(0);
    ids.push(made.json.requestId); // moto launches 1 of 2: each needs a top-up
  }
  const proxy = await startEc2Proxy(motoEndpoint(), { hold: (action) => (action === 'RunInstances' ? 400 : 0) });
  try {
    write(proxy.endpoint);
    const env = { ...environment.env, AWS_ENDPOINT_URL: proxy.endpoint };
    const poll = await hf.runScript('getRequestStatus', { requests: ids.map((requestId) => ({ requestId })) }, env);
    expect(poll.status).toBe(0);
    expect(poll.json.requests).toHaveLength(6);
    return { ...proxy.connections(), topUps: proxy.count('RunInstances') };
  } finally {
    await proxy.close();
  }
}

describe('the connection pool', () => {
  it('AWS_CONNECTION_POOL_SIZE 1: every request of the poll goes over one kept-alive connection', async () => {
    const seen = await pollThroughProxy(1);
    expect(seen.topUps).toBe(6);
    expect(seen.maxOpen).toBe(1);
    expect(seen.total).toBe(1);
    process.stdout.write(`connection pool 1: ${seen.topUps} top-ups over ${seen.total} connection(s), at most ${seen.maxOpen} open\n`);
  });

  it('without the key the SDK opens several connections for concurrent top-ups', async () => {
    const seen = await pollThroughProxy(undefined);
    expect(seen.topUps).toBe(6);
    expect(seen.maxOpen).toBeGreaterThan(1);
    process.stdout.write(`connection pool default: ${seen.topUps} top-ups over ${seen.total} connection(s), at most ${seen.maxOpen} open\n`);
  });
});
