// The template check cache (caching.template_cache_ttl / AWS_TEMPLATE_CHECK_CACHE_TTL_SEC), through
// the real scripts with every EC2 request counted by a loopback proxy in front of moto: by default
// a template that passed its cloud checks is not checked again by the next request; with 0 (or
// caching.enabled false) it is checked on every request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

describe('the template check cache', () => {
  it.each([
    ['no cache key', {}, 1],
    ['AWS_TEMPLATE_CHECK_CACHE_TTL_SEC 0', { AWS_TEMPLATE_CHECK_CACHE_TTL_SEC: 0 }, 3],
    ['AWS_CACHING_ENABLED false', { AWS_CACHING_ENABLED: false, AWS_TEMPLATE_CHECK_CACHE_TTL_SEC: 600 }, 3],
  ])('%s: three requests check the template subnets the expected number of times', async (_name, cacheKeys, checks) => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const network = await hf.createNetwork(motoEndpoint());
      const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf check cache ')), endpoint: proxy.endpoint });
      hf.writeProviderFiles(environment.confDir, {
        config: {
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL: proxy.endpoint,
          ...cacheKeys,
        },
        templates: [hf.ondemandTemplate(network, { maxNumber: 10 })],
      });
      for (let call = 0; call < 3; call++) {
        const result = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
        expect(result.status).toBe(0);
        expect(result.json.requestId).toMatch(/^req-/);
      }
      expect(proxy.count('DescribeSubnets')).toBe(checks);
    } finally {
      await proxy.close();
    }
  });
});
