// The client configuration against a loopback HTTP server that answers every request with EC2's
// InternalError (HTTP 500, which the SDK retries): how many attempts each kind of request makes,
// and the wait between Describe* attempts (AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS / _INTERVAL).
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsClientConfig, createAwsClient, operationOf, type AwsClientOptions, type SdkClientConfig } from './client-config';

let server: Server;
let endpoint: string;
const seen: { action: string; at: number }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ action: new URLSearchParams(body).get('Action') ?? '', at: Date.now() });
      response.writeHead(500, { 'content-type': 'text/xml' });
      response.end(
        '<Response><Errors><Error><Code>InternalError</Code><Message>boom</Message></Error></Errors><RequestID>r-1</RequestID></Response>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

const options = (extra: Partial<AwsClientOptions> = {}): AwsClientOptions => ({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  ...extra,
});

const attempts = (action: string) => seen.filter((request) => request.action === action);

describe('Describe* retries apart from the other requests', () => {
  it('2 describe retries 300 ms apart, while other requests make their own single attempt', async () => {
    const client = createAwsClient((config) => new EC2Client(config), 'ec2', options({ maxAttempts: 1 }), { retries: 2, intervalMs: 300 });
    await expect(client.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: 'InternalError' });
    await expect(client.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1 }))).rejects.toMatchObject({
      name: 'InternalError',
    });
    const describes = attempts('DescribeInstances');
    expect(describes).toHaveLength(3);
    for (let i = 1; i < describes.length; i++) {
      expect((describes[i] as { at: number }).at - (describes[i - 1] as { at: number }).at).toBeGreaterThanOrEqual(250);
    }
    expect(attempts('RunInstances')).toHaveLength(1);
    client.destroy();
  });

  it('0 describe retries with 3 attempts for the rest', async () => {
    const client = createAwsClient((config) => new EC2Client(config), 'ec2', options({ maxAttempts: 3 }), { retries: 0, intervalMs: 0 });
    await expect(client.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({ name: 'InternalError' });
    await expect(client.send(new TerminateInstancesCommand({ InstanceIds: ['i-1'] }))).rejects.toMatchObject({ name: 'InternalError' });
    expect(attempts('DescribeInstances')).toHaveLength(1);
    expect(attempts('TerminateInstances')).toHaveLength(3);
  });
});

describe('createAwsClient', () => {
  it('one SDK client when Describe* retry like the rest; a second, on the same sockets, when they differ', () => {
    const configs: SdkClientConfig[] = [];
    const make = (config: SdkClientConfig) => {
      configs.push(config);
      return { send: async (command: unknown) => operationOf(command), destroy: () => undefined };
    };
    createAwsClient(make, 'ec2', options({ maxAttempts: 4, maxSockets: 2 }), { retries: 3, intervalMs: 0 });
    expect(configs).toHaveLength(1);
    const routed = createAwsClient(make, 'ec2', options({ maxAttempts: 4, maxSockets: 2 }), { retries: 1, intervalMs: 50 });
    expect(configs).toHaveLength(2);
    void routed.send(new DescribeInstancesCommand({}));
    expect(configs).toHaveLength(3);
    expect(configs[2]?.requestHandler.httpAgent).toBe(configs[1]?.requestHandler.httpAgent);
    expect(configs[2]?.requestHandler.httpAgent?.maxSockets).toBe(2);
    expect(configs[2]?.retryStrategy).toBeDefined();
    expect(configs[1]?.maxAttempts).toBe(4);
  });

  it('every client fails a request that outlives requestTimeout, with bounded defaults', () => {
    const config = awsClientConfig('ec2', options());
    expect(config.requestHandler).toEqual({ connectionTimeout: 5000, requestTimeout: 20000, throwOnRequestTimeout: true });
    expect(operationOf(new DescribeInstancesCommand({}))).toBe('DescribeInstances');
  });
});
