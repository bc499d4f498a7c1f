import { createHash } from 'node:crypto';
import { FixedClock, InMemoryStateStore, aMachine, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { StoredUnavailablePools, type AcquireInput, type Template } from '@open-hostfactory/core';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { toBase64UserData } from './launch-settings';
import { RunInstancesProvider, clientToken, subnetForAttempt } from './run-instances-provider';

const REQUEST_ID = 'req-00000000-0000-4000-8000-000000000001';

function ec2Instance(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    InstanceId: id,
    InstanceType: 't3.medium',
    State: { Name: 'pending', Code: 0 },
    PrivateDnsName: `ip-10-0-0-${id.length}.ec2.internal`,
    PrivateIpAddress: '10.0.0.7',
    LaunchTime: new Date('2024-12-19T14:52:22.900Z'),
    Tags: [
      { Key: 'hf:request-id', Value: REQUEST_ID },
      { Key: 'hf:template-id', Value: 'OnDemand-Small' },
    ],
    ...overrides,
  };
}

/** A fake that launches as many instances as MaxCount (real EC2 with capacity). */
function launchingClient(launch: (maxCount: number, call: number) => number = (max) => max): FakeAwsClient {
  return new FakeAwsClient().on('RunInstancesCommand', (input, call) => ({
    Instances: Array.from({ length: launch(input.MaxCount, call) }, (_, i) => ec2Instance(`i-${call}${i}abc`)),
  }));
}

function acquireInput(overrides: Partial<AcquireInput> = {}, template: Partial<Template> = {}): AcquireInput {
  return {
    request: anAcquireRequest({ requestId: REQUEST_ID, machineCount: 3 }),
    template: aTemplate(template),
    count: 3,
    attempt: 1,
    deadline: 1_700_000_600_000,
    ...overrides,
  };
}

describe('RunInstancesProvider.acquire', () => {
  it('sends one RunInstances with the template launch settings, tags and MinCount 1 / MaxCount count', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput());
    const [input] = client.calls('RunInstancesCommand');
    expect(input).toMatchObject({
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.medium',
      SubnetId: 'subnet-11111111',
      SecurityGroupIds: ['sg-11111111'],
      MinCount: 1,
      MaxCount: 3,
      ClientToken: `${REQUEST_ID}:1`,
    });
    expect(input.InstanceMarketOptions).toBeUndefined();
    expect(input.BlockDeviceMappings).toBeUndefined();
    const expectedTags = [
      { Key: 'Name', Value: `hf-awsinst-${REQUEST_ID}` },
      { Key: 'team', Value: 'hpc' },
      { Key: 'hf:request-id', Value: REQUEST_ID },
      { Key: 'hf:template-id', Value: 'OnDemand-Small' },
      { Key: 'hf:provider-name', Value: 'awsinst' },
      { Key: 'hf:provider-api', Value: 'RunInstances' },
      { Key: 'hf:launch-attempt', Value: '1' },
    ];
    expect(input.TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: expectedTags },
      { ResourceType: 'volume', Tags: expectedTags },
    ]);
  });

  it('lets the template name the instances and ignores reserved tag keys', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { instanceTags: { Name: 'compute', 'aws:x': '1', 'hf:request-id': 'forged' } }));
    const tags = client.calls('RunInstancesCommand')[0].TagSpecifications[0].Tags;
    expect(tags).toContainEqual({ Key: 'Name', Value: 'compute' });
    expect(tags).toContainEqual({ Key: 'hf:request-id', Value: REQUEST_ID });
    expect(tags.map((t: { Key: string }) => t.Key)).not.toContain('aws:x');
  });

  it('keeps the ClientToken stable per (request, attempt) and different across attempts', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({ attempt: 1 }));
    await provider.acquire(acquireInput({ attempt: 1 }));
    await provider.acquire(acquireInput({ attempt: 2 }));
    const tokens = client.calls('RunInstancesCommand').map((input) => input.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    // A token that fits is the readable `<request>:<attempt>`.
    expect(tokens[0]).toBe(`${REQUEST_ID}:1`);
  });

  it('hashes tokens that would not fit in 64 ASCII characters', () => {
    const token = clientToken(`req-${'x'.repeat(70)}`, 12);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    // The first 64 hex digits of sha256('<request>:<attempt>'), computed here independently.
    expect(token).toBe(
      createHash('sha256')
        .update(`req-${'x'.repeat(70)}:12`)
        .digest('hex'),
    );
    expect(token).not.toBe(clientToken(`req-${'x'.repeat(70)}`, 13));
  });

  it('rotates subnets by attempt so that retries move across AZs', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const subnetIds = ['subnet-a', 'subnet-b', 'subnet-c'];
    for (const attempt of [1, 2, 3, 4]) await provider.acquire(acquireInput({ attempt }, { subnetIds }));
    expect(client.calls('RunInstancesCommand').map((input) => input.SubnetId)).toEqual(['subnet-a', 'subnet-b', 'subnet-c', 'subnet-a']);
    expect(subnetForAttempt([], 1)).toBeUndefined();
  });

  it('asks for spot with the max price for spot templates', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { priceType: 'spot', maxSpotPrice: 0.05 }));
    expect(client.calls('RunInstancesCommand')[0].InstanceMarketOptions).toEqual({
      MarketType: 'spot',
      SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate', MaxPrice: '0.05' },
    });
  });

  it('refuses heterogeneous templates (a fleet shape) with TEMPLATE_INVALID and calls nothing', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await expect(provider.acquire(acquireInput({}, { priceType: 'heterogeneous' }))).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
    });
    expect(client.sent).toHaveLength(0);
  });

  it("sets the root volume on the AMI's root device name", async () => {
    const client = launchingClient().on('DescribeImagesCommand', () => ({
      Images: [{ ImageId: 'ami-12c6146b', RootDeviceName: '/dev/sda1' }],
    }));
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { rootDeviceVolumeSize: 50, volumeType: 'gp3', iops: 4000 }));
    expect(client.calls('DescribeImagesCommand')).toEqual([{ ImageIds: ['ami-12c6146b'] }]);
    expect(client.calls('RunInstancesCommand')[0].BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, VolumeSize: 50, VolumeType: 'gp3', Iops: 4000 } },
    ]);
  });

  it('falls back to /dev/xvda when the AMI cannot be described, but rethrows throttling', async () => {
    const client = launchingClient().on('DescribeImagesCommand', () => {
      throw awsError('UnauthorizedOperation');
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { rootDeviceVolumeSize: 30 }));
    expect(client.calls('RunInstancesCommand')[0].BlockDeviceMappings[0].DeviceName).toBe('/dev/xvda');

    client.on('DescribeImagesCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    await expect(provider.acquire(acquireInput({}, { rootDeviceVolumeSize: 30 }))).rejects.toMatchObject({
      code: 'THROTTLED',
    });
  });

  it('passes key, profile (name or ARN), user data, placement and tenancy', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(
      acquireInput(
        {},
        {
          keyName: 'hpc-key',
          instanceProfile: 'hf-compute',
          userData: '#!/bin/bash\necho hi\n',
          placementGroupName: 'pg-1',
          tenancy: 'dedicated',
        },
      ),
    );
    await provider.acquire(acquireInput({}, { instanceProfile: 'arn:aws:iam::123456789012:instance-profile/hf', userData: 'ZWNobyBoaQ==' }));
    const [first, second] = client.calls('RunInstancesCommand');
    expect(first).toMatchObject({
      KeyName: 'hpc-key',
      IamInstanceProfile: { Name: 'hf-compute' },
      UserData: Buffer.from('#!/bin/bash\necho hi\n').toString('base64'),
      Placement: { GroupName: 'pg-1', Tenancy: 'dedicated' },
    });
    expect(second.IamInstanceProfile).toEqual({ Arn: 'arn:aws:iam::123456789012:instance-profile/hf' });
    expect(second.UserData).toBe('ZWNobyBoaQ==');
    expect(second.Placement).toBeUndefined();
  });

  it('encodes user data that only looks like base64 when it does not round-trip', () => {
    expect(toBase64UserData('ZWNobyBoaQ==')).toBe('ZWNobyBoaQ==');
    expect(toBase64UserData('ZWNo\nbyBoaQ==')).toBe('ZWNobyBoaQ==');
    expect(toBase64UserData('echo hi')).toBe(Buffer.from('echo hi').toString('base64'));
    expect(toBase64UserData('#cloud-config')).toBe(Buffer.from('#cloud-config').toString('base64'));
  });

  it('uses the launch template and overrides only what the template states', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(
      acquireInput(
        {},
        {
          launchTemplateId: 'lt-0abc',
          imageId: '',
          vmType: undefined,
          vmTypes: undefined,
          subnetIds: [],
          securityGroupIds: [],
        },
      ),
    );
    const input = client.calls('RunInstancesCommand')[0];
    expect(input.LaunchTemplate).toEqual({ LaunchTemplateId: 'lt-0abc', Version: '$Default' });
    expect(input).not.toHaveProperty('ImageId');
    expect(input).not.toHaveProperty('InstanceType');
    expect(input).not.toHaveProperty('SubnetId');
    expect(input).not.toHaveProperty('SecurityGroupIds');
    expect(input.TagSpecifications).toHaveLength(2);

    await provider.acquire(acquireInput({}, { launchTemplateId: 'lt-0abc', launchTemplateVersion: '7' }));
    expect(client.calls('RunInstancesCommand')[1]).toMatchObject({
      LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '7' },
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.medium',
    });
  });

  it('takes the first of vmTypes when vmType is absent', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { vmType: undefined, vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }));
    expect(client.calls('RunInstancesCommand')[0].InstanceType).toBe('m5.large');
  });

  it('turns capacity units into instances by the weight of the launched type', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({ count: 7 }, { vmType: 'm5.xlarge', vmTypes: { 'm5.xlarge': 4 } }));
    expect(client.calls('RunInstancesCommand')[0]).toMatchObject({ MinCount: 1, MaxCount: 2 });
  });

  it('observes every instance when EC2 launches MaxCount, with no shortfall', async () => {
    const provider = new RunInstancesProvider(launchingClient(), { providerName: 'awsinst' });
    const result = await provider.acquire(acquireInput());
    expect(result.machines).toHaveLength(3);
    expect(result.shortfallReason).toBeUndefined();
    expect(result.machines[0]).toEqual({
      machineId: 'i-10abc',
      requestId: REQUEST_ID,
      templateId: 'OnDemand-Small',
      name: 'ip-10-0-0-7.ec2.internal',
      privateIpAddress: '10.0.0.7',
      publicIpAddress: '',
      launchTime: 1734619942,
      state: 'pending',
      instanceType: 't3.medium',
      priceType: 'ondemand',
    });
  });

  it('reports a shortfall when EC2 launches fewer than asked', async () => {
    const provider = new RunInstancesProvider(
      launchingClient(() => 1),
      { providerName: 'awsinst' },
    );
    const result = await provider.acquire(acquireInput());
    expect(result.machines).toHaveLength(1);
    expect(result.shortfallReason).toMatch(/launched 1 of 3/);
  });

  it('uses the request and template of the call when the answer has no tags, and the clock when no launch time', async () => {
    const client = new FakeAwsClient().on('RunInstancesCommand', () => ({
      Instances: [ec2Instance('i-1', { Tags: undefined, LaunchTime: undefined, PrivateDnsName: '' })],
    }));
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst', clock: { now: () => 1_700_000_000_500 } });
    const [machine] = (await provider.acquire(acquireInput())).machines;
    expect(machine).toMatchObject({ requestId: REQUEST_ID, templateId: 'OnDemand-Small', launchTime: 1_700_000_000, name: '10.0.0.7' });
  });

  it('launches into the template Capacity Reservation (and a Capacity Block as its market)', async () => {
    const client = launchingClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.acquire(acquireInput({}, { capacityReservationId: 'cr-0123', capacityReservationPreference: 'capacity-reservations-only' }));
    await provider.acquire(acquireInput({ attempt: 2 }, { capacityBlockId: 'cr-0b10c' }));
    const [reserved, block] = client.calls('RunInstancesCommand');
    expect(reserved.CapacityReservationSpecification).toEqual({
      CapacityReservationPreference: 'capacity-reservations-only',
      CapacityReservationTarget: { CapacityReservationId: 'cr-0123' },
    });
    expect(block).toMatchObject({
      CapacityReservationSpecification: { CapacityReservationTarget: { CapacityReservationId: 'cr-0b10c' } },
      InstanceMarketOptions: { MarketType: 'capacity-block' },
    });
  });

  it('maps EC2 errors to core codes keeping the cause', async () => {
    const cause = awsError('InsufficientInstanceCapacity', 'no t3.medium in us-east-1a');
    const client = new FakeAwsClient().on('RunInstancesCommand', () => {
      throw cause;
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await expect(provider.acquire(acquireInput())).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
      cause,
    });
  });
});

describe('RunInstancesProvider.acquire: unavailable pools', () => {
  const twoTypes = { vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 }, subnetIds: ['subnet-a', 'subnet-b'] };
  const refusing = (refused: (input: { InstanceType: string; SubnetId: string }) => boolean): FakeAwsClient =>
    new FakeAwsClient().on('RunInstancesCommand', (input, call) => {
      if (refused(input)) throw awsError('InsufficientInstanceCapacity', `no ${input.InstanceType} in ${input.SubnetId}`);
      return { Instances: Array.from({ length: input.MaxCount }, (_, i) => ec2Instance(`i-${call}${i}abc`, { InstanceType: input.InstanceType })) };
    });
  const memory = (ttlSec = 180) => {
    const clock = new FixedClock(1_700_000_000_000);
    return { clock, pools: new StoredUnavailablePools(new InMemoryStateStore(), clock, ttlSec) };
  };
  const sent = (client: FakeAwsClient): string[] =>
    client.calls('RunInstancesCommand').map((input: { InstanceType: string; SubnetId: string }) => `${input.InstanceType}@${input.SubnetId}`);

  it('a pool refused for capacity is remembered and the next pool is tried in the same call: other subnet, then other type', async () => {
    const client = refusing((input) => input.InstanceType === 'm5.large');
    const { pools } = memory();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst', pools });
    const result = await provider.acquire(acquireInput({ count: 4 }, twoTypes));
    expect(sent(client)).toEqual(['m5.large@subnet-a', 'm5.large@subnet-b', 'm5.xlarge@subnet-a']);
    // 4 units of a type that weighs 2: 2 instances.
    expect(client.calls('RunInstancesCommand')[2].MaxCount).toBe(2);
    expect(result.machines).toHaveLength(2);
    expect(result.shortfallReason).toBeUndefined();
    const tokens = client.calls('RunInstancesCommand').map((input: { ClientToken: string }) => input.ClientToken);
    expect(tokens[0]).toBe(clientToken(REQUEST_ID, 1));
    expect(new Set(tokens).size).toBe(3);
    expect(await pools.find([{ instanceType: 'm5.large', location: 'subnet-b', priceType: 'ondemand' }])).toEqual(
      new Map([['ondemand/m5.large/subnet-b', 'InsufficientInstanceCapacity: no m5.large in subnet-b']]),
    );

    // The next attempt, for any request, asks nothing of the refused pools.
    const next = await provider.acquire(acquireInput({ count: 2, attempt: 2 }, twoTypes));
    expect(sent(client).slice(3)).toEqual(['m5.xlarge@subnet-b']);
    expect(next.machines).toHaveLength(1);
  });

  it('every pool refused: INSUFFICIENT_CAPACITY naming each pool and why; within the TTL no call at all; after it, EC2 is asked again', async () => {
    const client = refusing(() => true);
    const { clock, pools } = memory(180);
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst', pools });
    await expect(provider.acquire(acquireInput({}, { vmType: 't3.medium', subnetIds: ['subnet-a', 'subnet-b'] }))).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
      message:
        "EC2 RunInstances found no capacity for template 'OnDemand-Small': t3.medium on-demand in subnet-a: InsufficientInstanceCapacity: no t3.medium in subnet-a; t3.medium on-demand in subnet-b: InsufficientInstanceCapacity: no t3.medium in subnet-b",
    });
    expect(sent(client)).toHaveLength(2);
    await expect(provider.acquire(acquireInput({ attempt: 2 }, { vmType: 't3.medium', subnetIds: ['subnet-a', 'subnet-b'] }))).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
      transient: true,
      message: expect.stringContaining('every capacity pool was refused lately, none asked'),
    });
    expect(sent(client)).toHaveLength(2);
    clock.advance(181_000);
    await expect(provider.acquire(acquireInput({ attempt: 3 }, { vmType: 't3.medium', subnetIds: ['subnet-a', 'subnet-b'] }))).rejects.toMatchObject({
      code: 'INSUFFICIENT_CAPACITY',
    });
    expect(sent(client)).toHaveLength(4);
  });

  it('spot and on-demand are different pools', async () => {
    const client = refusing((input) => input.SubnetId === 'subnet-a');
    const { pools } = memory();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst', pools });
    await provider.acquire(acquireInput({ count: 1 }, { priceType: 'spot', subnetIds: ['subnet-a', 'subnet-b'] }));
    expect([...(await pools.find([{ instanceType: 't3.medium', location: 'subnet-a', priceType: 'spot' }])).keys()]).toEqual([
      'spot/t3.medium/subnet-a',
    ]);
    // On-demand in subnet-a was never refused: it is asked first again.
    await provider.acquire(acquireInput({ count: 1 }, { priceType: 'ondemand', subnetIds: ['subnet-a', 'subnet-b'] }));
    expect(sent(client).slice(2)).toEqual(['t3.medium@subnet-a', 't3.medium@subnet-b']);
  });

  it('an error that is not about the pool is thrown at once, with no other pool tried and nothing remembered', async () => {
    const client = new FakeAwsClient().on('RunInstancesCommand', () => {
      throw awsError('InvalidParameterValue', 'bad key pair');
    });
    const { pools } = memory();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst', pools });
    await expect(provider.acquire(acquireInput({}, twoTypes))).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    expect(client.calls('RunInstancesCommand')).toHaveLength(1);
    expect((await pools.find([{ instanceType: 'm5.large', location: 'subnet-a', priceType: 'ondemand' }])).size).toBe(0);
  });
});

describe('RunInstancesProvider.describe', () => {
  it('finds instances of 450 requests in 3 tag-filter calls and follows pages', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', (input) => {
      const values: string[] = input.Filters[0].Values;
      // The first chunk answers in two pages.
      if (values[0] === 'req-0' && !input.NextToken) {
        return { Reservations: [{ Instances: [ec2Instance('i-a', { Tags: [{ Key: 'hf:request-id', Value: 'req-0' }] })] }], NextToken: 'p2' };
      }
      if (input.NextToken === 'p2') {
        return { Reservations: [{ Instances: [ec2Instance('i-b', { Tags: [{ Key: 'hf:request-id', Value: 'req-1' }] })] }] };
      }
      return { Reservations: [] };
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const requests = Array.from({ length: 450 }, (_, i) => anAcquireRequest({ requestId: `req-${i}` }));
    const result = await provider.describe({ requests, machines: [] });
    const calls = client.calls('DescribeInstancesCommand');
    expect(calls).toHaveLength(4);
    expect(calls.filter((c) => !c.NextToken).map((c) => c.Filters[0].Values.length)).toEqual([200, 200, 50]);
    expect(calls.every((c) => c.Filters[0].Name === 'tag:hf:request-id' && c.InstanceIds === undefined)).toBe(true);
    expect(calls[1]).toMatchObject({ NextToken: 'p2', Filters: calls[0].Filters });
    expect(result.observations.map((o) => [o.machineId, o.requestId])).toEqual([
      ['i-a', 'req-0'],
      ['i-b', 'req-1'],
    ]);
    expect(result.missing).toEqual([]);
  });

  it('describes each instance once: ids the tag query returned are not asked again; missing ids reported', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', (input) => {
      const filter = input.Filters[0];
      if (filter.Name === 'tag:hf:request-id') return { Reservations: [{ Instances: [ec2Instance('i-1')] }] };
      return {
        Reservations: [{ Instances: [ec2Instance('i-1')] }, { Instances: [ec2Instance('i-2', { State: { Name: 'running' } })] }],
      };
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const result = await provider.describe({
      requests: [anAcquireRequest({ requestId: REQUEST_ID })],
      machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-2' }), aMachine({ machineId: 'i-gone' }), aMachine({ machineId: 'i-2' })],
    });
    const calls = client.calls('DescribeInstancesCommand');
    expect(calls).toHaveLength(2);
    expect(calls[1].Filters).toEqual([{ Name: 'instance-id', Values: ['i-2', 'i-gone'] }]);
    expect(result.observations.map((o) => o.machineId)).toEqual(['i-1', 'i-2']);
    expect(result.missing).toEqual(['i-gone']);
  });

  it('a poll of one machine of its request makes one call; 1,000 machines of one request too', async () => {
    for (const count of [1, 1000]) {
      const ids = Array.from({ length: count }, (_, i) => `i-${String(i).padStart(4, '0')}`);
      const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({ Reservations: [{ Instances: ids.map((id) => ec2Instance(id)) }] }));
      const result = await new RunInstancesProvider(client, { providerName: 'awsinst' }).describe({
        requests: [anAcquireRequest({ requestId: REQUEST_ID })],
        machines: ids.map((machineId) => aMachine({ machineId })),
      });
      expect(client.calls('DescribeInstancesCommand')).toHaveLength(1);
      expect(result.observations).toHaveLength(count);
    }
  });

  it('more than 200 ids the tag query did not return: InstanceIds, 1,000 a call, repeated without the ids EC2 no longer knows', async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => `i-${String(i).padStart(4, '0')}`);
    const client = new FakeAwsClient().on('DescribeInstancesCommand', (input) => {
      if (input.Filters) return { Reservations: [] };
      const asked: string[] = input.InstanceIds;
      if (asked.includes('i-0007')) throw Object.assign(new Error("The instance ID 'i-0007' does not exist"), { name: 'InvalidInstanceID.NotFound' });
      return { Reservations: [{ Instances: asked.map((id) => ec2Instance(id)) }] };
    });
    const result = await new RunInstancesProvider(client, { providerName: 'awsinst' }).describe({
      requests: [anAcquireRequest({ requestId: REQUEST_ID })],
      machines: ids.map((machineId) => aMachine({ machineId })),
    });
    const calls = client.calls('DescribeInstancesCommand');
    expect(calls.map((call) => (call.InstanceIds ? call.InstanceIds.length : 'tags'))).toEqual(['tags', 1000, 999, 500]);
    expect(result.observations).toHaveLength(1499);
    expect(result.missing).toEqual(['i-0007']);
  });

  it('makes no call when nothing is asked', async () => {
    const client = new FakeAwsClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    expect(await provider.describe({ requests: [], machines: [] })).toEqual({ observations: [], missing: [] });
    expect(client.sent).toHaveLength(0);
  });

  it('maps states, reasons, spot lifecycle, host id and addresses', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({
      Reservations: [
        {
          Instances: [
            ec2Instance('i-spot', {
              State: { Name: 'terminated' },
              StateReason: { Code: 'Server.SpotInstanceTermination', Message: 'Server.SpotInstanceTermination: Spot instance termination' },
              InstanceLifecycle: 'spot',
              Placement: { HostId: 'h-0abc', AvailabilityZone: 'us-east-1a' },
              PublicIpAddress: '3.3.3.3',
              InstanceType: 'c5.large',
            }),
          ],
        },
      ],
    }));
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const { observations } = await provider.describe({ requests: [], machines: [aMachine({ machineId: 'i-spot' })] });
    expect(observations[0]).toMatchObject({
      machineId: 'i-spot',
      state: 'terminated',
      stateReason: 'Server.SpotInstanceTermination: Spot instance termination',
      priceType: 'spot',
      cloudHostId: 'h-0abc',
      publicIpAddress: '3.3.3.3',
      instanceType: 'c5.large',
      launchTime: 1734619942,
    });
  });

  it('maps describe errors', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await expect(provider.describe({ requests: [anAcquireRequest()], machines: [] })).rejects.toMatchObject({
      code: 'THROTTLED',
      transient: true,
    });
  });
});

describe('RunInstancesProvider.release', () => {
  it('terminates in batches of 1000 and de-duplicates', async () => {
    const client = new FakeAwsClient();
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const machines = Array.from({ length: 2500 }, (_, i) => aMachine({ machineId: `i-${i}` }));
    await provider.release([...machines, machines[0]!]);
    expect(client.calls('TerminateInstancesCommand').map((c) => c.InstanceIds.length)).toEqual([1000, 1000, 500]);
  });

  it('retries without the ids EC2 does not know', async () => {
    const client = new FakeAwsClient().on('TerminateInstancesCommand', (input) => {
      if (input.InstanceIds.includes('i-dead1') || input.InstanceIds.includes('i-dead2')) {
        throw awsError('InvalidInstanceID.NotFound', "The instance IDs 'i-dead1, i-dead2' do not exist");
      }
      return { TerminatingInstances: [] };
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.release(['i-live', 'i-dead1', 'i-dead2'].map((machineId) => aMachine({ machineId })));
    expect(client.calls('TerminateInstancesCommand').map((c) => c.InstanceIds)).toEqual([['i-live', 'i-dead1', 'i-dead2'], ['i-live']]);
  });

  it('is done when every id is unknown', async () => {
    const client = new FakeAwsClient().on('TerminateInstancesCommand', (input) => {
      throw awsError('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceIds.join(', ')}' does not exist`);
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await expect(provider.release([aMachine({ machineId: 'i-gone' })])).resolves.toBeUndefined();
    expect(client.calls('TerminateInstancesCommand')).toHaveLength(1);
  });

  it('describes first when the error names no id of ours, and terminates only live ones', async () => {
    const client = new FakeAwsClient()
      .on('TerminateInstancesCommand', (_input, call) => {
        if (call === 1) throw awsError('InvalidInstanceID.Malformed', 'Invalid id: "bogus"');
        return {};
      })
      .on('DescribeInstancesCommand', () => ({
        Reservations: [{ Instances: [ec2Instance('i-live'), ec2Instance('i-done', { State: { Name: 'terminated' } })] }],
      }));
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await provider.release(['i-live', 'i-done', 'bogus'].map((machineId) => aMachine({ machineId })));
    expect(client.calls('DescribeInstancesCommand')[0].Filters).toEqual([{ Name: 'instance-id', Values: ['i-live', 'i-done', 'bogus'] }]);
    expect(client.calls('TerminateInstancesCommand').map((c) => c.InstanceIds)).toEqual([['i-live', 'i-done', 'bogus'], ['i-live']]);
  });

  it('maps other errors', async () => {
    const client = new FakeAwsClient().on('TerminateInstancesCommand', () => {
      throw awsError('UnauthorizedOperation');
    });
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    await expect(provider.release([aMachine()])).rejects.toMatchObject({ code: 'AUTH_ERROR' });
  });
});

describe('RunInstancesProvider: replayed attempts, inventory and lookups', () => {
  it('a replay returns the instances the attempt made (found by its request and attempt tags) without launching', async () => {
    const client = launchingClient().on('DescribeInstancesCommand', () => ({
      Reservations: [{ Instances: [ec2Instance('i-made1'), ec2Instance('i-made2')] }],
    }));
    const result = await new RunInstancesProvider(client, { providerName: 'awsinst' }).acquire(acquireInput({ attempt: 4, replay: true }));
    expect(client.calls('RunInstancesCommand')).toEqual([]);
    expect(client.calls('DescribeInstancesCommand')[0].Filters).toEqual([
      { Name: 'tag:hf:request-id', Values: [REQUEST_ID] },
      { Name: 'tag:hf:launch-attempt', Values: ['4'] },
    ]);
    expect(result.machines.map((m) => m.machineId)).toEqual(['i-made1', 'i-made2']);
    expect(result.shortfallReason).toBe('EC2 RunInstances launched 2 of 3 instances (attempt 4)');
  });

  it("a replay that finds nothing launches with the attempt's own ClientToken and count", async () => {
    const client = launchingClient().on('DescribeInstancesCommand', () => ({ Reservations: [] }));
    await new RunInstancesProvider(client, { providerName: 'awsinst' }).acquire(acquireInput({ attempt: 2, replay: true }));
    expect(client.calls('RunInstancesCommand')).toEqual([expect.objectContaining({ ClientToken: clientToken(REQUEST_ID, 2), MaxCount: 3 })]);
  });

  it('a first try never looks before launching (no extra call on the hot path)', async () => {
    const client = launchingClient();
    await new RunInstancesProvider(client, { providerName: 'awsinst' }).acquire(acquireInput());
    expect(client.calls('DescribeInstancesCommand')).toEqual([]);
  });

  it('lists the provider instance tagged instances still holding capacity, and looks ids up by the same tag', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({
      Reservations: [{ Instances: [ec2Instance('i-1', { Tags: [{ Key: 'hf:provider-api', Value: 'ASG' }] })] }],
    }));
    const provider = new RunInstancesProvider(client, { providerName: 'awsinst' });
    const inventory = await provider.inventory();
    expect(inventory).toEqual({ instances: [expect.objectContaining({ machineId: 'i-1', providerApi: 'ASG' })], holders: [] });
    expect(client.calls('DescribeInstancesCommand')[0].Filters).toEqual([
      { Name: 'tag:hf:provider-name', Values: ['awsinst'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
    await provider.inventory(); // within two seconds: the listing is shared, not repeated
    expect(client.calls('DescribeInstancesCommand')).toHaveLength(1);
    await provider.lookup(['i-1', 'i-2']);
    expect(client.calls('DescribeInstancesCommand')[1].Filters).toEqual([
      { Name: 'instance-id', Values: ['i-1', 'i-2'] },
      { Name: 'tag:hf:provider-name', Values: ['awsinst'] },
    ]);
  });
});

describe('RunInstancesProvider.preflight', () => {
  const dryRunAllowed = () => {
    throw awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  };

  it('sends the RunInstances acquire would send, for one instance, with DryRun and no ClientToken', async () => {
    const client = new FakeAwsClient().on('RunInstancesCommand', dryRunAllowed);
    const template = aTemplate({
      vmType: 't3.medium',
      subnetIds: ['subnet-a', 'subnet-b'],
      keyName: 'ops',
      instanceProfile: 'arn:aws:iam::1:instance-profile/hf',
      priceType: 'spot',
    });
    expect(await new RunInstancesProvider(client, { providerName: 'aws' }).preflight(template)).toEqual({
      checked: ['RunInstances DryRun'],
      problems: [],
    });
    const sent = client.calls('RunInstancesCommand')[0];
    expect(sent).toMatchObject({
      DryRun: true,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.medium',
      SubnetId: 'subnet-a',
      KeyName: 'ops',
      IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/hf' },
      InstanceMarketOptions: { MarketType: 'spot' },
    });
    expect(sent).not.toHaveProperty('ClientToken');
  });

  it('a refusal fails naming the field its code blames; a template RunInstances cannot launch fails without a call', async () => {
    const client = new FakeAwsClient().on('RunInstancesCommand', () => {
      throw awsError('InvalidKeyPair.NotFound', "The key pair 'ops' does not exist");
    });
    const refused = await new RunInstancesProvider(client, { providerName: 'aws' }).preflight(aTemplate({ keyName: 'ops' }));
    expect(refused.problems).toEqual([{ severity: 'fail', field: 'keyName', message: expect.stringContaining("The key pair 'ops' does not exist") }]);
    const quiet = new FakeAwsClient();
    const heterogeneous = await new RunInstancesProvider(quiet, { providerName: 'aws' }).preflight(aTemplate({ priceType: 'heterogeneous' }));
    expect(heterogeneous.problems).toEqual([{ severity: 'fail', field: 'template', message: expect.stringContaining('heterogeneous') }]);
    expect(quiet.calls('RunInstancesCommand')).toHaveLength(0);
  });

  it('an endpoint that ignores DryRun (it launched) warns, and what it launched is terminated at once', async () => {
    const client = launchingClient().on('TerminateInstancesCommand', () => ({}));
    const result = await new RunInstancesProvider(client, { providerName: 'aws' }).preflight(aTemplate());
    expect(result.problems).toEqual([{ severity: 'warn', field: 'template', message: expect.stringContaining('ignores DryRun') }]);
    expect(client.calls('TerminateInstancesCommand')[0]).toMatchObject({ InstanceIds: ['i-10abc'] });
  });
});
