// EC2 rebalance recommendations and spot interruption warnings reach HF through
// getReturnRequests, with the grace period left, from an SQS queue fed by EventBridge
// (AWS_EVENTS_QUEUE_URL), on moto_server.
import { CreateQueueCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

const event = (detailType: string, instanceId: string, time: Date) =>
  JSON.stringify({
    version: '0',
    id: `e-${instanceId}`,
    'detail-type': detailType,
    source: 'aws.ec2',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, 'instance-action': 'terminate' },
  });

describe('EventBridge notices through getReturnRequests', () => {
  it('reports a rebalance recommendation and an interruption warning with the time left', async () => {
    const endpoint = motoEndpoint();
    const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: `hostfactory-events-${Date.now()}` }));
    const network = await hf.createNetwork(endpoint);
    const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf notices ')), endpoint });
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, AWS_EVENTS_QUEUE_URL: queue.QueueUrl },
      templates: [hf.ondemandTemplate(network, { priceType: 'spot' })],
    });
    const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
    const made = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    let status = await run('getRequestStatus', { requests: [{ requestId: made.json.requestId }] });
    for (let i = 0; i < 5 && status.json.requests[0].status === 'running'; i++) {
      status = await run('getRequestStatus', { requests: [{ requestId: made.json.requestId }] });
    }
    const [rebalanced, interrupted] = status.json.requests[0].machines;
    const quiet = await run('getReturnRequests', {});
    expect(quiet.json.requests).toEqual([]);

    const warnedAt = new Date(Date.now() - 30_000);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.QueueUrl,
        MessageBody: event('EC2 Instance Rebalance Recommendation', rebalanced.machineId, new Date()),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.QueueUrl,
        MessageBody: event('EC2 Spot Instance Interruption Warning', interrupted.machineId, warnedAt),
      }),
    );
    const reclaims = await run('getReturnRequests', {});
    expect(reclaims.status).toBe(0);
    const byId = new Map(reclaims.json.requests.map((r: { machineId: string }) => [r.machineId, r]));
    expect(byId.get(rebalanced.machineId)).toEqual({ machine: rebalanced.name, machineId: rebalanced.machineId, gracePeriod: 0 });
    const left = (byId.get(interrupted.machineId) as { gracePeriod: number }).gracePeriod;
    expect(left).toBeGreaterThan(60);
    expect(left).toBeLessThanOrEqual(90);

    // The notices are kept: the next call still reports them, though the queue is drained.
    const again = await run('getReturnRequests', {});
    expect(again.json.requests.map((r: { machineId: string }) => r.machineId).sort()).toEqual([rebalanced.machineId, interrupted.machineId].sort());
    sqs.destroy();
  });
});
