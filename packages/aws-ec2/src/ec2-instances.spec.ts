import { FixedClock } from '@open-hostfactory/core/testing';
import { FakeEc2Client } from '../test/fake-ec2-client';
import { Ec2Instances, SPOT_INTERRUPTION_NOTICE_SEC } from './ec2-instances';

const instance = (id: string, extra: Record<string, unknown> = {}) => ({
  InstanceId: id,
  State: { Name: 'running' },
  InstanceType: 'm5.large',
  PrivateIpAddress: '10.0.0.9',
  PrivateDnsName: 'ip-10-0-0-9.ec2.internal',
  LaunchTime: new Date('2026-01-01T00:00:00Z'),
  Tags: [{ Key: 'hf:request-id', Value: 'req-1' }],
  ...extra,
});

describe('Ec2Instances spot interruption notices', () => {
  it('marks spot instances whose spot request is marked-for-termination, with the time EC2 takes them', async () => {
    const noticedAt = new Date('2026-01-01T00:10:00Z');
    const client = new FakeEc2Client()
      .on('DescribeInstancesCommand', () => ({
        Reservations: [
          {
            Instances: [
              instance('i-spot1', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-1' }),
              instance('i-spot2', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-2' }),
              instance('i-ondemand'),
            ],
          },
        ],
      }))
      .on('DescribeSpotInstanceRequestsCommand', () => ({
        SpotInstanceRequests: [
          { SpotInstanceRequestId: 'sir-1', Status: { Code: 'marked-for-termination', UpdateTime: noticedAt } },
          { SpotInstanceRequestId: 'sir-2', Status: { Code: 'fulfilled', UpdateTime: noticedAt } },
        ],
      }));
    const view = await new Ec2Instances(client, new FixedClock()).describe(['req-1'], []);
    const byId = new Map(view.observations.map((o) => [o.machineId, o]));
    expect(byId.get('i-spot1')?.notice).toEqual({
      kind: 'spot-interruption',
      deadline: noticedAt.getTime() / 1000 + SPOT_INTERRUPTION_NOTICE_SEC,
    });
    expect(byId.get('i-spot2')?.notice).toBeUndefined();
    expect(byId.get('i-ondemand')?.notice).toBeUndefined();
    expect(client.calls('DescribeSpotInstanceRequestsCommand')).toEqual([
      { Filters: [{ Name: 'spot-instance-request-id', Values: ['sir-1', 'sir-2'] }] },
    ]);
  });

  it('asks nothing about spot requests when no live spot instance is seen', async () => {
    const client = new FakeEc2Client().on('DescribeInstancesCommand', () => ({
      Reservations: [{ Instances: [instance('i-1'), instance('i-2', { State: { Name: 'terminated' }, SpotInstanceRequestId: 'sir-9' })] }],
    }));
    await new Ec2Instances(client, new FixedClock()).describe([], ['i-1', 'i-2']);
    expect(client.calls('DescribeSpotInstanceRequestsCommand')).toEqual([]);
  });
});
