// Bad input through the real scripts: each case gets the JSON error body and a non-zero exit
// (or, for unknown ids, the per-entry answer), and the stored state is left as it was.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { hf, installation, motoEndpoint, type HfEnvironment } from './hf';

const Database = require('better-sqlite3');

function snapshot(environment: HfEnvironment): string {
  const file = readdirSync(environment.workDir).find((f) => f.endsWith('.db'));
  if (!file) return '(no database)';
  const db = new Database(join(environment.workDir, file), { readonly: true, fileMustExist: true });
  try {
    const requests = db.prepare('SELECT * FROM requests ORDER BY request_id').all();
    const machines = db.prepare('SELECT * FROM machines ORDER BY machine_id').all();
    return JSON.stringify({ requests, machines });
  } finally {
    db.close();
  }
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function expectError(result: { status: number | null; json: { message: string; error: { code: string; message: string } } }, code: string): void {
  expect(result.status).not.toBe(0);
  expect(result.json.error.code).toBe(code);
  expect(result.json.message).toBe(result.json.error.message);
  expect(result.json.message.length).toBeGreaterThan(5);
}

describe('bad input through the scripts', () => {
  let env: HfEnvironment;
  let requestId: string;
  let before: string;

  beforeAll(async () => {
    env = await installation();
    const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, env.env);
    expect(made.status).toBe(0);
    requestId = made.json.requestId;
    before = snapshot(env);
  });

  afterEach(() => {
    // Whatever a failed call was given, what was stored stays as it was.
    expect(snapshot(env)).toBe(before);
  });

  it('a missing -f file', async () => {
    const { spawnSync } = await import('node:child_process');
    const missing = spawnSync(join(hf.SCRIPTS_DIR, 'getRequestStatus.sh'), ['-f', '/nonexistent/hf_in_x'], { env: env.env, encoding: 'utf8' });
    expectError({ status: missing.status, json: JSON.parse(missing.stdout) }, 'INVALID_INPUT');
    expect(JSON.parse(missing.stdout).message).toContain('/nonexistent/hf_in_x');
  });

  it('no -f at all: an error for the calls that need input; getAvailableTemplates (as the guide calls it) answers', async () => {
    const { spawnSync } = await import('node:child_process');
    const bare = spawnSync(join(hf.SCRIPTS_DIR, 'getRequestStatus.sh'), [], { env: env.env, encoding: 'utf8' });
    expectError({ status: bare.status, json: JSON.parse(bare.stdout) }, 'INVALID_INPUT');
    const templates = spawnSync(join(hf.SCRIPTS_DIR, 'getAvailableTemplates.sh'), [], { env: env.env, encoding: 'utf8' });
    expect(templates.status).toBe(0);
    expect(JSON.parse(templates.stdout).templates.map((t: { templateId: string }) => t.templateId)).toEqual(['OnDemand-Small']);
  });

  it('a status entry without a requestId is answered on its own; the other entries as polled', async () => {
    const answer = await hf.runScript('getRequestStatus', { requests: [{ requestId: 'req-unknown' }, { requestid: 'typo' }] }, env.env);
    expect(answer.status).toBe(0);
    expect(answer.json.requests).toEqual([
      { requestId: 'req-unknown', status: 'complete_with_error', message: 'Request req-unknown not found', machines: [] },
      { requestId: '', status: 'complete_with_error', message: 'Missing requests[1].requestId in getRequestStatus input', machines: [] },
    ]);
  });

  it('an unreadable -f file', async () => {
    if (process.getuid?.() === 0) {
      // root reads any file: a directory is unreadable as a file for everyone.
      const dir = mkdtempSync(join(tmpdir(), 'hf_in_dir'));
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(join(hf.SCRIPTS_DIR, 'getRequestStatus.sh'), ['-f', dir], { env: env.env, encoding: 'utf8' });
      expectError({ status: r.status, json: JSON.parse(r.stdout) }, 'INVALID_INPUT');
      expect(JSON.parse(r.stdout).message).toContain('EISDIR');
    } else {
      const file = join(mkdtempSync(join(tmpdir(), 'hf_in_')), 'input.json');
      writeFileSync(file, '{}');
      chmodSync(file, 0o000);
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(join(hf.SCRIPTS_DIR, 'getRequestStatus.sh'), ['-f', file], { env: env.env, encoding: 'utf8' });
      expectError({ status: r.status, json: JSON.parse(r.stdout) }, 'INVALID_INPUT');
    }
  });

  it('malformed JSON', async () => {
    const result = await hf.runScript('requestMachines', '{"template": {"templateId": "OnDemand-Small",', env.env);
    expectError(result, 'INVALID_INPUT');
    expect(result.json.message).toMatch(/Malformed JSON/);
  });

  it('wrong types', async () => {
    expectError(await hf.runScript('requestMachines', { template: { templateId: 7, machineCount: 1 } }, env.env), 'INVALID_INPUT');
    expectError(await hf.runScript('getRequestStatus', { requests: 'req-1' }, env.env), 'INVALID_INPUT');
    expectError(await hf.runScript('requestReturnMachines', { machines: 'i-1' }, env.env), 'INVALID_INPUT');
    // A wrong entry is answered on its own (the rest of a poll must not be lost for it).
    const entry = await hf.runScript('getRequestStatus', { requests: [{ requestId: 42 }] }, env.env);
    expect(entry.status).toBe(0);
    expect(entry.json.requests[0]).toMatchObject({
      status: 'complete_with_error',
      message: expect.stringContaining('must be a non-empty string (got 42)'),
    });
  });

  it('missing template / templateId', async () => {
    expectError(await hf.runScript('requestMachines', { machineCount: 1 }, env.env), 'INVALID_INPUT');
    expectError(await hf.runScript('requestMachines', { template: { machineCount: 1 } }, env.env), 'INVALID_INPUT');
  });

  it('an unknown template names the ones that exist', async () => {
    const result = await hf.runScript('requestMachines', { template: { templateId: 'nope', machineCount: 1 } }, env.env);
    expectError(result, 'TEMPLATE_NOT_FOUND');
    expect(result.json.error.details).toEqual({ available_templates: ['OnDemand-Small'] });
  });

  it.each([
    ['0', 0, 'INVALID_INPUT'],
    ['negative', -1, 'INVALID_INPUT'],
    ['fractional', 1.5, 'INVALID_INPUT'],
    ['above availableNumber', 4, 'MAX_NUMBER_EXCEEDED'],
  ])('machineCount %s', async (_name, machineCount, code) => {
    const result = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount } }, env.env);
    expectError(result, code);
  });

  it('an unknown request id gets its own complete_with_error entry, the call succeeds', async () => {
    const result = await hf.runScript('getRequestStatus', { requests: [{ requestId: 'req-does-not-exist' }, { requestId }] }, env.env);
    expect(result.status).toBe(0);
    expect(result.json.requests[0]).toEqual({
      requestId: 'req-does-not-exist',
      status: 'complete_with_error',
      message: expect.stringContaining('not found'),
      machines: [],
    });
    expect(result.json.requests[1].requestId).toBe(requestId);
    before = snapshot(env); // a poll legitimately updates what it saw
  });

  it('a template naming a subnet that does not exist: TEMPLATE_INVALID naming the field, nothing stored', async () => {
    const network = await hf.createNetwork(motoEndpoint());
    const broken = await installation({
      templates: [hf.ondemandTemplate({ subnetIds: ['subnet-0000000000000dead'], securityGroupId: network.securityGroupId })],
    });
    const result = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, broken.env);
    expectError(result, 'TEMPLATE_INVALID');
    expect(result.json.message).toContain("subnetId 'subnet-0000000000000dead'");
    expect(result.json.error.details).toMatchObject({ templateId: 'OnDemand-Small', field: 'subnetId' });
    expect(snapshot(broken)).toBe(JSON.stringify({ requests: [], machines: [] }));
  });

  it('one template with a mistyped instance type does not hide the others', async () => {
    const network = await hf.createNetwork(motoEndpoint());
    const other = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf typo ')), endpoint: motoEndpoint() });
    hf.writeProviderFiles(other.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint() },
      templates: [hf.ondemandTemplate(network, { templateId: 'Typo', vmType: 'm5.lrage' }), hf.ondemandTemplate(network, { templateId: 'Good' })],
    });
    const answer = await hf.runScript('getAvailableTemplates', {}, other.env);
    expect(answer.status).toBe(0);
    const [typo, good] = answer.json.templates;
    expect(typo).toMatchObject({ templateId: 'Typo', maxNumber: 10, availableNumber: 0, message: expect.stringContaining("'m5.lrage' is unknown") });
    expect(good).toMatchObject({ templateId: 'Good', availableNumber: 10, attributes: { ncpus: ['Numeric', expect.any(String)] } });
  });

  it('a config that does not validate names the key', async () => {
    const broken = await installation({ config: { AWS_INSTANCE_PENDING_TIMEOUT_SEC: 'soon' } });
    const result = await hf.runScript('getAvailableTemplates', {}, broken.env);
    expectError(result, 'CONFIG_INVALID');
    expect(result.json.message).toContain('AWS_INSTANCE_PENDING_TIMEOUT_SEC');
  });

  it('AWS unreachable: requestMachines fails with PROVIDER_ERROR; a status poll reports running with the reason', async () => {
    const port = await closedPort();
    const offline = { ...env.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` };
    const { writeFileSync: write } = await import('node:fs');
    write(join(env.confDir, 'awsprov_config.json'), JSON.stringify({ AWS_REGION: 'us-east-1', AWS_REQUEST_RETRY_ATTEMPTS: 0 }));
    try {
      const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, offline);
      expectError(made, 'PROVIDER_ERROR');
      expect(made.json.message).toMatch(/unreachable/i);
      const polled = await hf.runScript('getRequestStatus', { requests: [{ requestId }] }, offline);
      expect(polled.status).toBe(0);
      expect(polled.json.requests[0].status).toBe('running');
      expect(polled.json.requests[0].message).toMatch(/unreachable/i);
      const reclaims = await hf.runScript('getReturnRequests', {}, offline);
      expectError(reclaims, 'PROVIDER_ERROR');
    } finally {
      hf.writeProviderFiles(env.confDir, {
        config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: env.env['AWS_ENDPOINT_URL'] },
        templates: JSON.parse(require('node:fs').readFileSync(join(env.confDir, 'awsprov_templates.json'), 'utf8')).templates,
      });
    }
    // The failed launch is kept, finished, for the record; nothing earlier changed.
    const after = JSON.parse(snapshot(env));
    const old = JSON.parse(before);
    for (const request of old.requests) expect(after.requests).toContainEqual(request);
    expect(after.machines).toEqual(old.machines);
    before = snapshot(env);
  });
});

describe('configuration keys through the scripts', () => {
  it('a typo in awsprov_config.json (AWS_REGOIN) fails every call with CONFIG_INVALID naming the file, the key and the key meant', async () => {
    const environment = await installation({ config: { AWS_REGOIN: 'eu-west-1' } });
    for (const script of ['getAvailableTemplates', 'requestMachines'] as const) {
      const input = script === 'requestMachines' ? { template: { templateId: 'OnDemand-Small', machineCount: 1 } } : {};
      const result = await hf.runScript(script, input, environment.env);
      expect(result.status).toBe(3);
      expect(result.json.error).toMatchObject({ code: 'CONFIG_INVALID', details: { key: 'AWS_REGOIN', suggestion: 'AWS_REGION' } });
      expect(result.json.error.message).toContain(
        `${join(environment.confDir, 'awsprov_config.json')}: AWS_REGOIN: unknown key (did you mean AWS_REGION?)`,
      );
    }
  });

  it('an IBM key the plugin does not support loads, and is logged at warn once, not on every call', async () => {
    const environment = await installation({ config: { AWS_KEY_FILE: '/opt/keys' } });
    for (let i = 0; i < 3; i++) expect((await hf.runScript('getAvailableTemplates', {}, environment.env)).status).toBe(0);
    const log = readFileSync(join(environment.logDir, 'awsinst-provider.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string; notice?: string });
    const notices = log.filter((entry) => entry.msg === 'configuration notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ level: 'warn' });
    expect(notices[0]?.notice).toContain('AWS_KEY_FILE is not supported and has no effect');
  });
});
