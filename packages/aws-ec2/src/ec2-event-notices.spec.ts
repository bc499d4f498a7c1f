import { FixedClock } from '@open-hostfactory/core/testing';
import { isHostFactoryError, type HostFactoryError } from '@open-hostfactory/core';
import { awsError } from '@open-hostfactory/aws-common/testing';
import {
  Ec2EventNotices,
  REBALANCE_RECOMMENDATION,
  SPOT_INTERRUPTION_WARNING,
  mapSqsError,
  parseEvent,
  strongerNotice,
  type SqsClient,
} from './ec2-event-notices';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/hf-events';
/** 2026-01-01T00:10:00Z */
const T = Date.parse('2026-01-01T00:10:00Z') / 1000;

function event(detailType: string, instanceId: string, time = '2026-01-01T00:10:00Z'): string {
  return JSON.stringify({
    version: '0',
    id: `ev-${instanceId}`,
    'detail-type': detailType,
    source: 'aws.ec2',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1a:instance/${instanceId}`],
    detail: detailType === SPOT_INTERRUPTION_WARNING ? { 'instance-id': instanceId, 'instance-action': 'terminate' } : { 'instance-id': instanceId },
  });
}
const rebalance = (id: string, time?: string): string => event(REBALANCE_RECOMMENDATION, id, time);
const interruption = (id: string, time?: string): string => event(SPOT_INTERRUPTION_WARNING, id, time);

interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  visible: boolean;
  receipts: number;
}

/**
 * A fake SQS queue behind `{ send }`: ReceiveMessage hands out visible messages (then hides
 * them, as the visibility timeout does), DeleteMessageBatch deletes by receipt handle.
 */
class FakeSqs {
  readonly messages: QueuedMessage[] = [];
  readonly calls: { name: string; input: any }[] = [];
  failWith: Error | undefined;
  private sequence = 0;

  constructor(bodies: readonly string[] = []) {
    for (const body of bodies) this.push(body);
  }

  push(body: string): void {
    this.messages.push({ id: `m-${++this.sequence}`, body, visible: true, receipts: 0 });
  }

  /** The message visibility timeout passing. */
  expireVisibility(): void {
    for (const m of this.messages) m.visible = true;
  }

  bodies(): string[] {
    return this.messages.map((m) => m.body);
  }

  callsOf(name: string): any[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }

  readonly send = (async (command: { input: any; constructor: { name: string } }): Promise<unknown> => {
    const name = command.constructor.name;
    this.calls.push({ name, input: command.input });
    if (this.failWith) throw this.failWith;
    if (name === 'ReceiveMessageCommand') {
      const taken = this.messages.filter((m) => m.visible).slice(0, command.input.MaxNumberOfMessages);
      for (const m of taken) {
        m.visible = false;
        m.receipts += 1;
      }
      return taken.length === 0 ? {} : { Messages: taken.map((m) => ({ MessageId: m.id, ReceiptHandle: `${m.id}#${m.receipts}`, Body: m.body })) };
    }
    if (name === 'DeleteMessageBatchCommand') {
      const entries = command.input.Entries as { Id: string; ReceiptHandle: string }[];
      if (entries.length > 10) throw awsError('AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
      for (const entry of entries) {
        const index = this.messages.findIndex((m) => m.id === entry.ReceiptHandle.split('#')[0]);
        if (index >= 0) this.messages.splice(index, 1);
      }
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    }
    throw new Error(`unexpected ${name}`);
  }) as unknown as SqsClient['send'];
}

const clock = new FixedClock(Date.parse('2026-01-01T00:11:00Z'));
const notices = (sqs: FakeSqs, extra: { maxMessages?: number; maxAgeSec?: number } = {}): Ec2EventNotices =>
  new Ec2EventNotices(sqs, { queueUrl: QUEUE, clock, ...extra });

describe('Ec2EventNotices.receive', () => {
  it('reads both detail-types: a rebalance recommendation without deadline, an interruption at event time + 120 s', async () => {
    const sqs = new FakeSqs([rebalance('i-1'), interruption('i-2')]);
    const { notices: found } = await notices(sqs).receive();
    expect(found).toEqual(
      new Map([
        ['i-1', { kind: 'rebalance-recommendation' }],
        ['i-2', { kind: 'spot-interruption', deadline: T + 120 }],
      ]),
    );
    expect(sqs.callsOf('ReceiveMessageCommand')[0]).toEqual({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
  });

  it('lets an interruption win over a rebalance recommendation of the same instance, in either order; of two interruptions the earlier', async () => {
    const sqs = new FakeSqs([
      rebalance('i-1'),
      interruption('i-1'),
      interruption('i-2'),
      rebalance('i-2'),
      interruption('i-3', '2026-01-01T00:10:30Z'),
      interruption('i-3', '2026-01-01T00:10:00Z'),
    ]);
    const { notices: found } = await notices(sqs).receive();
    expect(found.get('i-1')).toEqual({ kind: 'spot-interruption', deadline: T + 120 });
    expect(found.get('i-2')).toEqual({ kind: 'spot-interruption', deadline: T + 120 });
    expect(found.get('i-3')).toEqual({ kind: 'spot-interruption', deadline: T + 120 });
  });

  it('deletes nothing by itself', async () => {
    const sqs = new FakeSqs([rebalance('i-1'), 'not json']);
    await notices(sqs).receive();
    expect(sqs.callsOf('DeleteMessageBatchCommand')).toEqual([]);
    expect(sqs.messages).toHaveLength(2);
  });

  it('reads at most maxMessages per call, in batches of at most 10, and stops at an empty answer', async () => {
    const sqs = new FakeSqs(Array.from({ length: 40 }, (_, i) => rebalance(`i-${i}`)));
    const { notices: found } = await notices(sqs, { maxMessages: 25 }).receive();
    expect(found.size).toBe(25);
    expect(sqs.callsOf('ReceiveMessageCommand').map((c) => c.MaxNumberOfMessages)).toEqual([10, 10, 5]);

    const short = new FakeSqs([rebalance('i-1'), rebalance('i-2')]);
    await notices(short).receive();
    expect(short.callsOf('ReceiveMessageCommand').map((c) => c.MaxNumberOfMessages)).toEqual([10, 10]);
  });

  it('reads 100 messages at most by default', async () => {
    const sqs = new FakeSqs(Array.from({ length: 150 }, (_, i) => rebalance(`i-${i}`)));
    const { notices: found } = await notices(sqs).receive();
    expect(found.size).toBe(100);
    expect(sqs.callsOf('ReceiveMessageCommand')).toHaveLength(10);
  });

  it('ignores poison and foreign messages and deletes them on ack', async () => {
    const poison = [
      'not json',
      '',
      '[1,2]',
      JSON.stringify({ 'detail-type': REBALANCE_RECOMMENDATION, detail: {} }),
      JSON.stringify({ 'detail-type': 'EC2 Instance State-change Notification', detail: { 'instance-id': 'i-1', state: 'running' } }),
    ];
    const sqs = new FakeSqs([...poison, rebalance('i-9')]);
    const received = await notices(sqs).receive();
    expect(received.notices).toEqual(new Map([['i-9', { kind: 'rebalance-recommendation' }]]));
    await received.ack([]);
    expect(sqs.bodies()).toEqual([rebalance('i-9')]);
  });

  it('acks only the messages of the claimed instances; the others come back after the visibility timeout', async () => {
    const sqs = new FakeSqs([rebalance('i-1'), interruption('i-1'), rebalance('i-2'), interruption('i-3')]);
    const received = await notices(sqs).receive();
    await received.ack(['i-1', 'i-3', 'i-unknown']);
    expect(sqs.bodies()).toEqual([rebalance('i-2')]);

    sqs.expireVisibility();
    const later = await notices(sqs).receive();
    expect(later.notices).toEqual(new Map([['i-2', { kind: 'rebalance-recommendation' }]]));
  });

  it('deletes in batches of at most 10', async () => {
    const sqs = new FakeSqs(Array.from({ length: 23 }, (_, i) => rebalance(`i-${i}`)));
    const received = await notices(sqs).receive();
    await received.ack([...received.notices.keys()]);
    expect(sqs.callsOf('DeleteMessageBatchCommand').map((c) => c.Entries.length)).toEqual([10, 10, 3]);
    expect(sqs.messages).toEqual([]);
    expect(sqs.callsOf('DeleteMessageBatchCommand')[0].QueueUrl).toBe(QUEUE);
  });

  it('remembers unacked messages for its next receive (several describes of one HF call), then acks them once', async () => {
    const sqs = new FakeSqs([rebalance('i-1'), rebalance('i-2')]);
    const source = notices(sqs);
    const first = await source.receive();
    await first.ack(['i-1']);
    // SQS hides i-2's message now; the same object still knows it.
    const second = await source.receive();
    expect(second.notices).toEqual(new Map([['i-2', { kind: 'rebalance-recommendation' }]]));
    await second.ack(['i-2']);
    expect(sqs.messages).toEqual([]);
    // Acking the first receive again deletes nothing more.
    await first.ack(['i-1', 'i-2']);
    expect(sqs.callsOf('DeleteMessageBatchCommand').flatMap((c) => c.Entries)).toHaveLength(2);
  });

  it('drops events older than maxAgeSec that nobody claimed', async () => {
    const sqs = new FakeSqs([rebalance('i-old', '2026-01-01T00:00:00Z'), rebalance('i-new', '2026-01-01T00:10:00Z')]);
    const received = await notices(sqs, { maxAgeSec: 300 }).receive();
    expect([...received.notices.keys()]).toEqual(['i-new']);
    await received.ack([]);
    expect(sqs.bodies()).toEqual([rebalance('i-new', '2026-01-01T00:10:00Z')]);
  });

  it('maps a missing queue to PROVIDER_ERROR naming the queue, throttling to THROTTLED', async () => {
    const sqs = new FakeSqs([rebalance('i-1')]);
    const missing = awsError('QueueDoesNotExist', 'The specified queue does not exist.');
    (missing as unknown as { Code: string }).Code = 'AWS.SimpleQueueService.NonExistentQueue';
    sqs.failWith = missing;
    const error = (await notices(sqs)
      .receive()
      .catch((e: unknown) => e)) as HostFactoryError;
    expect(isHostFactoryError(error)).toBe(true);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain(QUEUE);
    expect(error.message).toContain('does not exist');
    expect(error.cause).toBe(missing);
    expect(error.details).toMatchObject({ action: 'ReceiveMessage', queueUrl: QUEUE });

    const ok = new FakeSqs([rebalance('i-1')]);
    const received = await notices(ok).receive();
    ok.failWith = awsError('ThrottlingException', 'slow down');
    await expect(received.ack(['i-1'])).rejects.toMatchObject({ code: 'THROTTLED', transient: true });
  });
});

describe('mapSqsError', () => {
  it('maps by the query code or the JSON name, keeping the cause', () => {
    expect(mapSqsError(awsError('AWS.SimpleQueueService.NonExistentQueue'), 'ReceiveMessage', QUEUE).code).toBe('PROVIDER_ERROR');
    expect(mapSqsError(awsError('AWS.SimpleQueueService.RequestThrottled'), 'ReceiveMessage', QUEUE).code).toBe('THROTTLED');
    expect(mapSqsError(awsError('RequestThrottled'), 'ReceiveMessage', QUEUE).code).toBe('THROTTLED');
    const denied = mapSqsError(awsError('AccessDenied', 'not allowed', 403), 'ReceiveMessage', QUEUE);
    expect(denied).toMatchObject({ code: 'AUTH_ERROR' });
    expect(denied.message).toMatch(/^SQS ReceiveMessage failed: AccessDenied: not allowed \(queue https:/);
    const server = mapSqsError(awsError('InternalError', 'boom', 500), 'DeleteMessageBatch', QUEUE);
    expect(server).toMatchObject({ code: 'PROVIDER_ERROR', transient: true });
    expect(server.details).toMatchObject({ action: 'DeleteMessageBatch', queueUrl: QUEUE, awsErrorCode: 'InternalError' });
  });
});

describe('parseEvent', () => {
  it('reads an event wrapped in an SNS notification', () => {
    const body = JSON.stringify({ Type: 'Notification', Message: interruption('i-7') });
    expect(parseEvent(body)).toEqual({ instanceId: 'i-7', time: T, notice: { kind: 'spot-interruption', deadline: T + 120 } });
  });

  it('takes the clock for an interruption whose time is unreadable', () => {
    const body = JSON.stringify({ 'detail-type': SPOT_INTERRUPTION_WARNING, time: 'soon', detail: { 'instance-id': 'i-7' } });
    expect(parseEvent(body, clock)).toEqual({
      instanceId: 'i-7',
      notice: { kind: 'spot-interruption', deadline: Date.parse('2026-01-01T00:11:00Z') / 1000 + 120 },
    });
  });
});

describe('strongerNotice', () => {
  it('prefers an interruption, then the earlier deadline, then a known deadline', () => {
    const rec = { kind: 'rebalance-recommendation' } as const;
    const early = { kind: 'spot-interruption', deadline: 100 } as const;
    const late = { kind: 'spot-interruption', deadline: 200 } as const;
    const unknown = { kind: 'spot-interruption' } as const;
    expect(strongerNotice(rec, early)).toBe(early);
    expect(strongerNotice(late, rec)).toBe(late);
    expect(strongerNotice(late, early)).toBe(early);
    expect(strongerNotice(early, late)).toBe(early);
    expect(strongerNotice(unknown, late)).toBe(late);
    expect(strongerNotice(late, unknown)).toBe(late);
  });
});
