// The integration guide's dialect end to end: a YAML config named by CONFIG_PATH, the guide's
// simpler inputs, answered in kind; the scripts installed in (and run from) paths with spaces.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, MOTO_AMI, type HfEnvironment } from './hf';

describe('guide dialect through scripts installed under a path with spaces', () => {
  let environment: HfEnvironment;
  let env: Record<string, string>;
  let scriptsDir: string;
  let cwd: string;

  beforeAll(async () => {
    const endpoint = motoEndpoint();
    const root = mkdtempSync(join(tmpdir(), 'guide top '));
    environment = hf.hfEnvironment({ root, endpoint, providerName: 'aws guide' });
    const network = await hf.createNetwork(endpoint);
    // An installation elsewhere, as the README says: apps/hostfactory/{scripts,dist} copied, and
    // nothing else (dist carries the native SQLite driver it needs).
    const install = join(root, 'open hostfactory');
    mkdirSync(install);
    cpSync(hf.SCRIPTS_DIR, join(install, 'scripts'), { recursive: true });
    cpSync(join(hf.ROOT, 'apps', 'hostfactory', 'dist'), join(install, 'dist'), { recursive: true });
    scriptsDir = join(install, 'scripts');
    cwd = join(root, 'some cwd');
    mkdirSync(cwd);
    const configPath = join(root, 'my config.yml');
    writeFileSync(
      configPath,
      [
        'provider:',
        '  aws:',
        '    region: us-east-1',
        `    endpoint_url: ${endpoint}`,
        'logging:',
        '  level: debug',
        'templates:',
        '  - template_id: Guide-Small',
        '    max_number: 4',
        '    attributes:',
        '      vm_type: t3.medium',
        '      ncpus: 2',
        '      nram: 4096',
        `    image_id: ${MOTO_AMI}`,
        '    subnet_ids:',
        ...network.subnetIds.map((s) => `      - ${s}`),
        '    security_group_ids:',
        `      - ${network.securityGroupId}`,
        '    instance_tags:',
        '      team: guide',
      ].join('\n'),
    );
    env = { ...environment.env, CONFIG_PATH: configPath };
    delete env['AWS_ENDPOINT_URL'];
  });

  const run = (script: string, input: unknown) => hf.runScript(script, input, env, { scriptsDir, cwd });

  it('templates come from the YAML, with plain attribute values turned into HF pairs', async () => {
    const result = await run('getAvailableTemplates', {});
    expect(result.status).toBe(0);
    expect(result.json.templates).toEqual([
      expect.objectContaining({
        templateId: 'Guide-Small',
        maxNumber: 4,
        availableNumber: 4,
        attributes: expect.objectContaining({ ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] }),
        instanceTags: 'team=guide',
      }),
    ]);
  });

  it('request, poll until completed, return by request id', async () => {
    const made = await run('requestMachines', { templateId: 'Guide-Small', maxNumber: 2, attributes: {} });
    expect(made.status).toBe(0);
    expect(made.json).toEqual({
      requestId: expect.stringMatching(/^req-/),
      message: expect.any(String),
      machines: expect.any(Array),
    });
    // Machines known so far: moto launches one per call (real EC2: up to all), the rest come on polls.
    expect(made.json.machines.length).toBeGreaterThanOrEqual(1);
    for (const machine of made.json.machines) {
      expect(machine).toMatchObject({ machineId: expect.stringMatching(/^i-/), status: 'pending' });
    }

    let status = await run('getRequestStatus', { requestId: made.json.requestId });
    for (let i = 0; i < 10 && status.json.status === 'running'; i++) {
      status = await run('getRequestStatus', { requestId: made.json.requestId });
    }
    expect(status.status).toBe(0);
    expect(status.json).toMatchObject({ requestId: made.json.requestId, status: 'completed' });
    expect(status.json.machines).toHaveLength(2);
    for (const machine of status.json.machines) {
      expect(machine.ipAddress).toBe(machine.privateIpAddress);
      expect(machine.attributes).toMatchObject({ ncpus: ['Numeric', '2'] });
    }

    const returned = await run('requestReturnMachines', { requestId: made.json.requestId });
    expect(returned.status).toBe(0);
    expect(returned.json).toEqual({
      requestId: made.json.requestId,
      returnRequestId: expect.stringMatching(/^ret-/),
      status: 'terminating',
      machines: expect.arrayContaining([{ machineId: status.json.machines[0].machineId, status: 'terminating' }]),
    });
    const done = await run('getRequestStatus', { requestId: returned.json.returnRequestId });
    expect(done.json.status).toBe('completed');
  });

  it("state went to the provider instance's own database, logs to its own file", async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(environment.workDir, 'aws_guide.db'))).toBe(true);
    expect(existsSync(join(environment.logDir, 'aws guide-provider.log'))).toBe(true);
  });

  it('a guide return naming an unknown request is a REQUEST_NOT_FOUND error', async () => {
    const result = await run('requestReturnMachines', { requestId: 'req-nope' });
    expect(result.status).not.toBe(0);
    expect(result.json.error.code).toBe('REQUEST_NOT_FOUND');
  });
});

describe("the integration guide's config.yml as the guide writes it", () => {
  it('runs a lifecycle: template settings under attributes, profile default with credentials from the environment, no -f for the templates', async () => {
    const endpoint = motoEndpoint();
    const root = mkdtempSync(join(tmpdir(), 'guide as written '));
    const environment = hf.hfEnvironment({ root, endpoint });
    const network = await hf.createNetwork(endpoint);
    const configPath = join(root, 'config.yml');
    writeFileSync(
      configPath,
      [
        'provider:',
        '  name: aws-provider',
        '  type: aws',
        '  aws:',
        '    region: us-east-1',
        '    profile: default',
        `    endpoint_url: ${endpoint}`,
        'templates:',
        '  - template_id: basic-template',
        '    max_number: 5',
        '    attributes:',
        '      vm_type: t3.medium',
        `      image_id: ${MOTO_AMI}`,
        '      subnet_ids:',
        ...network.subnetIds.map((s) => `        - ${s}`),
        '      security_group_ids:',
        `        - ${network.securityGroupId}`,
      ].join('\n'),
    );
    // Credentials come from the environment only (no shared credentials file to name a profile in).
    const env = { ...environment.env, CONFIG_PATH: configPath, AWS_SHARED_CREDENTIALS_FILE: join(root, 'none'), AWS_CONFIG_FILE: join(root, 'none') };
    const { spawnSync } = await import('node:child_process');
    const listed = spawnSync(join(hf.SCRIPTS_DIR, 'getAvailableTemplates.sh'), [], { env, encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const [template] = JSON.parse(listed.stdout).templates;
    expect(template).toMatchObject({ templateId: 'basic-template', vmType: 't3.medium', imageId: MOTO_AMI, availableNumber: 5 });
    expect(template.attributes).toMatchObject({ ncpus: ['Numeric', expect.any(String)], nram: ['Numeric', '4096'] });
    expect(Object.keys(template.attributes)).not.toContain('subnet_ids');

    const run = (script: string, input: unknown) => hf.runScript(script, input, env);
    const made = await run('requestMachines', { templateId: 'basic-template', maxNumber: 1, attributes: {} });
    expect(made.status).toBe(0);
    let status = await run('getRequestStatus', { requestId: made.json.requestId });
    for (let i = 0; i < 10 && status.json.status === 'running'; i++) status = await run('getRequestStatus', { requestId: made.json.requestId });
    expect(status.json.status).toBe('completed');
    // Guide machines carry the template's attributes as getAvailableTemplates resolves them.
    expect(status.json.machines[0].attributes).toEqual(template.attributes);
    const returned = await run('requestReturnMachines', { requestId: made.json.requestId });
    expect(returned.status).toBe(0);
    expect((await run('getRequestStatus', { requestId: returned.json.returnRequestId })).json.status).toBe('completed');
  });
});
