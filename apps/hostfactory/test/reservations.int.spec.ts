// Capacity Reservations, Capacity Blocks and attribute-based instance selection through the real
// scripts: a loopback proxy in front of moto_server records what the plugin sends, and the
// template's settings are in the RunInstances, CreateLaunchTemplate and CreateFleet bodies.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

describe('capacity reservations through the scripts', () => {
  let proxy: Awaited<ReturnType<typeof startEc2Proxy>>;
  let environment: HfEnvironment;
  const launchTemplateData = (templateId: string): URLSearchParams | undefined =>
    proxy.sent('CreateLaunchTemplate').find((params) => params.get('LaunchTemplateName') === `hf-awsinst-${templateId}`);

  beforeAll(async () => {
    proxy = await startEc2Proxy(motoEndpoint());
    const network = await hf.createNetwork(motoEndpoint());
    environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf reservations ')), endpoint: proxy.endpoint });
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: proxy.endpoint },
      templates: [
        hf.ondemandTemplate(network, {
          templateId: 'Reserved',
          capacityReservationId: 'cr-0123456789abcdef0',
          capacityReservationPreference: 'capacity-reservations-only',
        }),
        hf.ondemandTemplate(network, {
          templateId: 'FleetGroup',
          providerApi: 'EC2Fleet',
          capacityReservationResourceGroupArn: 'arn:aws:resource-groups:us-east-1:123456789012:group/hf-reservations',
        }),
        hf.ondemandTemplate(network, { templateId: 'Block', providerApi: 'ASG', capacityBlockId: 'cr-0b10c0b10c0b10c00' }),
        hf.ondemandTemplate(network, {
          templateId: 'Attr',
          providerApi: 'EC2Fleet',
          attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] },
          instanceRequirements: { vCpuCount: { min: 2, max: 4 }, memoryMiB: { min: 4096 }, instanceGenerations: ['current'] },
        }),
      ],
    });
  });
  afterAll(() => proxy.close());

  it('RunInstances targets the reservation with the stated preference', async () => {
    const made = await runOk('requestMachines', { template: { templateId: 'Reserved', machineCount: 1 } }, environment.env);
    await untilComplete(made.requestId, environment.env);
    const [sent] = proxy.sent('RunInstances');
    expect(sent?.get('CapacityReservationSpecification.CapacityReservationTarget.CapacityReservationId')).toBe('cr-0123456789abcdef0');
    expect(sent?.get('CapacityReservationSpecification.CapacityReservationPreference')).toBe('capacity-reservations-only');
  });

  it('an instant EC2 Fleet: the launch template targets the resource group and the fleet uses reservations first', async () => {
    const made = await runOk('requestMachines', { template: { templateId: 'FleetGroup', machineCount: 1 } }, environment.env);
    await untilComplete(made.requestId, environment.env);
    expect(
      launchTemplateData('FleetGroup')?.get(
        'LaunchTemplateData.CapacityReservationSpecification.CapacityReservationTarget.CapacityReservationResourceGroupArn',
      ),
    ).toBe('arn:aws:resource-groups:us-east-1:123456789012:group/hf-reservations');
    const [fleet] = proxy.sent('CreateFleet');
    expect(fleet?.get('OnDemandOptions.CapacityReservationOptions.UsageStrategy')).toBe('use-capacity-reservations-first');
  });

  it("an ASG template's launch template launches into its Capacity Block", async () => {
    await hf.runScript('requestMachines', { template: { templateId: 'Block', machineCount: 1 } }, environment.env);
    const data = launchTemplateData('Block');
    expect(data?.get('LaunchTemplateData.InstanceMarketOptions.MarketType')).toBe('capacity-block');
    expect(data?.get('LaunchTemplateData.CapacityReservationSpecification.CapacityReservationTarget.CapacityReservationId')).toBe(
      'cr-0b10c0b10c0b10c00',
    );
  });

  it('instanceRequirements: the fleet asks by attributes beside the named type', async () => {
    await hf.runScript('requestMachines', { template: { templateId: 'Attr', machineCount: 1 } }, environment.env);
    const fleet = proxy.sent('CreateFleet').find((params) => [...params.values()].some((value) => value === 'current'));
    expect(fleet).toBeDefined();
    const fields = new Map(
      [...fleet!]
        .filter(([name]) => name.includes('InstanceRequirements'))
        .map(([name, value]) => [name.replace(/^.*InstanceRequirements\./, ''), value]),
    );
    expect(Object.fromEntries(fields)).toEqual({
      'VCpuCount.Min': '2',
      'VCpuCount.Max': '4',
      'MemoryMiB.Min': '4096',
      'InstanceGeneration.1': 'current',
    });
  });
});
