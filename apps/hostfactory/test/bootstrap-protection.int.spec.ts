// Bootstrap protection through the real scripts on moto_server: machines that end before they
// are ready (here terminated behind the plugin's back before its first poll) count against their
// template; AWS_BOOTSTRAP_FAILURE_LIMIT of them in a row hold it back (availableNumber 0,
// requests refused, health warns) for AWS_BOOTSTRAP_COOL_OFF_SEC.
import { spawnSync } from 'node:child_process';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { join } from 'node:path';
import { hf, installation, motoEndpoint, runOk, type HfEnvironment } from './hf';

const COOL_OFF_SEC = 3;

describe('bootstrap protection through the scripts', () => {
  let environment: HfEnvironment;

  beforeAll(async () => {
    environment = await installation({ config: { AWS_BOOTSTRAP_FAILURE_LIMIT: 2, AWS_BOOTSTRAP_COOL_OFF_SEC: COOL_OFF_SEC } });
  });

  const offered = async (): Promise<{ availableNumber: number; maxNumber: number }> =>
    (await runOk('getAvailableTemplates', {}, environment.env)).templates[0];

  /** One request whose machine is terminated behind the plugin's back before its first poll; returns that poll's machine results. */
  const failedLaunch = async (): Promise<string[]> => {
    const made = await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:hf:request-id', Values: [made.requestId] }] }));
      for (const instance of (found.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        await hf.terminateOutsidePlugin(motoEndpoint(), instance.InstanceId as string);
      }
    } finally {
      ec2.destroy();
    }
    // The launch answer listed it pending; the poll sees it terminated: failed before it was ready.
    const polled = await runOk('getRequestStatus', { requests: [{ requestId: made.requestId }] }, environment.env);
    return polled.requests[0].machines.map((m: { result: string }) => m.result);
  };

  it('two machines in a row failing before they are ready hold the template back until the cool-off ends', async () => {
    // The poll also tops the request up (a new machine, executing): only the first failed.
    expect((await failedLaunch())[0]).toBe('fail');
    expect((await offered()).availableNumber).toBeGreaterThan(0); // one failure: not yet
    expect((await failedLaunch())[0]).toBe('fail');

    expect(await offered()).toMatchObject({ availableNumber: 0, maxNumber: 5 });
    const refused = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
    expect(refused.status).not.toBe(0);
    expect(refused.json.error.code).toBe('INSUFFICIENT_CAPACITY');
    expect(refused.json.message).toContain('2 machines in a row failed before they were ready');
    const health = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), ['health', '--json'], {
      env: environment.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const storage = JSON.parse(health.stdout).checks.find((c: { name: string }) => c.name === 'storage');
    expect(storage).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('template OnDemand-Small held back: 2 machines in a row failed'),
    });

    await new Promise((resolve) => setTimeout(resolve, COOL_OFF_SEC * 1000 + 200));
    expect((await offered()).availableNumber).toBeGreaterThan(0);
    await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
  });
});
