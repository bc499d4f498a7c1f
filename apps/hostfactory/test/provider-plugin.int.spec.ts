// A provider plugin wired purely by configuration: the worked example (packages/provider-example,
// a static pool of hosts) bundled into one module file outside the repository's packages, named
// in PROVIDER_PLUGINS, and a template with "providerApi": "StaticPool" served through the real
// scripts beside an AWS template on moto_server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { hf, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const ROOT = join(__dirname, '..', '..', '..');
const HOSTS = ['10.20.0.1', '10.20.0.2', '10.20.0.3'];

function poolTemplate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    templateId: 'Rack-A',
    maxNumber: 3,
    providerApi: 'StaticPool',
    attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '16'], ncores: ['Numeric', '8'], nram: ['Numeric', '65536'] },
    providerSettings: { hosts: HOSTS, instanceType: 'rack-node' },
    ...overrides,
  };
}

describe('a provider plugin named in PROVIDER_PLUGINS', () => {
  let plugin: string;
  let environment: HfEnvironment;
  let network: { subnetIds: string[]; securityGroupId: string };

  const configure = (templates: unknown[], config: Record<string, unknown> = {}): void =>
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint(), PROVIDER_PLUGINS: [plugin], ...config },
      templates,
    });

  beforeAll(async () => {
    plugin = join(mkdtempSync(join(tmpdir(), 'hf plugin ')), 'static-pool.cjs');
    buildSync({
      entryPoints: [join(ROOT, 'packages/provider-example/src/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: plugin,
      logLevel: 'error',
    });
    environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf plugged ')), endpoint: motoEndpoint() });
    network = await hf.createNetwork(motoEndpoint());
  });

  it('serves its templates through the five scripts beside the AWS ones, and gives the hosts back', async () => {
    configure([poolTemplate(), hf.ondemandTemplate(network, { maxNumber: 2 })]);
    const env = environment.env;
    const templates = (await runOk('getAvailableTemplates', {}, env)).templates;
    expect(templates.map((t: { templateId: string; availableNumber: number }) => [t.templateId, t.availableNumber])).toEqual([
      ['Rack-A', 3],
      ['OnDemand-Small', 2],
    ]);
    const { requestId } = await runOk('requestMachines', { template: { templateId: 'Rack-A', machineCount: 2 } }, env);
    const complete = await untilComplete(requestId, env);
    expect(complete.machines.map((m: { name: string }) => m.name).sort()).toEqual(HOSTS.slice(0, 2));
    expect(complete.machines[0]).toMatchObject({ status: 'running', result: 'succeed', instanceType: 'rack-node' });
    const available = (await runOk('getAvailableTemplates', {}, env)).templates.find((t: { templateId: string }) => t.templateId === 'Rack-A');
    expect(available.availableNumber).toBe(1);

    // The plugin's state is its own file in the provider's work dir.
    const poolFile = join(env['HF_PROVIDER_WORKDIR'] as string, 'awsinst.static-pool.json');
    expect(Object.keys(JSON.parse(readFileSync(poolFile, 'utf8')).leases).sort()).toEqual(HOSTS.slice(0, 2));

    const returned = await runOk(
      'requestReturnMachines',
      { machines: complete.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId })) },
      env,
    );
    await untilComplete(returned.requestId, env);
    expect(JSON.parse(readFileSync(poolFile, 'utf8')).leases).toEqual({});

    const check = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), ['templates', 'check', 'Rack-A', '--json'], { env, encoding: 'utf8' });
    expect(JSON.parse(check.stdout).templates[0]).toMatchObject({
      templateId: 'Rack-A',
      status: 'ok',
      checked: expect.arrayContaining(['static pool: 3 of 3 host(s) free']),
    });
  });

  it('refuses, naming the key, a provider setting it does not define, an AWS key on its template, and a plugin that is not there', async () => {
    const env = environment.env;
    const refused = async (templates: unknown[], config: Record<string, unknown> = {}) => {
      configure(templates, config);
      const result = await hf.runScript('getAvailableTemplates', {}, env);
      expect(result.status).not.toBe(0);
      return result.json.error;
    };
    expect(await refused([poolTemplate({ providerSettings: { host: HOSTS } })])).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { key: 'templates[0].providerSettings.host', reason: expect.stringContaining('did you mean hosts?') },
    });
    expect(await refused([poolTemplate({ providerSettings: {} })])).toMatchObject({
      details: { key: 'templates[0].providerSettings.hosts', reason: expect.stringMatching(/^is required/) },
    });
    expect(await refused([poolTemplate({ imageId: 'ami-1' })])).toMatchObject({
      details: { key: 'templates[0].imageId', reason: expect.stringContaining('providerApi StaticPool does not use it') },
    });
    expect(await refused([poolTemplate()], { PROVIDER_PLUGINS: ['./no-such-plugin.js'] })).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { key: 'PROVIDER_PLUGINS', reason: expect.stringContaining("cannot find plugin module './no-such-plugin.js'") },
    });
    const notAPlugin = join(mkdtempSync(join(tmpdir(), 'hf not a plugin ')), 'empty.cjs');
    writeFileSync(notAPlugin, 'module.exports = { something: 1 };\n');
    expect(await refused([poolTemplate()], { PROVIDER_PLUGINS: [notAPlugin] })).toMatchObject({
      details: { key: 'PROVIDER_PLUGINS', reason: expect.stringContaining('exports no providers') },
    });
    const clash = join(mkdtempSync(join(tmpdir(), 'hf clash ')), 'clash.cjs');
    writeFileSync(clash, "module.exports = { providers: [{ api: 'EC2Fleet', create() {} }] };\n");
    expect(await refused([poolTemplate()], { PROVIDER_PLUGINS: [plugin, clash] })).toMatchObject({
      details: { reason: expect.stringContaining("providerApi 'EC2Fleet' of plugin") },
    });
  });
});
