// `npm run release` as an administrator uses it: the tarball unpacked into a temp dir outside the
// repository (no node_modules above it), run with only Node on PATH, a lifecycle through its own
// scripts against moto_server; then the same installation upgraded in place keeps its state.
import { spawnSync } from 'node:child_process';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import Database from 'better-sqlite3';
import { TAG_PROVIDER_NAME, TAG_REQUEST_ID, TAG_TEMPLATE_ID } from '@open-hostfactory/core';
import { MIGRATIONS, SCHEMA_VERSION } from '@open-hostfactory/storage-sqlite';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hf, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const ROOT = join(__dirname, '..', '..', '..');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the release tarball', () => {
  let tarball: string;
  let install: string;
  let scriptsDir: string;
  let environment: HfEnvironment;
  let env: Record<string, string>;

  beforeAll(async () => {
    const made = spawnSync(process.execPath, [join(ROOT, 'tools/release.mjs'), '--out', mkdtempSync(join(tmpdir(), 'hf release '))], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(made.status).toBe(0);
    tarball = made.stdout.trim().split('\n').pop() as string;
    install = mkdtempSync(join(tmpdir(), 'hf install '));
    expect(spawnSync('tar', ['-xzf', tarball, '-C', install]).status).toBe(0);
    scriptsDir = join(install, `open-hostfactory-${version}`, 'scripts');
    environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf released ')), endpoint: motoEndpoint() });
    const network = await hf.createNetwork(motoEndpoint());
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint() },
      templates: [hf.ondemandTemplate(network, { maxNumber: 4 })],
    });
    // Only Node (and the shell's own tools) on PATH: nothing of the repository.
    env = { ...environment.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
  });

  it('is named open-hostfactory-<version>-<os>-<arch>.tar.gz and holds what an installation needs', () => {
    expect(tarball.endsWith(`open-hostfactory-${version}-${process.platform}-${process.arch}.tar.gz`)).toBe(true);
    const top = join(install, `open-hostfactory-${version}`);
    for (const file of [
      'getAvailableTemplates',
      'requestMachines',
      'getRequestStatus',
      'requestReturnMachines',
      'getReturnRequests',
      'hostfactory',
      'storage',
      'invoke',
    ]) {
      expect({ file, exists: existsSync(join(top, 'scripts', `${file}.sh`)) }).toEqual({ file, exists: true });
    }
    expect(existsSync(join(top, 'dist', 'main.mjs'))).toBe(true);
    expect(existsSync(join(top, 'dist', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    expect(existsSync(join(top, 'config', 'awsprov_templates.json'))).toBe(true);
    expect(existsSync(join(top, 'docs', 'operations.md'))).toBe(true);
    expect(readFileSync(join(top, 'VERSION'), 'utf8')).toBe(`${version}\n`);
    expect(readFileSync(join(top, 'LICENSE'), 'utf8')).toMatch(/Apache License[\s\S]*Version 2\.0/);
    expect(readFileSync(join(top, 'CHANGELOG.md'), 'utf8')).toContain(`## ${version}`);
    const shown = spawnSync(join(scriptsDir, 'hostfactory.sh'), ['--version', '--json'], { env, encoding: 'utf8' });
    expect(JSON.parse(shown.stdout)).toEqual({ version });
  });

  it('runs a lifecycle from the unpacked copy, and an in-place upgrade keeps the state', async () => {
    const run = (script: string, input: unknown) => runOk(script, input, env, { scriptsDir });
    expect((await run('getAvailableTemplates', {})).templates).toHaveLength(1);
    const { requestId } = await run('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } });
    const complete = await untilComplete(requestId, env, { scriptsDir });
    const machines = complete.machines.map((m: { machineId: string }) => m.machineId).sort();

    // Upgrade: the new tarball unpacked over the installation; the state (work dir) is untouched.
    expect(spawnSync('tar', ['-xzf', tarball, '-C', install]).status).toBe(0);
    const after = await run('getRequestStatus', { requests: [{ requestId }] });
    expect(after.requests[0].status).toBe('complete');
    expect(after.requests[0].machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual(machines);
    const returned = await run('requestReturnMachines', {
      machines: after.requests[0].machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId })),
    });
    await untilComplete(returned.requestId, env, { scriptsDir });
  });

  it('upgrading from a release with an older schema migrates its state file on first use, and serves what it held', async () => {
    // The state file of a release on schema 3 (before launch leases): written with exactly the
    // migrations that release had, holding a running request and its two pending machines.
    const old = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf older ')), endpoint: motoEndpoint() });
    cpSync(environment.confDir, old.confDir, { recursive: true });
    const oldEnv = { ...old.env, PATH: env['PATH'] as string };
    const providerName = old.env['HF_PROVIDER_NAME'] as string;
    const requestId = 'req-00000000-0000-4000-8000-0000000000a3';
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const template = JSON.parse(readFileSync(join(old.confDir, 'awsprov_templates.json'), 'utf8')).templates[0];
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: template.imageId,
        InstanceType: template.vmType,
        MinCount: 2,
        MaxCount: 2,
        SubnetId: template.subnetId[0],
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: TAG_PROVIDER_NAME, Value: providerName },
              { Key: TAG_REQUEST_ID, Value: requestId },
              { Key: TAG_TEMPLATE_ID, Value: template.templateId },
            ],
          },
        ],
      }),
    );
    ec2.destroy();
    const instances = launched.Instances ?? [];
    const now = Date.now() - 60_000;
    const file = join(old.workDir, `${providerName}.db`);
    const db = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
    db.pragma('user_version = 3');
    db.prepare(
      `INSERT INTO requests (request_id, kind, template_id, provider_api, machine_count, status, message, launch_attempts, failed_attempts, provider_data, created_at, updated_at, version)
       VALUES (?, 'acquire', ?, 'RunInstances', 2, 'running', '', 1, 0, '{}', ?, ?, 1)`,
    ).run(requestId, template.templateId, now, now);
    for (const instance of instances) {
      db.prepare(
        `INSERT INTO machines (machine_id, request_id, template_id, provider_api, name, private_ip_address, public_ip_address, launch_time, status, result, message, price_type, instance_type, instance_tags, gone, created_at, updated_at, version, weight)
         VALUES (?, ?, ?, 'RunInstances', ?, ?, '', ?, 'pending', 'executing', '', 'ondemand', ?, '', 0, ?, ?, 1, 1)`,
      ).run(
        instance.InstanceId,
        requestId,
        template.templateId,
        instance.PrivateDnsName ?? '',
        instance.PrivateIpAddress ?? '',
        Math.floor(now / 1000),
        template.vmType,
        now,
        now,
      );
    }
    db.close();

    const run = (script: string, input: unknown) => runOk(script, input, oldEnv, { scriptsDir });
    const complete = await untilComplete(requestId, oldEnv, { scriptsDir });
    expect(complete.machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual(instances.map((i) => i.InstanceId).sort());
    const migrated = new Database(file, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // Migration 4 counts requests stored before as polled by HF: never taken for orphans.
    expect(migrated.prepare('SELECT first_polled_at FROM requests WHERE request_id = ?').get(requestId)).toEqual({ first_polled_at: now });
    migrated.close();
    const returned = await run('requestReturnMachines', {
      machines: complete.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId })),
    });
    await untilComplete(returned.requestId, oldEnv, { scriptsDir });
  });
});
