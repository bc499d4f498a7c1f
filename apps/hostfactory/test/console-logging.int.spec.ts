// logging.console_enabled (the guide's key), through the real scripts: set, every log line also
// goes to stderr; unset, stderr stays quiet; either way stdout is exactly one JSON document.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, MOTO_AMI, type HfEnvironment } from './hf';

describe('logging.console_enabled', () => {
  let environment: HfEnvironment;
  let configPath: string;
  let env: Record<string, string>;
  let network: { subnetIds: string[]; securityGroupId: string };

  const writeConfig = (consoleEnabled: boolean | undefined): void =>
    writeFileSync(
      configPath,
      [
        'provider:',
        '  aws:',
        '    region: us-east-1',
        `    endpoint_url: ${motoEndpoint()}`,
        'logging:',
        '  level: info',
        ...(consoleEnabled === undefined ? [] : [`  console_enabled: ${consoleEnabled}`]),
        'templates:',
        '  - template_id: Console-Small',
        '    max_number: 2',
        '    attributes:',
        '      vm_type: t3.medium',
        '      ncpus: 2',
        '      nram: 4096',
        `    image_id: ${MOTO_AMI}`,
        '    subnet_ids:',
        ...network.subnetIds.map((s) => `      - ${s}`),
      ].join('\n'),
    );

  beforeAll(async () => {
    network = await hf.createNetwork(motoEndpoint());
    const root = mkdtempSync(join(tmpdir(), 'hf console '));
    environment = hf.hfEnvironment({ root, endpoint: motoEndpoint() });
    configPath = join(root, 'config.yml');
    env = { ...environment.env, CONFIG_PATH: configPath };
    delete env['LOG_STDERR'];
  });

  it('true: the log lines go to stderr as well as the log file, stdout stays one JSON document', async () => {
    writeConfig(true);
    const result = await hf.runScript('getAvailableTemplates', {}, env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).templates).toHaveLength(1);
    const lines = result.stderr.split('\n').filter((line) => line.trim().startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String) });
    const logFile = readFileSync(join(environment.logDir, `${env['HF_PROVIDER_NAME'] ?? 'awsinst'}-provider.log`), 'utf8');
    for (const line of lines) expect(logFile).toContain(line.trim());
  });

  it.each([[false], [undefined]])('%s: nothing is logged to stderr', async (setting) => {
    writeConfig(setting);
    const result = await hf.runScript('getAvailableTemplates', {}, env);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).templates).toHaveLength(1);
    expect(result.stderr.split('\n').filter((line) => line.trim().startsWith('{'))).toEqual([]);
  });

  it('a value that is not a boolean is refused, naming the key', async () => {
    writeFileSync(configPath, 'logging:\n  console_enabled: sometimes\n');
    const result = await hf.runScript('getAvailableTemplates', {}, env);
    expect(result.status).not.toBe(0);
    expect(result.json.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('logging.console_enabled') });
  });
});
