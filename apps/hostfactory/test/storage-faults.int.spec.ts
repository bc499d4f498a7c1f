// A store that cannot be used ends the call with STORAGE_ERROR and a non-zero exit, and no cloud
// resource is started for a request that could not first be stored.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { hf, motoEndpoint, type HfEnvironment } from './hf';

async function instancesOf(providerName: string): Promise<number> {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:hf:provider-name', Values: [providerName] }] }));
    return (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
  } finally {
    ec2.destroy();
  }
}

describe('storage faults through the scripts', () => {
  let sequence = 0;
  const setup = async (): Promise<{ env: HfEnvironment; providerName: string }> => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    const providerName = `faulty${Date.now().toString(36)}${++sequence}`;
    const env = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf faults ')), endpoint, providerName });
    hf.writeProviderFiles(env.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
      templates: [hf.ondemandTemplate(network)],
    });
    // A first call makes the database and caches the template check.
    expect((await hf.runScript('getAvailableTemplates', {}, env.env)).status).toBe(0);
    return { env, providerName };
  };
  const request = (env: HfEnvironment) => hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, env.env);

  const expectStorageError = (result: { status: number | null; json: { error: { code: string; message: string } } }) => {
    expect(result.status).toBe(5);
    expect(result.json.error.code).toBe('STORAGE_ERROR');
  };

  it('a corrupt database file', async () => {
    const { env, providerName } = await setup();
    writeFileSync(join(env.workDir, `${providerName}.db`), 'this is not a database '.repeat(100));
    for (const suffix of ['-wal', '-shm']) writeFileSync(join(env.workDir, `${providerName}.db${suffix}`), '');
    const result = await request(env);
    expectStorageError(result);
    expect(result.json.error.message).toContain(`${providerName}.db`);
    expect(await instancesOf(providerName)).toBe(0);
  });

  it('a work directory that cannot be created', async () => {
    const { env, providerName } = await setup();
    const blocker = join(env.workDir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    env.env['HF_PROVIDER_WORKDIR'] = join(blocker, 'work');
    const result = await request(env);
    expectStorageError(result);
    expect(await instancesOf(providerName)).toBe(0);
  });

  it('a database another process keeps locked', async () => {
    const { env, providerName } = await setup();
    const file = join(env.workDir, `${providerName}.db`);
    mkdirSync(env.workDir, { recursive: true });
    // Another process holds the write lock until the call gave up waiting for it (busy timeout 5 s).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN EXCLUSIVE'); console.log('locked'); setInterval(() => {}, 1000);`,
        file,
      ],
      { env: { ...process.env, NODE_PATH: join(hf.ROOT, 'node_modules') }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    try {
      const result = await request(env);
      expectStorageError(result);
      expect(await instancesOf(providerName)).toBe(0);
    } finally {
      holder.kill();
    }
  }, 30_000);
});
