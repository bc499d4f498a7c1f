import 'reflect-metadata';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock, InMemoryCapacityProvider, StaticCapacityProviders, StaticInstanceTypeCatalog, aTemplate } from '@open-hostfactory/core/testing';
import { runCli } from '../cli';
import { runOperator } from './operator';
import { table } from './table';

/** hostfactory.sh in-process on a terminal (human tables), on a real SQLite file with a fake cloud. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'operator-'));
  const conf = join(root, 'conf');
  mkdirSync(conf);
  const template = aTemplate({ attributes: { type: ['String', 'X86_64'] } });
  writeFileSync(join(conf, 'awsprov_config.json'), JSON.stringify({ AWS_REGION: 'eu-west-1' }));
  writeFileSync(join(conf, 'awsprov_templates.json'), JSON.stringify({ templates: [{ ...template, subnetId: template.subnetIds }] }));
  const clock = new FixedClock(Date.UTC(2026, 0, 1));
  const overrides = {
    clock,
    capacityProviders: new StaticCapacityProviders([new InMemoryCapacityProvider({ clock })]),
    catalog: new StaticInstanceTypeCatalog([{ instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096 }]),
    validator: { prepare: async (t: typeof template) => t },
  };
  const env = {
    HF_PROVIDER_NAME: 'awsinst',
    HF_PROVIDER_CONFDIR: conf,
    HF_PROVIDER_WORKDIR: join(root, 'work'),
    HF_PROVIDER_LOGDIR: join(root, 'log'),
  };
  const run = async (argv: string[], isTTY = true) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOperator(argv, {
      env,
      cwd: root,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      isTTY,
      overrides,
      version: '9.9.9',
    });
    return { code, out: out.join(''), err: err.join('') };
  };
  const hfCall = async (argv: string[], input: unknown) => {
    const file = join(root, `in-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(input));
    const out: string[] = [];
    await runCli([...argv, '-f', file], { env, cwd: root, stdout: (t) => out.push(t), overrides });
    return JSON.parse(out.join('')) as { requestId: string };
  };
  return { run, hfCall, template };
}

describe('runOperator on a terminal', () => {
  it('prints tables: requests, machines, templates, config', async () => {
    const { run, hfCall, template } = setup();
    const { requestId } = await hfCall(['requestMachines'], { template: { templateId: template.templateId, machineCount: 1 } });
    const requests = await run(['requests', 'list']);
    expect(requests.code).toBe(0);
    const [header, row] = requests.out.trim().split('\n');
    expect(header).toMatch(/^REQUEST +KIND +TEMPLATE +STATUS +COUNT +CREATED +MESSAGE$/);
    expect(row).toMatch(new RegExp(`^${requestId} +acquire +${template.templateId} +(running|complete) +1 +2026-01-01T00:00:00Z`));
    expect((await run(['templates', 'list'])).out).toMatch(
      new RegExp(`^TEMPLATE +API +MAX +AVAILABLE +PROBLEM\\n${template.templateId} +RunInstances`),
    );
    const config = (await run(['config', 'show'])).out;
    expect(config).toMatch(/^KEY +VALUE +SOURCE\n/);
    expect(config).toMatch(/\nAWS_REGION +eu-west-1 +.*awsprov_config\.json \(AWS_REGION\)\n/);
    expect(config).toMatch(/\nAWS_REQUEST_RETRY_ATTEMPTS +3 +default\n/);
    expect((await run(['--version'])).out).toBe('9.9.9\n');
  });

  it('a failure on a terminal goes to stderr as one line; with --json to stdout as the error document', async () => {
    const { run } = setup();
    const human = await run(['requests', 'show', 'req-missing']);
    expect(human).toMatchObject({ code: 2, out: '' });
    expect(human.err).toBe('hostfactory: no request req-missing in the store\n');
    const json = await run(['requests', 'show', 'req-missing', '--json']);
    expect(JSON.parse(json.out).error).toMatchObject({ code: 'REQUEST_NOT_FOUND', details: { requestId: 'req-missing' } });
  });

  it('not a terminal: JSON without --json', async () => {
    const { run } = setup();
    expect(JSON.parse((await run(['machines', 'list'], false)).out)).toEqual({ machines: [] });
  });
});

describe('table', () => {
  it('aligns columns two spaces apart, without trailing blanks', () => {
    expect(
      table(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', ''],
          ['z', 'wwww', 'last'],
        ],
      ),
    ).toBe('A    BB    C\nxxx  y\nz    wwww  last');
  });
});
