import { Container } from 'inversify';
import { aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { FakeAutoScaling, FixedLaunchTemplates, StaticInstances } from '../test/fake-asg-client';
import { createAutoScalingClient } from './asg-client';
import { asgCapacityModule } from './asg-module';
import { AsgProvider } from './asg-provider';

describe('asgCapacityModule', () => {
  it('binds the provider as a singleton, built with the client, helpers and provider name', async () => {
    const client = new FakeAutoScaling();
    const launchTemplates = new FixedLaunchTemplates();
    const container = new Container();
    await container.load(asgCapacityModule({ client, providerName: 'aws-east', launchTemplates, instances: new StaticInstances() }));
    const provider = container.get(AsgProvider);
    expect(provider).toBeInstanceOf(AsgProvider);
    expect(provider.api).toBe('ASG');
    expect(container.get(AsgProvider)).toBe(provider);
    const result = await provider.acquire({
      request: anAcquireRequest({ requestId: 'req-1', providerApi: 'ASG' }),
      template: aTemplate({ providerApi: 'ASG' }),
      count: 1,
      attempt: 1,
      deadline: Date.now() + 600_000,
    });
    expect(result.providerData).toEqual({ groupName: 'hf-aws-east-req-1' });
    expect(launchTemplates.ensured).toEqual(['OnDemand-Small']);
    expect(client.calls('CreateAutoScalingGroupCommand')[0].Tags).toContainEqual(
      expect.objectContaining({ Key: 'hf:provider-name', Value: 'aws-east', PropagateAtLaunch: true }),
    );
  });
});

describe('createAutoScalingClient', () => {
  it('builds a client for the region and endpoint', async () => {
    const client = createAutoScalingClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      maxAttempts: 2,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.maxAttempts()).toBe(2);
    expect((await client.config.endpoint?.())?.hostname).toBe('127.0.0.1');
    client.destroy();
  });

  it('fails fast with a transient PROVIDER_ERROR when the endpoint is unreachable', async () => {
    const client = createAutoScalingClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      connectionTimeoutMs: 1000,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const provider = new AsgProvider(client, new FixedLaunchTemplates(), new StaticInstances(), { providerName: 'x' });
    await expect(provider.describe({ requests: [anAcquireRequest({ providerApi: 'ASG' })], machines: [] })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      transient: true,
    });
    client.destroy();
  });
});
