// The core CapacityProvider contract, run against RunInstancesProvider on moto_server.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { aTemplate, describeCapacityProviderContract } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient } from '../test/moto';
import { RunInstancesProvider } from './run-instances-provider';

describeCapacityProviderContract('RunInstancesProvider on moto_server', async () => {
  const client = motoClient();
  const network = await createNetwork(client);
  return {
    provider: new RunInstancesProvider(client, { providerName: 'contract' }),
    template: aTemplate({
      templateId: 'Contract-RunInstances',
      imageId: MOTO_AMI,
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
    }),
    terminateOutside: async (machineId) => {
      await client.send(new TerminateInstancesCommand({ InstanceIds: [machineId] }));
    },
    cleanup: async () => client.destroy(),
  };
});
