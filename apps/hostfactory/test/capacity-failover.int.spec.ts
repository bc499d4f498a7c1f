// Unavailable capacity pools through the real scripts: a loopback proxy in front of moto_server
// answers chosen RunInstances with EC2's own capacity error; the plugin remembers the pool for
// AWS_UNAVAILABLE_CAPACITY_TTL_SEC in the state store, every later call (another process each)
// skips it, and a template with no pool left offers nothing until the TTL ends. A request EC2
// Fleet's launch errors (which moto leaves out of DescribeFleets) are added by the proxy.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

const TTL_SEC = 4;

describe('unavailable capacity pools through the scripts', () => {
  let proxy: Awaited<ReturnType<typeof startEc2Proxy>>;
  let environment: HfEnvironment;
  let fleetSubnet: string;
  const launchesOf = (type: string): number => proxy.sent('RunInstances').filter((params) => params.get('InstanceType') === type).length;
  const available = async (): Promise<Map<string, { availableNumber: number; maxNumber: number }>> => {
    const answer = await runOk('getAvailableTemplates', {}, environment.env);
    return new Map(answer.templates.map((t: { templateId: string; availableNumber: number; maxNumber: number }) => [t.templateId, t]));
  };

  beforeAll(async () => {
    proxy = await startEc2Proxy(motoEndpoint());
    const network = await hf.createNetwork(motoEndpoint());
    const subnet = network.subnetIds[0] as string;
    fleetSubnet = subnet;
    environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf failover ')), endpoint: proxy.endpoint });
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: proxy.endpoint, AWS_UNAVAILABLE_CAPACITY_TTL_SEC: TTL_SEC },
      templates: [
        hf.ondemandTemplate(
          { ...network, subnetIds: [subnet] },
          { templateId: 'TwoTypes', vmType: 't3.medium', vmTypes: { 't3.medium': 1, 't3.large': 1 } },
        ),
        hf.ondemandTemplate({ ...network, subnetIds: [subnet] }, { templateId: 'Single', vmType: 'm5.large' }),
        hf.ondemandTemplate(
          { ...network, subnetIds: [subnet] },
          {
            templateId: 'FleetRequest',
            providerApi: 'EC2Fleet',
            fleetType: 'request',
            vmType: 'm5.xlarge',
            vmTypes: { 'm5.xlarge': 1, 'c5.large': 1 },
          },
        ),
      ],
    });
    const noCapacity = (type: string) => (params: URLSearchParams) => params.get('InstanceType') === type;
    proxy.refuse(
      'RunInstances',
      noCapacity('t3.medium'),
      'InsufficientInstanceCapacity',
      'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested.',
    );
    proxy.refuse('RunInstances', noCapacity('m5.large'), 'InsufficientInstanceCapacity', 'We currently do not have sufficient m5.large capacity.');
  });
  afterAll(() => proxy.close());

  it('a two-type template completes from the other type in the same call; the next request asks nothing of the refused pool', async () => {
    const first = await runOk('requestMachines', { template: { templateId: 'TwoTypes', machineCount: 1 } }, environment.env);
    expect(launchesOf('t3.medium')).toBe(1);
    expect(launchesOf('t3.large')).toBe(1);
    const done = await untilComplete(first.requestId, environment.env);
    expect(done.machines).toHaveLength(1);

    // Another call, another process: the pool is known from the store.
    const second = await runOk('requestMachines', { template: { templateId: 'TwoTypes', machineCount: 1 } }, environment.env);
    await untilComplete(second.requestId, environment.env);
    expect(launchesOf('t3.medium')).toBe(1);
    expect(launchesOf('t3.large')).toBe(2);
    // The refusal is counted in the metrics file, by pool.
    expect(readFileSync(join(environment.workDir, 'awsinst.prom'), 'utf8')).toMatch(
      /open_hostfactory_capacity_refusals_total\{price_type="ondemand",instance_type="t3.medium",location="subnet-[0-9a-f]+"\} 1/,
    );
  });

  it('a single-pool template: the request fails naming the pool, the template offers 0 (maxNumber kept) until the TTL ends, then EC2 is asked again', async () => {
    const refused = await hf.runScript('requestMachines', { template: { templateId: 'Single', machineCount: 1 } }, environment.env);
    expect(refused.status).not.toBe(0);
    expect(refused.json.error.code).toBe('INSUFFICIENT_CAPACITY');
    expect(refused.json.message).toContain('m5.large on-demand in subnet-');
    expect(launchesOf('m5.large')).toBe(1);

    const during = await available();
    expect(during.get('Single')).toMatchObject({ availableNumber: 0, maxNumber: 10 });
    expect(during.get('TwoTypes')?.availableNumber).toBeGreaterThan(0);
    // Asked anyway within the TTL: refused without a call to EC2.
    const again = await hf.runScript('requestMachines', { template: { templateId: 'Single', machineCount: 1 } }, environment.env);
    expect(again.json.error.code).toBe('INSUFFICIENT_CAPACITY');
    expect(launchesOf('m5.large')).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, TTL_SEC * 1000 + 200));
    proxy.clear('RunInstances');
    expect((await available()).get('Single')).toMatchObject({ availableNumber: 10, maxNumber: 10 });
    const later = await runOk('requestMachines', { template: { templateId: 'Single', machineCount: 1 } }, environment.env);
    await untilComplete(later.requestId, environment.env);
    expect(launchesOf('m5.large')).toBe(2);
  });

  it('a request EC2 Fleet short of its target: the pool its DescribeFleets errors refuse is left out of the next fleet', async () => {
    const fleetTypes = (params: URLSearchParams): string[] =>
      [...params].filter(([name]) => /^LaunchTemplateConfigs\.1\.Overrides\.\d+\.InstanceType$/.test(name)).map(([, value]) => value);
    const first = await runOk('requestMachines', { template: { templateId: 'FleetRequest', machineCount: 1 } }, environment.env);
    expect(fleetTypes(proxy.sent('CreateFleet')[0]!)).toEqual(['m5.xlarge', 'c5.large']);
    // What EC2 reports for a fleet that could not launch in a pool, and moto leaves out.
    const refusal =
      '<errorSet><item><launchTemplateAndOverrides><overrides><instanceType>m5.xlarge</instanceType>' +
      `<subnetId>${fleetSubnet}</subnetId></overrides></launchTemplateAndOverrides><lifecycle>on-demand</lifecycle>` +
      '<errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>There is no m5.xlarge capacity.</errorMessage></item></errorSet>';
    proxy.amend('DescribeFleets', (xml) =>
      xml
        .replace(/<errorSet\s*\/>|<errorSet>[\s\S]*?<\/errorSet>/g, '')
        .replace(/<fulfilledCapacity>[^<]*<\/fulfilledCapacity>/g, '<fulfilledCapacity>0.0</fulfilledCapacity>')
        .replace(/(<fleetId>fleet-[^<]+<\/fleetId>)/g, `$1${refusal}`),
    );
    try {
      const described = proxy.count('DescribeFleets');
      await runOk('getRequestStatus', { requests: [{ requestId: first.requestId }] }, environment.env);
      expect(proxy.count('DescribeFleets')).toBeGreaterThan(described);
    } finally {
      proxy.clear('DescribeFleets');
    }
    // Another process, another request: the pool is known from the store, and not asked.
    await runOk('requestMachines', { template: { templateId: 'FleetRequest', machineCount: 1 } }, environment.env);
    expect(fleetTypes(proxy.sent('CreateFleet')[1]!)).toEqual(['c5.large']);
  });
});
