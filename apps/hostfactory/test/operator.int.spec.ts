// hostfactory.sh, the operator's command line, run as an administrator runs it: beside the five
// HF scripts, with the provider instance's HF environment, against moto_server. Not a terminal
// here, so every answer is one JSON document (the human tables are covered in operator.spec.ts).
import {
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSpotFleetRequestsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, installation, motoEndpoint, MOTO_AMI, runOk, untilComplete, type HfEnvironment } from './hf';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

function operator(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string; json: any } {
  const result = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), args, { env, encoding: 'utf8', timeout: 60_000 });
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

function operatorAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; json: any }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, json: JSON.parse(stdout) }));
  });
}

const rootVersion = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('hostfactory.sh', () => {
  let environment: HfEnvironment;
  let requestId: string;
  let machineIds: string[];

  beforeAll(async () => {
    environment = await installation({ config: { AWS_INSTANCE_PENDING_TIMEOUT_SEC: 240 } });
    requestId = (await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, environment.env)).requestId;
    machineIds = (await untilComplete(requestId, environment.env)).machines.map((m: { machineId: string }) => m.machineId);
  });

  it('--help (on it and on each command) and --version answer with exit 0', () => {
    const help = operator(['--help'], environment.env);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: hostfactory.sh <command>');
    for (const command of ['health', 'config', 'templates', 'requests', 'machines', 'reconcile', 'storage']) {
      const sub = operator([command, '--help'], environment.env);
      expect({ command, status: sub.status }).toEqual({ command, status: 0 });
      expect(sub.stdout).toContain(`usage: hostfactory.sh ${command}`);
    }
    expect(operator(['--version'], environment.env).json).toEqual({ version: rootVersion });
  });

  it('the HF scripts answer --help with their usage and exit 0', () => {
    const result = spawnSync(join(hf.SCRIPTS_DIR, 'requestMachines.sh'), ['--help'], { env: environment.env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: hostfactory <getAvailableTemplates|requestMachines');
  });

  it('bad usage is exit 2 with one JSON error document', () => {
    for (const args of [['frobnicate'], ['requests', 'list', '--status', 'done'], ['requests', 'list', '--colour'], []]) {
      const result = operator(args, environment.env);
      expect({ args, status: result.status, code: result.json?.error?.code }).toEqual({ args, status: 2, code: 'INVALID_INPUT' });
    }
  });

  it('health: every check ok against moto, one JSON document', () => {
    const result = operator(['health', '--json'], environment.env);
    expect(result.status).toBe(0);
    expect(result.json.status).toBe('ok');
    expect(result.json.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['config', 'ok'],
      ['templates', 'ok'],
      ['storage', 'ok'],
      ['credentials', 'ok'],
      ['ec2', 'ok'],
    ]);
    expect(result.json.checks[2].message).toContain('readable and writable');
    expect(result.json.checks[3].message).toMatch(/^account \d{12} as arn:aws:/);
  });

  it('health: an unreachable endpoint fails credentials and ec2 with the reason, exit 1', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const result = operator(['health'], { ...environment.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(result.status).toBe(1);
    expect(result.json.status).toBe('fail');
    const byName = Object.fromEntries(result.json.checks.map((c: { name: string; status: string; message: string }) => [c.name, c]));
    expect(byName.storage.status).toBe('ok');
    expect(byName.credentials).toMatchObject({ status: 'fail' });
    expect(byName.ec2.status).toBe('fail');
    expect(byName.ec2.message).toContain('unreachable');
  });

  it('health: a configuration that does not load fails config and names the key', () => {
    const broken = installationWithConfig(environment, { AWS_REGOIN: 'eu-west-1' });
    const result = operator(['health', '--json'], broken);
    expect(result.status).toBe(1);
    expect(result.json.checks[0]).toMatchObject({ name: 'config', status: 'fail' });
    expect(result.json.checks[0].message).toContain('AWS_REGOIN: unknown key');
  });

  it('config show: every setting with its value and source; config validate', () => {
    const shown = operator(['config', 'show', '--json'], environment.env);
    expect(shown.status).toBe(0);
    expect(shown.json['AWS_REGION']).toEqual({ value: 'us-east-1', source: 'env:AWS_REGION' });
    expect(shown.json['AWS_INSTANCE_PENDING_TIMEOUT_SEC']).toEqual({
      value: 240,
      source: `${join(environment.confDir, 'awsprov_config.json')} (AWS_INSTANCE_PENDING_TIMEOUT_SEC)`,
    });
    expect(shown.json['AWS_REQUEST_RETRY_ATTEMPTS']).toEqual({ value: 3, source: 'default' });
    expect(Object.keys(shown.json).length).toBeGreaterThan(35);
    const secret = operator(
      ['config', 'show', '--json'],
      installationWithConfig(environment, { AWS_PROXY_HOST: 'http://ops:s3cret@127.0.0.1', AWS_PROXY_PORT: 3128 }),
    );
    expect(JSON.stringify(secret.json)).not.toContain('s3cret');
    expect(operator(['config', 'validate'], environment.env).json).toMatchObject({ valid: true, templates: 1 });
    expect(operator(['config', 'validate'], installationWithConfig(environment, { AWS_REGOIN: 'x' })).status).toBe(3);
  });

  it('requests list / show and machines list / show read the store', () => {
    const listed = operator(['requests', 'list', '--status', 'complete', '--json'], environment.env);
    expect(listed.status).toBe(0);
    expect(listed.json.requests).toEqual([expect.objectContaining({ requestId, kind: 'acquire', status: 'complete', templateId: 'OnDemand-Small' })]);
    expect(operator(['requests', 'list', '--status', 'running'], environment.env).json.requests).toEqual([]);
    expect(operator(['requests', 'list', '--template', 'Nope'], environment.env).json.requests).toEqual([]);
    const shown = operator(['requests', 'show', requestId], environment.env);
    expect(shown.json.request).toMatchObject({ requestId, machineCount: 2 });
    expect(shown.json.machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual([...machineIds].sort());
    expect(operator(['requests', 'show', 'req-nope'], environment.env)).toMatchObject({ status: 2, json: { error: { code: 'REQUEST_NOT_FOUND' } } });
    const machines = operator(['machines', 'list'], environment.env);
    expect(machines.json.machines).toHaveLength(2);
    expect(operator(['machines', 'show', machineIds[0] as string], environment.env).json.machine).toMatchObject({
      machineId: machineIds[0],
      status: 'running',
      result: 'succeed',
      requestId,
    });
  });

  it('templates list: what HF sees, with the available number', () => {
    const result = operator(['templates', 'list'], environment.env);
    expect(result.json.templates).toEqual([{ templateId: 'OnDemand-Small', providerApi: 'RunInstances', maxNumber: 5, availableNumber: 3 }]);
  });

  it('templates check: ok against moto (DryRun answered DryRunOperation); a missing subnet fails naming template and field', () => {
    const ok = operator(['templates', 'check', '--json'], environment.env);
    expect(ok.status).toBe(0);
    expect(ok.json).toEqual({
      status: 'ok',
      templates: [{ templateId: 'OnDemand-Small', status: 'ok', checked: expect.arrayContaining(['RunInstances DryRun']), problems: [] }],
    });
    const templatesFile = join(environment.confDir, 'awsprov_templates.json');
    const broken = installationWithFiles(environment, (confDir) => {
      const document = JSON.parse(readFileSync(templatesFile, 'utf8'));
      document.templates[0].subnetId = 'subnet-0123456789abcdef0';
      writeFileSync(join(confDir, 'awsprov_templates.json'), JSON.stringify(document));
    });
    const failed = operator(['templates', 'check', 'OnDemand-Small'], broken);
    expect(failed.status).toBe(1);
    expect(failed.json.status).toBe('fail');
    expect(failed.json.templates[0]).toMatchObject({
      templateId: 'OnDemand-Small',
      status: 'fail',
      problems: [{ severity: 'fail', field: 'subnetId' }],
    });
    expect(failed.json.templates[0].problems[0].message).toContain('subnet-0123456789abcdef0');
    expect(operator(['templates', 'check', 'Nope'], environment.env)).toMatchObject({ status: 2, json: { error: { code: 'TEMPLATE_NOT_FOUND' } } });
  });

  it('templates check: each capacity shape dry-runs the call its requests would make, and leaves nothing behind', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const base = JSON.parse(readFileSync(join(environment.confDir, 'awsprov_templates.json'), 'utf8')).templates[0];
    const own = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `own-${Date.now()}`,
        LaunchTemplateData: { ImageId: MOTO_AMI, InstanceType: 't3.medium' },
      }),
    );
    const ownLt = own.LaunchTemplate?.LaunchTemplateId as string;
    const role = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';
    const shapes = [
      { ...base, templateId: 'Check-Fleet', providerApi: 'EC2Fleet', fleetType: 'request' },
      { ...base, templateId: 'Check-Fleet-OwnLT', providerApi: 'EC2Fleet', fleetType: 'instant', launchTemplateId: ownLt },
      {
        ...base,
        templateId: 'Check-Spot',
        providerApi: 'SpotFleet',
        priceType: 'spot',
        fleetRole: role,
        allocationStrategy: 'lowestPrice',
        launchTemplateId: ownLt,
      },
      { ...base, templateId: 'Check-ASG', providerApi: 'ASG' },
    ];
    const env = installationWithFiles(environment, (confDir) =>
      writeFileSync(join(confDir, 'awsprov_templates.json'), JSON.stringify({ templates: [base, ...shapes] })),
    );
    const result = operator(['templates', 'check', '--json'], env);
    const byId = new Map(result.json.templates.map((t: { templateId: string }) => [t.templateId, t]));
    expect(byId.get('OnDemand-Small')).toMatchObject({ status: 'ok', checked: expect.arrayContaining(['RunInstances DryRun']) });
    expect(byId.get('Check-Fleet')).toMatchObject({
      status: 'ok',
      checked: expect.arrayContaining([
        expect.stringMatching(/^CreateLaunchTemplate DryRun/),
        'CreateFleet DryRun skipped: it needs the launch template',
      ]),
    });
    expect(byId.get('Check-Fleet-OwnLT')).toMatchObject({ status: 'ok', checked: expect.arrayContaining(['CreateFleet DryRun']) });
    // moto ignores DryRun on RequestSpotFleet: a warning, and the fleet it made is cancelled.
    expect(byId.get('Check-Spot')).toMatchObject({
      status: 'warn',
      problems: [{ severity: 'warn', message: expect.stringContaining('ignores DryRun') }],
    });
    expect(byId.get('Check-ASG')).toMatchObject({
      status: 'ok',
      checked: expect.arrayContaining(['CreateAutoScalingGroup input (Auto Scaling has no DryRun)']),
    });
    expect({ status: result.status, overall: result.json.status }).toEqual({ status: 0, overall: 'ok' });
    // Nothing left behind: no launch template of ours, and the fleet moto made is cancelled.
    const ours = await ec2.send(
      new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: ['hf-awsinst-Check-Fleet', 'hf-awsinst-Check-ASG'] }] }),
    );
    expect(ours.LaunchTemplates ?? []).toEqual([]);
    const spot = (await ec2.send(new DescribeSpotFleetRequestsCommand({}))).SpotFleetRequestConfigs ?? [];
    expect(spot.filter((f) => !String(f.SpotFleetRequestState).startsWith('cancelled'))).toEqual([]);
    const preflightLaunched = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:hf:request-id', Values: ['preflight'] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    expect((preflightLaunched.Reservations ?? []).flatMap((r) => r.Instances ?? [])).toEqual([]);
    ec2.destroy();
  });

  it('templates check: a DryRun EC2 refuses fails the template with the reason', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      proxy.fail('RunInstances', 'UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
      // Asynchronously: the proxy runs in this process and must keep serving.
      const result = await operatorAsync(['templates', 'check'], { ...environment.env, AWS_ENDPOINT_URL: proxy.endpoint });
      expect(result.status).toBe(1);
      expect(result.json.templates[0].problems).toEqual([
        expect.objectContaining({ severity: 'fail', field: 'template', message: expect.stringContaining('UnauthorizedOperation') }),
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('reconcile: --dry-run reports an instance the store does not hold; reconcile gives it back now', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const network = await hf.createNetwork(motoEndpoint());
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: MOTO_AMI,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        SubnetId: network.subnetIds[0],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'hf:provider-name', Value: 'awsinst' }] }],
      }),
    );
    const stray = launched.Instances?.[0]?.InstanceId as string;
    const dry = operator(['reconcile', '--dry-run', '--json'], environment.env);
    expect(dry.status).toBe(0);
    expect(dry.json).toMatchObject({ dryRun: true, complete: true });
    expect(dry.json.findings).toEqual([expect.objectContaining({ kind: 'instance', id: stray, action: 'reported' })]);
    const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [stray] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    expect(await state()).toBe('running');

    const done = operator(['reconcile', '--json'], environment.env);
    expect(done.json.findings).toEqual([expect.objectContaining({ kind: 'instance', id: stray, action: 'given back' })]);
    expect(['shutting-down', 'terminated']).toContain(await state());
    // The machines HF holds were never touched.
    for (const id of machineIds) {
      const held = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(held.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
    }
    ec2.destroy();
  });
});

/** The same installation's environment over a copy of its conf dir that `edit` changes. */
function installationWithFiles(environment: HfEnvironment, edit: (confDir: string) => void): Record<string, string> {
  const confDir = mkdtempSync(join(tmpdir(), 'hf conf '));
  cpSync(environment.confDir, confDir, { recursive: true });
  edit(confDir);
  return { ...environment.env, HF_PROVIDER_CONFDIR: confDir };
}

/** The same installation with other provider settings. */
function installationWithConfig(environment: HfEnvironment, config: Record<string, unknown>): Record<string, string> {
  return installationWithFiles(environment, (confDir) => {
    const file = join(confDir, 'awsprov_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...config }));
  });
}
