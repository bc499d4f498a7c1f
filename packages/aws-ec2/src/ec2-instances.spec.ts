import { FixedClock } from '@open-hostfactory/core/testing';
import { FakeAwsClient } from '@open-hostfactory/aws-common/testing';
import type { LifecycleNotice } from '@open-hostfactory/core';
import type { EventNoticeSource, ReceivedNotices } from './ec2-event-notices';
import { aMachine } from '@open-hostfactory/core/testing';
import { Ec2Instances, SPOT_INTERRUPTION_NOTICE_SEC, SPOT_RECLAIM_STATUSES } from './ec2-instances';

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
    const client = new FakeAwsClient()
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

  it.each([...SPOT_RECLAIM_STATUSES])('takes spot request status %s for a reclaim, as IBM does', async (code) => {
    const client = new FakeAwsClient()
      .on('DescribeInstancesCommand', () => ({
        Reservations: [{ Instances: [instance('i-spot', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-1' })] }],
      }))
      .on('DescribeSpotInstanceRequestsCommand', () => ({ SpotInstanceRequests: [{ SpotInstanceRequestId: 'sir-1', Status: { Code: code } }] }));
    const view = await new Ec2Instances(client, new FixedClock()).describe([], ['i-spot']);
    expect(view.observations[0]?.notice?.kind).toBe('spot-interruption');
  });

  it('asks nothing about spot requests when no live spot instance is seen', async () => {
    const client = new FakeAwsClient().on('DescribeInstancesCommand', () => ({
      Reservations: [{ Instances: [instance('i-1'), instance('i-2', { State: { Name: 'terminated' }, SpotInstanceRequestId: 'sir-9' })] }],
    }));
    await new Ec2Instances(client, new FixedClock()).describe([], ['i-1', 'i-2']);
    expect(client.calls('DescribeSpotInstanceRequestsCommand')).toEqual([]);
  });
});

/** Notices as an event queue would hand them, recording what was acked. */
class FakeNoticeSource implements EventNoticeSource {
  readonly acked: string[][] = [];
  ackError: Error | undefined;
  constructor(private readonly notices: ReadonlyMap<string, LifecycleNotice>) {}
  async receive(): Promise<ReceivedNotices> {
    return {
      notices: this.notices,
      ack: async (instanceIds) => {
        this.acked.push([...instanceIds]);
        if (this.ackError) throw this.ackError;
      },
    };
  }
}

describe('Ec2Instances event notices', () => {
  const noticedAt = new Date('2026-01-01T00:10:00Z');
  const statusDeadline = noticedAt.getTime() / 1000 + SPOT_INTERRUPTION_NOTICE_SEC;
  const client = () =>
    new FakeAwsClient()
      .on('DescribeInstancesCommand', () => ({
        Reservations: [
          {
            Instances: [
              instance('i-rebalance'),
              instance('i-spot-later', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-1' }),
              instance('i-spot-earlier', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-2' }),
              instance('i-spot-rebalance', { InstanceLifecycle: 'spot', SpotInstanceRequestId: 'sir-3' }),
              instance('i-event-wins'),
              instance('i-quiet'),
            ],
          },
        ],
      }))
      .on('DescribeSpotInstanceRequestsCommand', () => ({
        SpotInstanceRequests: ['sir-1', 'sir-2', 'sir-3'].map((id) => ({
          SpotInstanceRequestId: id,
          Status: { Code: 'marked-for-termination', UpdateTime: noticedAt },
        })),
      }));
  const events = () =>
    new FakeNoticeSource(
      new Map<string, LifecycleNotice>([
        ['i-rebalance', { kind: 'rebalance-recommendation' }],
        // An event interruption and a status interruption: the earlier deadline.
        ['i-spot-later', { kind: 'spot-interruption', deadline: statusDeadline + 30 }],
        ['i-spot-earlier', { kind: 'spot-interruption', deadline: statusDeadline - 30 }],
        // The status interruption wins over an event recommendation.
        ['i-spot-rebalance', { kind: 'rebalance-recommendation' }],
        ['i-event-wins', { kind: 'spot-interruption', deadline: statusDeadline }],
        ['i-not-observed', { kind: 'rebalance-recommendation' }],
      ]),
    );

  it('merges the queue notices into the observed instances and acks the observed instances only', async () => {
    const source = events();
    const view = await new Ec2Instances(client(), new FixedClock(), source).describe(['req-1'], []);
    const byId = new Map(view.observations.map((o) => [o.machineId, o.notice]));
    expect(byId).toEqual(
      new Map<string, LifecycleNotice | undefined>([
        ['i-rebalance', { kind: 'rebalance-recommendation' }],
        ['i-spot-later', { kind: 'spot-interruption', deadline: statusDeadline }],
        ['i-spot-earlier', { kind: 'spot-interruption', deadline: statusDeadline - 30 }],
        ['i-spot-rebalance', { kind: 'spot-interruption', deadline: statusDeadline }],
        ['i-event-wins', { kind: 'spot-interruption', deadline: statusDeadline }],
        ['i-quiet', undefined],
      ]),
    );
    expect(view.observations.some((o) => o.machineId === 'i-not-observed')).toBe(false);
    expect(source.acked).toHaveLength(1);
    expect(source.acked[0]).not.toContain('i-not-observed');
    expect([...source.acked[0]!].sort()).toEqual(['i-event-wins', 'i-quiet', 'i-rebalance', 'i-spot-earlier', 'i-spot-later', 'i-spot-rebalance']);
  });

  it('still answers when the ack fails (the messages come back and merge again)', async () => {
    const source = events();
    source.ackError = new Error('SQS down');
    const view = await new Ec2Instances(client(), new FixedClock(), source).describe(['req-1'], []);
    expect(view.observations.find((o) => o.machineId === 'i-rebalance')?.notice).toEqual({ kind: 'rebalance-recommendation' });
  });

  it('fails the describe when the queue cannot be read', async () => {
    const failing: EventNoticeSource = { receive: async () => Promise.reject(new Error('queue gone')) };
    await expect(new Ec2Instances(client(), new FixedClock(), failing).describe(['req-1'], [])).rejects.toThrow('queue gone');
  });
});

describe('Ec2Instances.giveBack', () => {
  const reclaimed = aMachine({ machineId: 'i-reclaimed', priceType: 'spot', notice: { kind: 'spot-interruption', deadline: 1 } });
  const rebalance = aMachine({ machineId: 'i-rebalance', priceType: 'spot', notice: { kind: 'rebalance-recommendation' } });
  const plain = aMachine({ machineId: 'i-plain' });
  const terminating = () => new FakeAwsClient().on('TerminateInstancesCommand', () => ({}));

  it('leaves a spot instance EC2 is reclaiming to EC2 and terminates the others (AWS_SPOT_TERMINATE_ON_RECLAIM false, the default)', async () => {
    const client = terminating();
    await new Ec2Instances(client, new FixedClock()).giveBack([reclaimed, rebalance, plain]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-rebalance', 'i-plain'] }]);
  });

  it('terminates it too with AWS_SPOT_TERMINATE_ON_RECLAIM true', async () => {
    const client = terminating();
    await new Ec2Instances(client, new FixedClock(), undefined, true).giveBack([reclaimed, plain]);
    expect(client.calls('TerminateInstancesCommand')).toEqual([{ InstanceIds: ['i-reclaimed', 'i-plain'] }]);
  });
});
