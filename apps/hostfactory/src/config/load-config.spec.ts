import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHostFactoryError, type HostFactoryError } from '@open-hostfactory/core';
import { loadConfig, toProviderSettings } from './load-config';

let root: string;
let confDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ohf-config-'));
  confDir = join(root, 'conf');
  mkdirSync(confDir);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: unknown): string {
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, undefined, 2));
  return path;
}

function ibmTemplate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    templateId: 'OnDemand-Small',
    maxNumber: 10,
    attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] },
    imageId: 'ami-0c02fb55956c7d316',
    subnetId: 'subnet-0abc1234def567890',
    vmType: 't3.medium',
    securityGroupIds: ['sg-0123456789abcdef0'],
    instanceTags: 'team=hpc;project=risk',
    ...overrides,
  };
}

function writeTemplates(templates: unknown[], name = 'awsprov_templates.json'): string {
  return write(join(confDir, name), { templates });
}

function load(env: Record<string, string | undefined> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ env: { HF_PROVIDER_CONFDIR: confDir, ...env }, cwd: root });
}

function loadError(env: Record<string, string | undefined> = {}): HostFactoryError {
  try {
    load(env);
  } catch (error) {
    if (isHostFactoryError(error)) return error;
    throw error;
  }
  throw new Error('loadConfig did not throw');
}

describe('loadConfig: defaults and directories', () => {
  it('applies the built-in defaults', () => {
    writeTemplates([ibmTemplate()]);
    const config = load();
    expect(config.providerName).toBe('awsinst');
    expect(config.confDir).toBe(confDir);
    expect(config.workDir).toBe(join(root, '.hostfactory', 'work'));
    expect(config.logDir).toBe(join(root, '.hostfactory', 'work', 'logs'));
    expect(config.provider).toEqual({
      region: 'us-east-1',
      connectionTimeoutMs: 10000,
      maxRetries: 3,
      credentialRenewMarginSec: 1770,
      unavailableCapacityTtlSec: 180,
      bootstrapFailureLimit: 10,
      bootstrapCoolOffSec: 900,
      describeRetryAttempts: 3,
      describeIntervalMs: 0,
      pendingTimeoutSec: 180,
      capacityTimeoutSec: 600,
      maxFailedLaunchAttempts: 3,
      actionTimeoutSec: 300,
      orphanTimeoutSec: 300,
      orphanAction: 'terminate',
      orphanGraceSec: 300,
      orphanSweepIntervalSec: 60,
      returnTimeoutSec: 600,
      egoDefineNcpus: 'cores',
      spotTerminateOnReclaim: false,
    });
    expect(config.storage).toEqual({
      type: 'sqlite',
      path: config.workDir,
      retentionDays: 30,
      dynamodb: { tablePrefix: 'hostfactory', region: 'us-east-1', backupEnabled: false },
    });
    expect(config.logging).toEqual({
      level: 'info',
      filePath: join(config.logDir, 'awsinst-provider.log'),
      maxSize: 10 * 1024 * 1024,
      backupCount: 5,
      stderr: false,
    });
    expect(config.caching).toEqual({ enabled: true, instanceTypesTtlSec: 86400, templateCheckTtlSec: 3600 });
    expect(toProviderSettings(config)).toEqual({
      providerName: 'awsinst',
      pendingTimeoutSec: 180,
      bootstrapFailureLimit: 10,
      bootstrapCoolOffSec: 900,
      maxFailedLaunchAttempts: 3,
      capacityTimeoutSec: 600,
      catalogCacheTtlSec: 86400,
      launchLeaseSec: 300,
      orphanTimeoutSec: 300,
      orphanAction: 'terminate',
      orphanGraceSec: 300,
      orphanSweepIntervalSec: 60,
      returnTimeoutSec: 600,
      retentionDays: 30,
      cpuCounting: 'cores',
    });
  });

  it('reads EGO_DEFINE_NCPUS (IBM name or the guide path, any case) and refuses what EGO does not know', () => {
    writeTemplates([ibmTemplate()]);
    write(join(confDir, 'awsprov_config.json'), { EGO_DEFINE_NCPUS: 'Threads' });
    expect(toProviderSettings(load()).cpuCounting).toBe('threads');
    write(join(confDir, 'awsprov_config.json'), { EGO_DEFINE_NCPUS: 'sockets' });
    expect(loadError().message).toMatch(/EGO_DEFINE_NCPUS: unknown EGO_DEFINE_NCPUS 'sockets' \(procs\|cores\|threads\)/);
  });

  it('reads the orphan and return settings from IBM names, the guide YAML and HF_PROVIDER_ACTION_TIMEOUT', () => {
    write(join(confDir, 'awsprov_config.json'), {
      AWS_ORPHAN_TIMEOUT_SEC: 120,
      AWS_ORPHAN_ACTION: 'Report',
      AWS_ORPHAN_GRACE_SEC: 0,
      AWS_ORPHAN_SWEEP_INTERVAL_SEC: 30,
      AWS_RETURN_TIMEOUT_SEC: 900,
    });
    writeTemplates([ibmTemplate()]);
    const ibm = toProviderSettings(load({ HF_PROVIDER_ACTION_TIMEOUT: '240' }));
    expect(ibm).toMatchObject({
      orphanTimeoutSec: 120,
      orphanAction: 'report',
      orphanGraceSec: 0,
      orphanSweepIntervalSec: 30,
      returnTimeoutSec: 900,
      launchLeaseSec: 240,
    });
    rmSync(join(confDir, 'awsprov_config.json'));
    writeFileSync(
      join(confDir, 'config.yml'),
      'provider:\n  orphan_timeout: 600\n  orphan_action: terminate\n  orphan_grace: 60\n  orphan_sweep_interval: 90\n  return_timeout: 300\n',
    );
    expect(toProviderSettings(load())).toMatchObject({
      orphanTimeoutSec: 600,
      orphanAction: 'terminate',
      orphanGraceSec: 60,
      orphanSweepIntervalSec: 90,
      returnTimeoutSec: 300,
    });
  });

  it.each([
    ['AWS_ORPHAN_ACTION', 'kill', 'orphan action'],
    ['AWS_ORPHAN_TIMEOUT_SEC', 0, 'integer >= 1'],
    ['AWS_ORPHAN_GRACE_SEC', -1, 'integer >= 0'],
    ['AWS_RETURN_TIMEOUT_SEC', 'soon', 'integer >= 1'],
  ])('refuses %s = %j naming the file and key', (key, value, why) => {
    write(join(confDir, 'awsprov_config.json'), { [key]: value });
    writeTemplates([ibmTemplate()]);
    expect(() => load()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(key) }));
    expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(why) }));
  });

  it.each([
    ['AWS_ENDPOINT_URL', 'localhost:5000', 'http:// or https:// URL'],
    ['AWS_ENDPOINT_URL', 'ftp://127.0.0.1', 'http:// or https:// URL'],
    ['AWS_EVENTS_QUEUE_URL', 'queue-name', 'http:// or https:// URL'],
    ['AWS_REGION', 'us_east_1', 'AWS region name'],
    ['AWS_REGION', 'Europe', 'AWS region name'],
  ])('refuses %s = %j when the config loads, naming the key', (key, value, why) => {
    write(join(confDir, 'awsprov_config.json'), { [key]: value });
    writeTemplates([ibmTemplate()]);
    expect(() => load()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${key}: must be`) }));
    expect(() => load()).toThrow(expect.objectContaining({ message: expect.stringContaining(why) }));
  });

  it.each(['../evil', 'a/b', 'a\\b', '..', 'x'.repeat(65), 'a#b', 'tab\there'])(
    'refuses the provider name %j (it names files and store keys)',
    (name) => {
      writeTemplates([ibmTemplate()]);
      expect(() => load({ HF_PROVIDER_NAME: name })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('HF_PROVIDER_NAME: must be 1-64 characters') }),
      );
    },
  );

  it('accepts provider names with spaces and dots', () => {
    writeTemplates([ibmTemplate()]);
    expect(load({ HF_PROVIDER_NAME: 'aws guide.v2' }).providerName).toBe('aws guide.v2');
  });

  it('reads template settings the guide writes under attributes; [kind, value] pairs stay HF attributes', () => {
    writeFileSync(
      join(confDir, 'config.yml'),
      [
        'templates:',
        '  - template_id: G',
        '    max_number: 2',
        '    image_id: ami-top',
        '    attributes:',
        '      vm_type: t3.small',
        '      image_id: ami-under',
        '      subnet_ids: [subnet-1, subnet-2]',
        '      security_group_ids: sg-1',
        '      key_name: ops',
        '      zone: ["String", "a"]',
        '      ncpus: 2',
      ].join('\n'),
    );
    const [template] = load().templates;
    expect(template).toMatchObject({
      vmType: 't3.small',
      imageId: 'ami-top', // the template-level setting wins
      subnetIds: ['subnet-1', 'subnet-2'],
      securityGroupIds: ['sg-1'],
      keyName: 'ops',
    });
    expect(template?.attributes).toEqual({ zone: ['String', 'a'], ncpus: ['Numeric', '2'] });
  });

  it('reads a config file that starts with a UTF-8 byte order mark', () => {
    writeFileSync(join(confDir, 'awsprov_config.json'), `\uFEFF${JSON.stringify({ AWS_REGION: 'eu-west-1' })}`);
    writeFileSync(join(confDir, 'awsprov_templates.json'), `\uFEFF${JSON.stringify({ templates: [ibmTemplate()] })}`);
    writeFileSync(join(confDir, 'config.yml'), '\uFEFFlogging:\n  level: warn\n');
    const config = load();
    expect(config.provider.region).toBe('eu-west-1');
    expect(config.logging.level).toBe('warn');
    expect(config.templates).toHaveLength(1);
  });

  it('takes the action timeout from HF_PROVIDER_ACTION_TIMEOUT, else from the file, else 300', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_ACTION_TIMEOUT_SEC: 120 });
    writeTemplates([ibmTemplate()]);
    expect(load().provider.actionTimeoutSec).toBe(120);
    expect(toProviderSettings(load()).launchLeaseSec).toBe(120);
    expect(load({ HF_PROVIDER_ACTION_TIMEOUT: '240' }).provider.actionTimeoutSec).toBe(240);
    rmSync(join(confDir, 'awsprov_config.json'));
    writeFileSync(join(confDir, 'config.yml'), 'provider:\n  action_timeout: 90\n');
    expect(load().provider.actionTimeoutSec).toBe(90);
    rmSync(join(confDir, 'config.yml'));
    expect(load().provider.actionTimeoutSec).toBe(300);
  });

  it('caching.enabled: false turns both caches off, whatever their TTLs say', () => {
    writeTemplates([ibmTemplate()]);
    writeFileSync(join(confDir, 'config.yml'), 'caching:\n  enabled: false\n  ttl: 600\n  template_cache_ttl: 60\n');
    expect(load().caching).toEqual({ enabled: false, instanceTypesTtlSec: 0, templateCheckTtlSec: 0 });
    expect(toProviderSettings(load()).catalogCacheTtlSec).toBe(0);
    writeFileSync(join(confDir, 'config.yml'), 'caching:\n  enabled: true\n  template_cache_ttl: 60\n');
    expect(load().caching).toEqual({ enabled: true, instanceTypesTtlSec: 86400, templateCheckTtlSec: 60 });
    writeFileSync(join(confDir, 'config.yml'), 'caching:\n  enabled: maybe\n');
    expect(() => load()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('caching.enabled') }));
  });

  it('refuses a negative AWS_TEMPLATE_CHECK_CACHE_TTL_SEC, naming the key', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_TEMPLATE_CHECK_CACHE_TTL_SEC: -5 });
    writeTemplates([ibmTemplate()]);
    expect(() => load()).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('AWS_TEMPLATE_CHECK_CACHE_TTL_SEC') }),
    );
  });

  it('refuses an AWS_ACTION_TIMEOUT_SEC below one second, naming the key', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_ACTION_TIMEOUT_SEC: 0 });
    writeTemplates([ibmTemplate()]);
    expect(() => load()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('AWS_ACTION_TIMEOUT_SEC') }));
  });

  it('refuses an HF_PROVIDER_ACTION_TIMEOUT that is not a whole number of seconds', () => {
    writeTemplates([ibmTemplate()]);
    expect(() => load({ HF_PROVIDER_ACTION_TIMEOUT: '4m' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('HF_PROVIDER_ACTION_TIMEOUT') }),
    );
  });

  it('derives the provider dirs from HF_CONFDIR, HF_WORKDIR and HF_LOGDIR', () => {
    const hfConf = join(root, 'hfconf');
    const providerConf = join(hfConf, 'providers', 'aws-east');
    mkdirSync(providerConf, { recursive: true });
    write(join(providerConf, 'awsprov_templates.json'), { templates: [ibmTemplate()] });
    const config = loadConfig({
      env: { HF_PROVIDER_NAME: 'aws-east', HF_CONFDIR: hfConf, HF_WORKDIR: join(root, 'hfwork'), HF_LOGDIR: join(root, 'hflog') },
      cwd: root,
    });
    expect(config.providerName).toBe('aws-east');
    expect(config.confDir).toBe(providerConf);
    expect(config.workDir).toBe(join(root, 'hfwork', 'providers', 'aws-east'));
    expect(config.logDir).toBe(join(root, 'hflog'));
    expect(config.logging.filePath).toBe(join(root, 'hflog', 'aws-east-provider.log'));
  });

  it('prefers the HF_PROVIDER_* dirs over the HF_* ones', () => {
    writeTemplates([ibmTemplate()]);
    const config = load({
      HF_CONFDIR: join(root, 'elsewhere'),
      HF_WORKDIR: join(root, 'w1'),
      HF_PROVIDER_WORKDIR: join(root, 'w2'),
      HF_LOGDIR: join(root, 'l1'),
      HF_PROVIDER_LOGDIR: 'l2',
    });
    expect(config.confDir).toBe(confDir);
    expect(config.workDir).toBe(join(root, 'w2'));
    expect(config.logDir).toBe(join(root, 'l2'));
  });

  it('uses HF_PROVIDER_NAME over PROVIDER_NAME', () => {
    writeTemplates([ibmTemplate()]);
    expect(load({ PROVIDER_NAME: 'guide' }).providerName).toBe('guide');
    expect(load({ PROVIDER_NAME: 'guide', HF_PROVIDER_NAME: 'hf' }).providerName).toBe('hf');
  });
});

describe('loadConfig: IBM files', () => {
  it('reads the generic awsprov_* files', () => {
    write(join(confDir, 'awsprov_config.json'), {
      AWS_REGION: 'eu-west-1',
      AWS_CREDENTIAL_FILE: 'credentials',
      AWS_PROXY_HOST: 'proxy.local',
      AWS_PROXY_PORT: 3128,
      AWS_CONNECTION_TIMEOUT_MS: 5000,
      AWS_REQUEST_RETRY_ATTEMPTS: 5,
      AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS: 4,
      AWS_DESCRIBE_REQUEST_INTERVAL: 250,
      AWS_INSTANCE_PENDING_TIMEOUT_SEC: 300,
      AWS_SPOT_TERMINATE_ON_RECLAIM: true,
      LogLevel: 'DEBUG',
    });
    writeTemplates([ibmTemplate()]);
    const config = load();
    expect(config.provider).toMatchObject({
      region: 'eu-west-1',
      credentialFile: join(confDir, 'credentials'),
      proxyHost: 'proxy.local',
      proxyPort: 3128,
      connectionTimeoutMs: 5000,
      maxRetries: 5,
      describeRetryAttempts: 4,
      describeIntervalMs: 250,
      pendingTimeoutSec: 300,
      spotTerminateOnReclaim: true,
    });
    expect(config.logging.level).toBe('debug');
    expect(config.templates).toEqual([
      {
        templateId: 'OnDemand-Small',
        maxNumber: 10,
        attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] },
        imageId: 'ami-0c02fb55956c7d316',
        subnetIds: ['subnet-0abc1234def567890'],
        vmType: 't3.medium',
        priceType: 'ondemand',
        providerApi: 'RunInstances',
        securityGroupIds: ['sg-0123456789abcdef0'],
        instanceTags: { team: 'hpc', project: 'risk' },
      },
    ]);
  });

  it('prefers the instance-specific <name>prov_* files over the generic ones', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_REGION: 'eu-west-1' });
    write(join(confDir, 'aws-westprov_config.json'), { AWS_REGION: 'us-west-2' });
    writeTemplates([ibmTemplate({ templateId: 'Generic' })]);
    writeTemplates([ibmTemplate({ templateId: 'Specific' })], 'aws-westprov_templates.json');
    const config = load({ HF_PROVIDER_NAME: 'aws-west' });
    expect(config.provider.region).toBe('us-west-2');
    expect(config.templates.map((t) => t.templateId)).toEqual(['Specific']);
  });

  it('normalises IBM template fields', () => {
    const userData = write(join(confDir, 'boot.sh'), '#!/bin/sh\necho hi\n');
    writeTemplates([
      ibmTemplate({
        subnetId: 'subnet-a, subnet-b',
        vmType: undefined,
        vmTypes: { 'm5.large': 1, 'm5a.large': 2 },
        priceType: 'Spot',
        providerApi: 'ec2fleet',
        fleetType: 'instant',
        launchTemplateVersion: 3,
        userDataScript: 'boot.sh',
        maxSpotPrice: 0.2,
        allocationStrategy: 'capacityOptimized',
      }),
    ]);
    const [template] = load().templates;
    expect(template).toMatchObject({
      subnetIds: ['subnet-a', 'subnet-b'],
      vmType: 'm5.large',
      vmTypes: { 'm5.large': 1, 'm5a.large': 2 },
      priceType: 'spot',
      providerApi: 'EC2Fleet',
      fleetType: 'instant',
      launchTemplateVersion: '3',
      userData: '#!/bin/sh\necho hi\n',
      maxSpotPrice: 0.2,
      allocationStrategy: 'capacityOptimized',
    });
    expect(userData).toContain('boot.sh');
  });

  it('allows a launch template to stand in for image, type and subnets', () => {
    writeTemplates([
      { templateId: 'FromLt', maxNumber: -1, attributes: {}, launchTemplateId: 'lt-0123456789abcdef0', launchTemplateVersion: '$Latest' },
    ]);
    expect(load().templates[0]).toMatchObject({ templateId: 'FromLt', maxNumber: -1, imageId: '', subnetIds: [] });
  });
});

describe('loadConfig: guide dialect', () => {
  const guideYaml = `
provider:
  aws:
    region: ap-southeast-2
    profile: hf
    max_retries: 7
    timeout: 30
    connection_pool_size: 20
  capacity_timeout: 900
  max_failed_launch_attempts: 5
storage:
  type: sqlite
  sqlite:
    path: db/state.db
logging:
  level: warning
  file_path: custom.log
  max_size: 2MB
  backup_count: 2
caching:
  ttl: 3600
  template_cache_ttl: 120
templates:
  - template_id: Guide-1
    max_number: 4
    attributes:
      vm_type: c5.large
      ncpus: 2
      nram: "4096"
      gpu: false
      zone: a
      type: [String, X86_64]
    image_id: ami-0123456789abcdef0
    subnet_ids: [subnet-1, subnet-2]
    security_group_ids: sg-1
    key_name: key
    instance_tags:
      team: hpc
      cost: 42
    price_type: spot
    provider_api: RunInstances
`;

  it('reads a YAML CONFIG_PATH and normalises snake_case templates and plain attributes', () => {
    const file = write(join(root, 'hf.yaml'), guideYaml);
    const config = loadConfig({ env: { CONFIG_PATH: file }, cwd: root });
    expect(config.confDir).toBeUndefined();
    expect(config.provider).toMatchObject({
      region: 'ap-southeast-2',
      profile: 'hf',
      maxRetries: 7,
      connectionTimeoutMs: 30000,
      connectionPoolSize: 20,
      capacityTimeoutSec: 900,
      maxFailedLaunchAttempts: 5,
    });
    expect(config.storage.path).toBe(join(config.workDir, 'db', 'state.db'));
    expect(config.logging).toEqual({
      level: 'warn',
      filePath: join(config.logDir, 'custom.log'),
      maxSize: 2 * 1024 * 1024,
      backupCount: 2,
      stderr: false,
    });
    expect(config.caching).toEqual({ enabled: true, instanceTypesTtlSec: 3600, templateCheckTtlSec: 120 });
    expect(config.templates).toEqual([
      {
        templateId: 'Guide-1',
        maxNumber: 4,
        attributes: {
          ncpus: ['Numeric', '2'],
          nram: ['Numeric', '4096'],
          gpu: ['Boolean', 'false'],
          zone: ['String', 'a'],
          type: ['String', 'X86_64'],
        },
        vmType: 'c5.large',
        imageId: 'ami-0123456789abcdef0',
        subnetIds: ['subnet-1', 'subnet-2'],
        securityGroupIds: ['sg-1'],
        keyName: 'key',
        instanceTags: { team: 'hpc', cost: '42' },
        priceType: 'spot',
        providerApi: 'RunInstances',
      },
    ]);
  });

  it('reads a JSON CONFIG_PATH relative to cwd', () => {
    write(join(root, 'hf.json'), {
      provider: { aws: { region: 'ca-central-1' } },
      templates: [{ template_id: 'J', max_number: 1, image_id: 'ami-1', subnet_ids: ['subnet-1'], attributes: { vm_type: 't3.small' } }],
    });
    const config = loadConfig({ env: { CONFIG_PATH: 'hf.json' }, cwd: root });
    expect(config.provider.region).toBe('ca-central-1');
    expect(config.templates[0]).toMatchObject({ templateId: 'J', vmType: 't3.small', attributes: {} });
  });

  it('reads config.yml from the provider config dir', () => {
    write(join(confDir, 'config.yml'), guideYaml);
    expect(load().templates.map((t) => t.templateId)).toEqual(['Guide-1']);
  });
});

describe('loadConfig: precedence', () => {
  it('lets each layer override the one below: defaults < IBM config < config dir YAML < CONFIG_PATH < environment', () => {
    write(join(confDir, 'awsprov_config.json'), {
      AWS_REGION: 'eu-west-1',
      AWS_PROFILE: 'p-ibm',
      AWS_REQUEST_RETRY_ATTEMPTS: 1,
      AWS_CONNECTION_TIMEOUT_MS: 1000,
      AWS_INSTANCE_PENDING_TIMEOUT_SEC: 100,
      LogLevel: 'ERROR',
    });
    writeTemplates([ibmTemplate()]);
    write(
      join(confDir, 'config.yml'),
      'provider:\n  aws:\n    region: eu-west-2\n    profile: p-dir\n    max_retries: 2\n    timeout: 2\nlogging:\n  level: warn\n',
    );
    const configPath = write(
      join(root, 'override.yaml'),
      'provider:\n  aws:\n    region: eu-west-3\n    profile: p-path\n    max_retries: 4\nlogging:\n  level: info\n',
    );
    const config = load({ CONFIG_PATH: configPath, AWS_REGION: 'eu-north-1', LOG_LEVEL: 'debug' });
    expect(config.provider.region).toBe('eu-north-1'); // environment
    expect(config.logging.level).toBe('debug'); // environment
    expect(config.provider.profile).toBe('p-path'); // CONFIG_PATH
    expect(config.provider.maxRetries).toBe(4); // CONFIG_PATH
    expect(config.provider.connectionTimeoutMs).toBe(2000); // config dir YAML
    expect(config.provider.pendingTimeoutSec).toBe(100); // IBM config
    expect(config.provider.describeRetryAttempts).toBe(3); // default
  });

  it('lets AWS_PROFILE and AWS_ENDPOINT_URL from the environment win', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_PROFILE: 'file', AWS_ENDPOINT_URL: 'http://file' });
    writeTemplates([ibmTemplate()]);
    const config = load({ AWS_PROFILE: 'env', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' });
    expect(config.provider.profile).toBe('env');
    expect(config.provider.endpointUrl).toBe('http://127.0.0.1:5000');
  });

  it.each([
    ['a heterogeneous ASG template without percentOnDemand', { priceType: 'Heterogeneous', providerApi: 'ASG' }, 'percentOnDemand'],
    ['percentOnDemand on a RunInstances spot template', { priceType: 'spot', percentOnDemand: 20 }, 'percentOnDemand'],
    ['percentOnDemand on an ondemand template', { providerApi: 'EC2Fleet', percentOnDemand: 20 }, 'percentOnDemand'],
    ['vmTypesPriority on a RunInstances template', { vmTypesPriority: { 't3.medium': 0 } }, 'vmTypesPriority'],
    [
      'vmTypesPriority naming a type the template does not launch',
      { providerApi: 'EC2Fleet', vmTypesPriority: { 'c5.large': 0 } },
      'vmTypesPriority',
    ],
    ['vmTypesPriority with a fractional priority', { providerApi: 'EC2Fleet', vmTypesPriority: { 't3.medium': 0.5 } }, 'vmTypesPriority'],
    ['instanceRequirements on RunInstances', { instanceRequirements: { vCpuCount: { min: 2 }, memoryMiB: { min: 1024 } } }, 'instanceRequirements'],
    ['instanceRequirements without memoryMiB', { providerApi: 'EC2Fleet', instanceRequirements: { vCpuCount: { min: 2 } } }, 'instanceRequirements'],
    [
      'instanceRequirements with an unknown field',
      { providerApi: 'EC2Fleet', instanceRequirements: { vCpuCount: { min: 2 }, memoryMiB: { min: 1 }, cores: 4 } },
      'instanceRequirements',
    ],
    ['two reservation targets', { capacityReservationId: 'cr-01', capacityBlockId: 'cr-02' }, 'capacityReservationId'],
    ['a reservation on a spot template', { priceType: 'spot', capacityReservationId: 'cr-01' }, 'capacityReservationId'],
    ['a malformed reservation id', { capacityReservationId: 'res-1' }, 'capacityReservationId'],
    ['preference none beside a target', { capacityReservationId: 'cr-01', capacityReservationPreference: 'none' }, 'capacityReservationPreference'],
    ['an unknown reservation preference', { capacityReservationPreference: 'sometimes' }, 'capacityReservationPreference'],
    [
      'a Capacity Block on a Spot Fleet',
      { providerApi: 'SpotFleet', fleetRole: 'arn:aws:iam::1:role/r', capacityBlockId: 'cr-01' },
      'capacityBlockId',
    ],
    ["LSF's ec2FleetConfig (an EC2 Fleet request file)", { ec2FleetConfig: '/opt/lsf/fleet.json' }, 'ec2FleetConfig'],
    ['vmTypesOnDemand on a spot template', { priceType: 'spot', providerApi: 'EC2Fleet', vmTypesOnDemand: { 'm5.large': 1 } }, 'vmTypesOnDemand'],
    [
      'vmTypesOnDemand on a heterogeneous ASG template',
      { priceType: 'heterogeneous', providerApi: 'ASG', percentOnDemand: 10, vmTypesOnDemand: { 'm5.large': 1 } },
      'vmTypesOnDemand',
    ],
    [
      'vmTypesOnDemand weighing a type unlike vmTypes',
      { priceType: 'heterogeneous', providerApi: 'EC2Fleet', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 }, vmTypesOnDemand: { 'm5.xlarge': 4 } },
      'vmTypesOnDemand',
    ],
    ['a Spot Fleet template without fleetRole', { providerApi: 'SpotFleet', fleetType: 'request' }, 'fleetRole'],
  ])('refuses %s, naming the key', (_name, fields, key) => {
    writeTemplates([ibmTemplate(fields)]);
    expect(() => load({})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`templates[0].${key}`) }));
  });

  it('reads the EventBridge notices queue from either dialect', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_EVENTS_QUEUE_URL: 'http://127.0.0.1:5000/123456789012/hf-events' });
    writeTemplates([ibmTemplate()]);
    expect(load({}).provider.eventsQueueUrl).toBe('http://127.0.0.1:5000/123456789012/hf-events');
    const guide = write(join(root, 'guide.yml'), 'provider:\n  aws:\n    events_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n');
    expect(load({ CONFIG_PATH: guide }).provider.eventsQueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/1/q');
  });

  it('replaces templates of the same id in place and appends new ones after', () => {
    writeTemplates([ibmTemplate({ templateId: 'A' }), ibmTemplate({ templateId: 'B', maxNumber: 1 }), ibmTemplate({ templateId: 'C' })]);
    write(
      join(confDir, 'config.yml'),
      [
        'templates:',
        '  - {template_id: D, max_number: 1, image_id: ami-1, subnet_ids: [s-1], attributes: {vm_type: t3.micro}}',
        '  - {template_id: B, max_number: 99, image_id: ami-1, subnet_ids: [s-1], attributes: {vm_type: t3.micro}}',
      ].join('\n'),
    );
    const config = load();
    expect(config.templates.map((t) => [t.templateId, t.maxNumber])).toEqual([
      ['A', 10],
      ['B', 99],
      ['C', 10],
      ['D', 1],
    ]);
  });

  it('does not read the same file twice when CONFIG_PATH names the config dir file', () => {
    const file = write(
      join(confDir, 'config.yml'),
      'templates:\n  - {template_id: A, max_number: 1, image_id: ami-1, subnet_ids: [s-1], vm_type: t3.micro}\n',
    );
    expect(load({ CONFIG_PATH: file }).templates).toHaveLength(1);
  });

  it('treats empty environment variables as unset', () => {
    writeTemplates([ibmTemplate()]);
    const config = load({ AWS_REGION: '', LOG_LEVEL: ' ', HF_PROVIDER_NAME: '' });
    expect(config.provider.region).toBe('us-east-1');
    expect(config.logging.level).toBe('info');
    expect(config.providerName).toBe('awsinst');
  });
});

describe('loadConfig: validation errors name the file, the key and the reason', () => {
  function expectConfigError(error: HostFactoryError, file: string, key: string | undefined, reason: RegExp): void {
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details).toMatchObject({ file, key });
    expect(String(error.details['reason'])).toMatch(reason);
    expect(error.message).toContain(file);
    if (key) expect(error.message).toContain(key);
    expect(error.message).toMatch(reason);
  }

  it('reports malformed JSON with its line and column', () => {
    const file = write(join(confDir, 'awsprov_templates.json'), '{\n  "templates": [\n    {"templateId": "A",,}\n  ]\n}');
    const error = loadError();
    expectConfigError(error, file, undefined, /malformed JSON at line 3 column 24/);
    expect(error.details).toMatchObject({ line: 3, column: 24 });
  });

  it('reports malformed YAML with its line and column', () => {
    writeTemplates([ibmTemplate()]);
    const file = write(join(confDir, 'config.yaml'), 'provider:\n  aws:\n    region: [us-east-1\nlogging: {\n');
    const error = loadError();
    expectConfigError(error, file, undefined, /malformed YAML at line \d+ column \d+/);
    expect(error.details['line']).toEqual(expect.any(Number));
  });

  it('reports a top level that is not an object', () => {
    const file = write(join(confDir, 'awsprov_config.json'), '[1, 2]');
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError(), file, undefined, /must hold an object/);
  });

  it('reports wrong types in provider settings', () => {
    const file = write(join(confDir, 'awsprov_config.json'), { AWS_CONNECTION_TIMEOUT_MS: 'soon' });
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError(), file, 'AWS_CONNECTION_TIMEOUT_MS', /must be an integer >= 1/);
  });

  it('reports out-of-range retry attempts', () => {
    const file = write(join(confDir, 'config.yml'), 'provider:\n  aws:\n    max_retries: 11\n');
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError(), file, 'provider.aws.max_retries', /must be an integer from 0 to 10/);
  });

  it('reports an unknown log level from the environment', () => {
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError({ LOG_LEVEL: 'loud' }), 'environment', 'LOG_LEVEL', /unknown log level 'loud' \(debug\|info\|warn\|error\)/);
  });

  it('reports a bad log size', () => {
    const file = write(join(confDir, 'config.yml'), 'logging:\n  max_size: lots\n');
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError(), file, 'logging.max_size', /must be an integer >= 1/);
  });

  it('reads DynamoDB storage from the guide dialect, defaulting region and endpoint to the provider', () => {
    writeTemplates([ibmTemplate()]);
    write(join(confDir, 'awsprov_config.json'), { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' });
    write(join(confDir, 'config.yml'), 'storage:\n  type: DynamoDB\n  dynamodb:\n    table_prefix: hf-prod\n    backup_enabled: true\n');
    expect(load({}).storage).toMatchObject({
      type: 'dynamodb',
      dynamodb: { tablePrefix: 'hf-prod', region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:5000', backupEnabled: true },
    });
  });

  it('refuses an unknown storage type and a bad retention, naming the key', () => {
    writeTemplates([ibmTemplate()]);
    const file = write(join(confDir, 'config.yml'), 'storage:\n  type: redis\n');
    expectConfigError(loadError(), file, 'storage.type', /sqlite|dynamodb/);
    write(join(confDir, 'config.yml'), 'storage:\n  type: dynamodb\n  dynamodb:\n    retention_days: 0\n');
    expect(() => load({})).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('storage.dynamodb.retention_days') }),
    );
  });

  it('reports an unknown storage type', () => {
    const file = write(join(confDir, 'config.yml'), 'storage:\n  type: postgres\n');
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError(), file, 'storage.type', /unknown storage type 'postgres' \(sqlite\|dynamodb\)/);
  });

  it('reports a template field of the wrong type', () => {
    const file = writeTemplates([ibmTemplate(), ibmTemplate({ templateId: 'B', maxNumber: '10' })]);
    expectConfigError(loadError(), file, 'templates[1].maxNumber', /must be an integer >= -1/);
  });

  it('reports maxNumber -5', () => {
    const file = writeTemplates([ibmTemplate({ maxNumber: -5 })]);
    expectConfigError(loadError(), file, 'templates[0].maxNumber', /must be an integer >= -1/);
  });

  it('reports an unknown priceType', () => {
    const file = writeTemplates([ibmTemplate({ priceType: 'cheap' })]);
    expectConfigError(loadError(), file, 'templates[0].priceType', /unknown priceType 'cheap' \(ondemand\|spot\|heterogeneous\)/);
  });

  it('reports an unknown providerApi', () => {
    const file = writeTemplates([ibmTemplate({ providerApi: 'Magic' })]);
    expectConfigError(
      loadError(),
      file,
      'templates[0].providerApi',
      /unknown providerApi 'Magic' \(RunInstances\|EC2Fleet\|SpotFleet\|ASG; a plugin in PROVIDER_PLUGINS registers others\)/,
    );
  });

  it('refuses a template key no provider knows, suggesting the near one; notices IBM keys it does not honour', () => {
    const file = writeTemplates([ibmTemplate({ subnetld: 'subnet-1' })]);
    expectConfigError(loadError(), file, 'templates[0].subnetld', /unknown template key \(did you mean subnetId\?\)/);
    writeTemplates([ibmTemplate({ ebsOptimized: true })]);
    expect(load().notices).toEqual([expect.stringMatching(/templates\[0\]\.ebsOptimized is not supported and has no effect/)]);
  });

  it('reads an IBM heterogeneous Spot Fleet template as IBM does: providerApi SpotFleet, vmTypesOnDemand, no percentOnDemand needed', () => {
    const fleetRole = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';
    writeTemplates([
      ibmTemplate({
        templateId: 'Hetero',
        vmType: undefined,
        vmTypes: { 't2.medium': 1, 'a1.xlarge': 2 },
        vmTypesOnDemand: { 't2.medium': 1 },
        vmTypesPriority: { 'a1.xlarge': 0, 't2.medium': 1 },
        priceType: 'heterogeneous',
        fleetRole,
        spotFleetRequestExpiry: 40,
      }),
      ibmTemplate({ templateId: 'Spot', priceType: 'spot', fleetRole, percentOnDemand: 20 }),
      ibmTemplate({ templateId: 'Plain-Spot', priceType: 'spot' }),
    ]);
    const [hetero, spot, plain] = load().templates;
    expect(hetero).toMatchObject({
      providerApi: 'SpotFleet',
      priceType: 'heterogeneous',
      vmTypesOnDemand: { 't2.medium': 1 },
      spotFleetRequestExpiry: 40,
    });
    expect(hetero?.percentOnDemand).toBeUndefined();
    expect(spot).toMatchObject({ providerApi: 'SpotFleet', percentOnDemand: 20 });
    expect(plain?.providerApi).toBe('RunInstances');
  });

  it('reads AWS_CREDENTIAL_SCRIPT relative to its file, refuses one that is not an executable file, and notices AWS_CREDENTIAL_FILE beside it', () => {
    const script = join(confDir, 'creds.sh');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o755);
    write(join(confDir, 'awsprov_config.json'), {
      AWS_CREDENTIAL_SCRIPT: './creds.sh',
      AWS_CREDENTIAL_RENEW_MARGIN: 60,
      AWS_CREDENTIAL_FILE: './creds',
    });
    writeTemplates([ibmTemplate()]);
    const config = load({});
    expect(config.provider).toMatchObject({ credentialScript: script, credentialRenewMarginSec: 60 });
    expect(config.notices).toEqual([expect.stringMatching(/AWS_CREDENTIAL_SCRIPT and AWS_CREDENTIAL_FILE are both set: the script is used/)]);
    chmodSync(script, 0o644);
    expect(() => load({})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('AWS_CREDENTIAL_SCRIPT') }));
    write(join(confDir, 'awsprov_config.json'), {});
    expect(load({}).provider.credentialRenewMarginSec).toBe(1770);
  });

  it('reports a duplicate templateId', () => {
    const file = writeTemplates([ibmTemplate({ templateId: 'A' }), ibmTemplate({ templateId: 'B' }), ibmTemplate({ templateId: 'A' })]);
    expectConfigError(loadError(), file, 'templates[2].templateId', /duplicate templateId 'A' \(also templates\[0\]\)/);
  });

  it('reports a bad templateId', () => {
    const file = writeTemplates([ibmTemplate({ templateId: 'has space' })]);
    expectConfigError(loadError(), file, 'templates[0].templateId', /'has space' must be 1-64 characters/);
  });

  it('reports a missing imageId', () => {
    const file = writeTemplates([ibmTemplate({ imageId: undefined })]);
    expectConfigError(loadError(), file, 'templates[0].imageId', /is required unless launchTemplateId is set/);
  });

  it('reports missing vmType and subnets in guide spelling', () => {
    const file = write(join(confDir, 'config.yml'), 'templates:\n  - {template_id: G, max_number: 1, image_id: ami-1}\n');
    expectConfigError(loadError(), file, 'templates[0].subnet_ids', /at least one subnet/);
    write(file, 'templates:\n  - {template_id: G, max_number: 1, image_id: ami-1, subnet_ids: [s-1]}\n');
    expectConfigError(loadError(), file, 'templates[0].attributes.vm_type', /vmType, vmTypes or instanceRequirements is required/);
  });

  it('reports a malformed attribute naming the entry', () => {
    const file = writeTemplates([ibmTemplate({ attributes: { ncpus: ['Integer', '2'] } })]);
    expectConfigError(
      loadError(),
      file,
      'templates[0].attributes',
      /entry 'ncpus' must be a \[kind, value\] pair with kind String\|Numeric\|Boolean/,
    );
  });

  it('reports templates that are not a list', () => {
    const file = write(join(confDir, 'awsprov_templates.json'), { templates: { A: {} } });
    expectConfigError(loadError(), file, 'templates', /must be a list/);
  });

  it('reports a user data script that cannot be read', () => {
    const file = writeTemplates([ibmTemplate({ userDataScript: 'missing.sh' })]);
    expectConfigError(loadError(), file, 'templates[0].userDataScript', /user data file '.*missing\.sh' cannot be read \(ENOENT\)/);
  });

  it('reports a CONFIG_PATH that does not exist', () => {
    writeTemplates([ibmTemplate()]);
    expectConfigError(loadError({ CONFIG_PATH: join(root, 'nope.yml') }), join(root, 'nope.yml'), 'CONFIG_PATH', /does not exist/);
  });

  it('reports when no templates are configured anywhere', () => {
    write(join(confDir, 'awsprov_config.json'), { AWS_REGION: 'us-east-1' });
    const error = loadError();
    expectConfigError(error, confDir, 'templates', /no templates configured \(looked in .*awsprov_templates\.json/);
  });
});

describe('loadConfig: every key is known, or refused', () => {
  it('refuses a typo in an IBM key, naming the file and suggesting the key meant', () => {
    writeTemplates([ibmTemplate()]);
    const file = write(join(confDir, 'awsprov_config.json'), { AWS_REGOIN: 'eu-west-1' });
    const error = loadError();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `Invalid configuration in ${file}: AWS_REGOIN: unknown key (did you mean AWS_REGION?); every key is listed in docs/configuration.md`,
    );
    expect(error.details).toMatchObject({ file, key: 'AWS_REGOIN', suggestion: 'AWS_REGION', unknownKeys: ['AWS_REGOIN'] });
  });

  it('refuses a typo in a guide YAML key, with the dotted path', () => {
    const file = write(join(root, 'config.yml'), ['provider:', '  aws:', '    regoin: eu-west-1', 'templates: []', ''].join('\n'));
    const error = loadError({ CONFIG_PATH: file });
    expect(error.details).toMatchObject({ key: 'provider.aws.regoin', suggestion: 'provider.aws.region' });
  });

  it('refuses a key nothing resembles, without a suggestion', () => {
    writeTemplates([ibmTemplate()]);
    write(join(confDir, 'awsprov_config.json'), { AWS_REGION: 'us-east-1', FAVOURITE_COLOUR: 'blue' });
    const error = loadError();
    expect(error.details).toMatchObject({ key: 'FAVOURITE_COLOUR', unknownKeys: ['FAVOURITE_COLOUR'] });
    expect(error.details?.['suggestion']).toBeUndefined();
    expect(error.message).toContain('FAVOURITE_COLOUR: unknown key; every key');
  });

  it('accepts IBM keys the plugin deliberately does not support, with a notice naming file, key and why', () => {
    writeTemplates([ibmTemplate()]);
    const file = write(join(confDir, 'awsprov_config.json'), { AWS_REGION: 'us-east-1', AWS_KEY_FILE: '/keys', AWS_TAG_InstanceID: true });
    const config = load();
    expect(config.notices).toHaveLength(2);
    expect(config.notices[0]).toContain(`${file}: AWS_KEY_FILE is not supported and has no effect`);
    expect(config.notices[1]).toContain('AWS_TAG_InstanceID');
  });

  it('a clean configuration has no notices', () => {
    writeTemplates([ibmTemplate()]);
    expect(load().notices).toEqual([]);
  });
});

describe('loadConfig: the proxy', () => {
  it('AWS_PROXY_HOST and AWS_PROXY_PORT (IBM) or provider.aws.proxy_host / proxy_port (guide) make the proxy of every endpoint', () => {
    writeTemplates([ibmTemplate()]);
    write(join(confDir, 'awsprov_config.json'), { AWS_PROXY_HOST: 'proxy.example.com', AWS_PROXY_PORT: 3128 });
    expect(load().provider.proxy).toEqual({ url: 'http://proxy.example.com:3128' });
    const yaml = write(
      join(root, 'config.yml'),
      ['provider:', '  aws:', '    proxy_host: https://p.example.com', '    proxy_port: 8443', ''].join('\n'),
    );
    expect(load({ CONFIG_PATH: yaml }).provider.proxy).toEqual({ url: 'https://p.example.com:8443' });
  });

  it('reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, in either case', () => {
    writeTemplates([ibmTemplate()]);
    expect(load({ https_proxy: 'proxy:3128', HTTP_PROXY: 'http://h:8080', no_proxy: '.internal,169.254.169.254' }).provider.proxy).toEqual({
      httpsProxy: 'http://proxy:3128',
      httpProxy: 'http://h:8080',
      noProxy: '.internal,169.254.169.254',
    });
    expect(load({ NO_PROXY: '*' }).provider.proxy).toBeUndefined();
  });

  it('refuses a port without a host, a host without a port and a proxy that is not a URL, naming the key', () => {
    writeTemplates([ibmTemplate()]);
    const file = write(join(confDir, 'awsprov_config.json'), { AWS_PROXY_PORT: 3128 });
    expect(loadError().message).toBe(`Invalid configuration in ${file}: AWS_PROXY_PORT: is set without AWS_PROXY_HOST`);
    write(file, { AWS_PROXY_HOST: 'proxy.example.com' });
    expect(loadError().details).toMatchObject({ key: 'AWS_PROXY_PORT' });
    write(file, {});
    expect(loadError({ HTTPS_PROXY: 'ftp://proxy:21' }).details).toMatchObject({ file: 'environment', key: 'HTTPS_PROXY' });
  });
});
