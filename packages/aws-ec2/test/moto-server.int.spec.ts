import { DescribeVpcsCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { startMotoServer } from '../../../tools/moto/moto-server';
import { createEc2Client } from '../src/ec2-client';

// The launcher in tools/moto, used by this package's jest globalSetup, the app's tests and the demo.
describe('startMotoServer', () => {
  it('serves EC2 on a loopback port, resets, and stops', async () => {
    const moto = await startMotoServer();
    try {
      expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
      const client = createEc2Client({
        region: 'us-east-1',
        endpoint: moto.endpoint,
        maxAttempts: 1,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      const before = (await client.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
      await client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
      expect((await client.send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(before + 1);
      await moto.reset();
      expect((await client.send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(before);
      client.destroy();
    } finally {
      await moto.stop();
    }
    expect(() => process.kill(moto.pid, 0)).toThrow();
    await expect(moto.stop()).resolves.toBeUndefined();
    // A Python server starting on a busy 2-core machine can take several seconds.
  }, 60_000);

  it('says how to install moto_server when it is not on PATH', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await expect(startMotoServer()).rejects.toThrow('pip install "moto[server]"');
    } finally {
      process.env['PATH'] = path;
    }
  });
});
