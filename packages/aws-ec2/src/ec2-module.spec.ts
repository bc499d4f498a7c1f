import { Container } from 'inversify';
import { FakeAwsClient } from '@open-hostfactory/aws-common/testing';
import { createEc2Client } from './ec2-client';
import { ec2CapacityModule } from './ec2-module';
import { Ec2InstanceTypeCatalog } from './instance-type-catalog';
import { RunInstancesProvider } from './run-instances-provider';
import { Ec2FleetProvider } from './ec2-fleet-provider';
import { Ec2Instances } from './ec2-instances';
import { LaunchTemplates } from './launch-templates';
import { SpotFleetProvider } from './spot-fleet-provider';

describe('ec2CapacityModule', () => {
  it('binds the provider and the catalog as singletons and the catalog port to the catalog', async () => {
    const container = new Container();
    await container.load(ec2CapacityModule({ client: new FakeAwsClient(), providerName: 'awsinst' }));
    const provider = container.get(RunInstancesProvider);
    expect(provider).toBeInstanceOf(RunInstancesProvider);
    expect(provider.api).toBe('RunInstances');
    expect(container.get(RunInstancesProvider)).toBe(provider);
    expect(container.get(Ec2InstanceTypeCatalog)).toBe(container.get(Ec2InstanceTypeCatalog));
  });

  it('binds EC2 Fleet with the shared launch templates, all singletons', async () => {
    const container = new Container();
    await container.load(ec2CapacityModule({ client: new FakeAwsClient(), providerName: 'awsinst' }));
    const fleet = container.get(Ec2FleetProvider);
    expect(fleet.api).toBe('EC2Fleet');
    expect(container.get(Ec2FleetProvider)).toBe(fleet);
    expect(container.get(LaunchTemplates)).toBe(container.get(LaunchTemplates));
    expect(container.get(Ec2Instances)).toBeInstanceOf(Ec2Instances);
    expect(container.get(SpotFleetProvider).api).toBe('SpotFleet');
  });

  it('shares one instance view, with the EventBridge notice queue, across every EC2 shape', async () => {
    const received: string[] = [];
    const sqs = {
      send: async (command: { constructor: { name: string }; input: { QueueUrl: string } }) => {
        received.push(`${command.constructor.name} ${command.input.QueueUrl}`);
        return { Messages: [] };
      },
    };
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({ Reservations: [] }));
    const container = new Container();
    await container.load(
      ec2CapacityModule({ client, providerName: 'awsinst', events: { queueUrl: 'http://127.0.0.1:1/q', sqs: () => sqs as never } }),
    );
    const { aMachine } = await import('@open-hostfactory/core/testing');
    for (const provider of [container.get(RunInstancesProvider), container.get(Ec2FleetProvider), container.get(SpotFleetProvider)]) {
      await provider.describe({ requests: [], machines: [aMachine()] });
    }
    expect(received).toEqual([
      'ReceiveMessageCommand http://127.0.0.1:1/q',
      'ReceiveMessageCommand http://127.0.0.1:1/q',
      'ReceiveMessageCommand http://127.0.0.1:1/q',
    ]);
  });

  it('hands the client and provider name to the provider', async () => {
    const client = new FakeAwsClient().on('RunInstancesCommand', () => ({ Instances: [] }));
    const container = new Container();
    await container.load(ec2CapacityModule({ client, providerName: 'aws-east' }));
    const { aTemplate, anAcquireRequest } = await import('@open-hostfactory/core/testing');
    await container
      .get(RunInstancesProvider)
      .acquire({ request: anAcquireRequest(), template: aTemplate(), count: 1, attempt: 1, deadline: Date.now() + 600_000 });
    expect(client.calls('RunInstancesCommand')[0].TagSpecifications[0].Tags).toContainEqual({
      Key: 'hf:provider-name',
      Value: 'aws-east',
    });
  });
});

describe('createEc2Client', () => {
  it('builds a client for the region and endpoint with bounded timeouts', async () => {
    const client = createEc2Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      maxAttempts: 2,
      connectionTimeoutMs: 1000,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.maxAttempts()).toBe(2);
    const endpoint = await client.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    client.destroy();
  });

  it('fails fast with a transient PROVIDER_ERROR when the endpoint is unreachable', async () => {
    const client = createEc2Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      connectionTimeoutMs: 1000,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const catalog = new Ec2InstanceTypeCatalog(client);
    await expect(catalog.describe(['t3.medium'])).rejects.toMatchObject({ code: 'PROVIDER_ERROR', transient: true });
    client.destroy();
  });
});
