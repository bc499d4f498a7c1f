// The core CapacityProvider contract, run against SpotFleetProvider on moto_server for every Spot
// Fleet shape moto serves end to end. moto 5.2.1 launches a spot fleet's instances at once (all
// spot, from the first override only), ignores ClientToken, OnDemandTargetCapacity, Type and
// ValidUntil, and reports no ActivityStatus; the unit tests cover what it does not show.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Template } from '@open-hostfactory/core';
import { aTemplate, describeCapacityProviderContract } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient } from '../test/moto';
import { LaunchTemplates } from './launch-templates';
import { SpotFleetProvider } from './spot-fleet-provider';

const FLEET_ROLE = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';

const shapes: [string, Partial<Template>][] = [
  ['request, spot, capacityOptimized', { fleetType: 'request', priceType: 'spot', allocationStrategy: 'capacityOptimized', maxSpotPrice: 0.5 }],
  [
    'request, heterogeneous 50%, weighted vmTypes',
    {
      fleetType: 'request',
      priceType: 'heterogeneous',
      percentOnDemand: 50,
      vmType: undefined,
      vmTypes: { 'm5.xlarge': 2, 'm5.large': 1 },
      allocationStrategy: 'diversified',
      allocationStrategyOnDemand: 'lowestPrice',
    },
  ],
  ['request, on-demand', { fleetType: 'request', priceType: 'ondemand', allocationStrategy: 'lowestPrice' }],
  [
    'maintain, spot, expiry 30 min',
    { fleetType: 'maintain', priceType: 'spot', allocationStrategy: 'priceCapacityOptimized', spotFleetRequestExpiry: 30 },
  ],
];

for (const [label, fields] of shapes) {
  describeCapacityProviderContract(`SpotFleetProvider (${label}) on moto_server`, async () => {
    const client = motoClient();
    const network = await createNetwork(client);
    const providerName = `contract-sf-${Date.now().toString(36)}`;
    return {
      provider: new SpotFleetProvider(client, new LaunchTemplates(client, { providerName }), { providerName }),
      template: aTemplate({
        templateId: 'Contract-SpotFleet',
        providerApi: 'SpotFleet',
        imageId: MOTO_AMI,
        subnetIds: network.subnetIds,
        securityGroupIds: [network.securityGroupId],
        fleetRole: FLEET_ROLE,
        ...fields,
      }),
      terminateOutside: async (machineId) => {
        await client.send(new TerminateInstancesCommand({ InstanceIds: [machineId] }));
      },
      cleanup: async () => client.destroy(),
    };
  });
}
