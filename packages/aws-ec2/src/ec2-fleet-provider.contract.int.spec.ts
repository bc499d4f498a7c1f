// The core CapacityProvider contract, run against Ec2FleetProvider on moto_server for every fleet
// shape moto supports end to end. `maintain` is not here: moto 5.2.1 does not implement
// ModifyFleet, which releasing from a maintained fleet needs (see ec2-fleet-provider.int.spec.ts
// and the unit tests for it).
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Template } from '@open-hostfactory/core';
import { aTemplate, describeCapacityProviderContract } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient } from '../test/moto';
import { Ec2FleetProvider } from './ec2-fleet-provider';
import { LaunchTemplates } from './launch-templates';

const shapes: [string, Partial<Template>][] = [
  ['instant, on-demand', { fleetType: 'instant', priceType: 'ondemand', vmType: 't3.medium' }],
  [
    'instant, spot, capacityOptimized',
    { fleetType: 'instant', priceType: 'spot', vmType: 't3.medium', allocationStrategy: 'capacityOptimized', maxSpotPrice: 0.5 },
  ],
  ['instant, heterogeneous 50%', { fleetType: 'instant', priceType: 'heterogeneous', percentOnDemand: 50, vmType: 't3.medium' }],
  [
    'request, spot, weighted vmTypes',
    { fleetType: 'request', priceType: 'spot', vmType: undefined, vmTypes: { 'm5.xlarge': 2, 'm5.large': 1 }, allocationStrategy: 'lowestPrice' },
  ],
];

for (const [label, fields] of shapes) {
  describeCapacityProviderContract(`Ec2FleetProvider (${label}) on moto_server`, async () => {
    const client = motoClient();
    const network = await createNetwork(client);
    const providerName = `contract-fleet-${Date.now().toString(36)}`;
    return {
      provider: new Ec2FleetProvider(client, new LaunchTemplates(client, { providerName }), { providerName }),
      template: aTemplate({
        templateId: 'Contract-EC2Fleet',
        providerApi: 'EC2Fleet',
        imageId: MOTO_AMI,
        subnetIds: network.subnetIds,
        securityGroupIds: [network.securityGroupId],
        ...fields,
      }),
      terminateOutside: async (machineId) => {
        await client.send(new TerminateInstancesCommand({ InstanceIds: [machineId] }));
      },
      cleanup: async () => client.destroy(),
    };
  });
}
