// The core CapacityProvider contract, run against AsgProvider on moto_server: an on-demand group
// (launch template alone) and a spot group with weighted types (MixedInstancesPolicy). moto
// ignores the policy's overrides, weights and spot split (it launches the launch template's
// type on demand, one instance per unit), so the spot shape proves the request shape is
// accepted and the lifecycle works; the exact policy is covered by the unit tests.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Template } from '@open-hostfactory/core';
import { aTemplate, describeCapacityProviderContract, type CapacityProviderUnderTest } from '@open-hostfactory/core/testing';
import { MOTO_AMI, MotoInstances, MotoLaunchTemplates, createNetwork, motoClients } from '../test/moto';
import { AsgProvider } from './asg-provider';

function underTest(
  shape: (network: { subnetIds: string[]; securityGroupId: string }) => Partial<Template>,
): () => Promise<CapacityProviderUnderTest> {
  return async () => {
    const { asg, ec2 } = motoClients();
    const network = await createNetwork(ec2);
    return {
      provider: new AsgProvider(asg, new MotoLaunchTemplates(ec2), new MotoInstances(ec2), { providerName: 'contract' }),
      template: aTemplate({
        providerApi: 'ASG',
        imageId: MOTO_AMI,
        subnetIds: network.subnetIds,
        securityGroupIds: [network.securityGroupId],
        ...shape(network),
      }),
      terminateOutside: async (machineId) => {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds: [machineId] }));
      },
      cleanup: async () => {
        asg.destroy();
        ec2.destroy();
      },
    };
  };
}

// The provider looks the group up before creating it, so a repeat makes nothing more even on
// moto (which would otherwise silently replace a group of the same name).
describeCapacityProviderContract(
  'AsgProvider on moto_server (on-demand group)',
  underTest(() => ({ templateId: 'Contract-ASG-OnDemand' })),
  {
    idempotentTokens: true,
  },
);

describeCapacityProviderContract(
  'AsgProvider on moto_server (spot, weighted MixedInstancesPolicy)',
  underTest(() => ({
    templateId: 'Contract-ASG-Spot',
    priceType: 'spot',
    vmType: 't3.medium',
    vmTypes: { 't3.medium': 1, 't3.large': 2 },
    allocationStrategy: 'priceCapacityOptimized',
    maxSpotPrice: 0.1,
  })),
  { idempotentTokens: true },
);
