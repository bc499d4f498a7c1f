import 'reflect-metadata';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock, InMemoryCapacityProvider, StaticCapacityProviders, StaticInstanceTypeCatalog, aTemplate } from '@open-hostfactory/core/testing';
import { runCli } from './cli';

/** The CLI in-process on a real SQLite file and config files, with a fake cloud and clock. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'cli-'));
  const conf = join(root, 'conf');
  mkdirSync(conf);
  const template = aTemplate({ attributes: { type: ['String', 'X86_64'] } });
  writeFileSync(join(conf, 'awsprov_config.json'), JSON.stringify({ AWS_REGION: 'us-east-1', AWS_INSTANCE_PENDING_TIMEOUT_SEC: 60 }));
  writeFileSync(
    join(conf, 'awsprov_templates.json'),
    JSON.stringify({ templates: [{ ...template, subnetId: template.subnetIds, instanceTags: 'team=hpc' }] }),
  );
  const clock = new FixedClock(Date.UTC(2026, 0, 1));
  const cloud = new InMemoryCapacityProvider({ clock, launchLimit: 1 });
  const catalog = new StaticInstanceTypeCatalog([{ instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096 }]);
  const env = {
    HF_PROVIDER_NAME: 'awsinst',
    HF_PROVIDER_CONFDIR: conf,
    HF_PROVIDER_WORKDIR: join(root, 'work'),
    HF_PROVIDER_LOGDIR: join(root, 'log'),
  };
  const call = async (argv: string[], input?: unknown, flag: '-f' | '--file=' = '-f') => {
    const out: string[] = [];
    let args = argv;
    if (input !== undefined) {
      const file = join(root, `in-${Math.random()}.json`);
      writeFileSync(file, JSON.stringify(input, null, '\t'));
      args = flag === '-f' ? [...argv, '-f', file] : [...argv, `--file=${file}`];
    }
    const code = await runCli(args, {
      env,
      cwd: root,
      stdout: (text) => out.push(text),
      overrides: { clock, capacityProviders: new StaticCapacityProviders([cloud]), catalog, validator: { prepare: async (t) => t } },
    });
    expect(out).toHaveLength(1);
    return { code, json: JSON.parse(out[0] as string) };
  };
  return { call, clock, cloud, catalog };
}

describe('runCli', () => {
  it('rejects an unknown command, a missing -f and stray arguments with INVALID_INPUT', async () => {
    const { call } = setup();
    const unknown = await call(['launchRockets'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.json.error).toMatchObject({ code: 'INVALID_INPUT', details: { commands: expect.arrayContaining(['requestMachines']) } });
    expect((await call(['getRequestStatus'])).json.error.message).toContain('Missing -f');
    expect((await call(['getAvailableTemplates'])).code).toBe(0); // its input is {}: -f may be left out
    expect((await call(['getAvailableTemplates', 'extra'], {})).json.error.message).toContain("Unexpected argument 'extra'");
  });

  it('accepts --file=PATH as well as -f PATH', async () => {
    const { call } = setup();
    const first = await call(['getAvailableTemplates'], {}, '--file=');
    expect(first.code).toBe(0);
    expect(first.json.templates[0]).toMatchObject({ attributes: { ncpus: ['Numeric', '1'], nram: ['Numeric', '4096'] } });
  });

  it('instance-type facts are cached in the SQLite store across calls', async () => {
    const { call, catalog } = setup();
    await call(['getAvailableTemplates'], {});
    await call(['getAvailableTemplates'], {});
    expect(catalog.calls).toBe(1);
  });

  it('a stuck machine fails after the pending timeout, is terminated, and the request is topped up', async () => {
    const { call, clock, cloud } = setup();
    const made = await call(['requestMachines'], { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
    expect(made.code).toBe(0);
    const requests = { requests: [{ requestId: made.json.requestId }] };
    expect((await call(['getRequestStatus'], requests)).json.requests[0].status).toBe('running');
    clock.advance(61_000);
    const late = await call(['getRequestStatus'], requests);
    const [stuck, replacement] = late.json.requests[0].machines;
    expect(stuck).toMatchObject({ result: 'fail', message: expect.stringContaining('pending') });
    expect(replacement).toMatchObject({ result: 'executing' });
    expect(cloud.instances.get(stuck.machineId)?.observation.state).toBe('shutting-down');
    cloud.setState(replacement.machineId, 'running');
    const done = await call(['getRequestStatus'], requests);
    expect(done.json.requests[0].status).toBe('complete');
  });
});
