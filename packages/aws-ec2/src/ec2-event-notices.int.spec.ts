import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { FixedClock } from '@open-hostfactory/core/testing';
import { MOTO_AMI, motoClient } from '../test/moto';
import { Ec2EventNotices, REBALANCE_RECOMMENDATION } from './ec2-event-notices';
import { Ec2Instances } from './ec2-instances';
import { createSqsClient } from './ec2-client';
import { TAG_REQUEST_ID } from '@open-hostfactory/core';

function motoSqsClient(): Promise<SQSClient> {
  const endpoint = process.env['MOTO_ENDPOINT'];
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run with packages/aws-ec2/jest.config.js');
  return createSqsClient({
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

const rebalanceEvent = (instanceId: string): string =>
  JSON.stringify({
    version: '0',
    id: `ev-${instanceId}`,
    'detail-type': REBALANCE_RECOMMENDATION,
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1a:instance/${instanceId}`],
    detail: { 'instance-id': instanceId },
  });

describe('Ec2EventNotices against moto_server', () => {
  let ec2: EC2Client;
  let sqs: SQSClient;

  beforeAll(async () => {
    ec2 = motoClient();
    sqs = await motoSqsClient();
  });

  afterAll(() => {
    ec2.destroy();
    sqs.destroy();
  });

  it('describe returns the rebalance notice of an observed instance, deletes its message and keeps the others', async () => {
    const requestId = `req-events-${Date.now()}`;
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: MOTO_AMI,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG_REQUEST_ID, Value: requestId }] }],
      }),
    );
    const instanceId = launched.Instances![0]!.InstanceId!;

    // VisibilityTimeout 1 s, so the message left in the queue is visible again soon.
    const { QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `hf-events-${Date.now()}`, Attributes: { VisibilityTimeout: '1' } }),
    );
    const other = rebalanceEvent('i-0123456789abcdef0');
    for (const body of [rebalanceEvent(instanceId), other, 'poison {']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    }

    const notices = new Ec2EventNotices(sqs, { queueUrl: queueUrl! });
    const view = await new Ec2Instances(ec2, new FixedClock(), notices).describe([requestId], []);
    expect(view.observations.map((o) => [o.machineId, o.notice])).toEqual([[instanceId, { kind: 'rebalance-recommendation' }]]);

    // The observed instance's message and the poison one are gone; the other one is only hidden.
    const counts = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Number(counts.Attributes!['ApproximateNumberOfMessages']) + Number(counts.Attributes!['ApproximateNumberOfMessagesNotVisible'])).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect((left.Messages ?? []).map((m) => m.Body)).toEqual([other]);
  });

  it('maps a missing queue to PROVIDER_ERROR naming the queue', async () => {
    const queueUrl = `${process.env['MOTO_ENDPOINT']}/123456789012/no-such-queue`;
    await expect(new Ec2EventNotices(sqs, { queueUrl }).receive()).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      message: expect.stringContaining(queueUrl),
    });
  });
});
