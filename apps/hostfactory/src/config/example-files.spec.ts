import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from './load-config';

/** The example files shipped in the repository's config/ directory must load and validate. */
const EXAMPLES = resolve(__dirname, '../../../../config');

describe('example config files', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ohf-examples-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('loads awsprov_config.json and awsprov_templates.json from a provider config dir', () => {
    const confDir = join(root, 'conf');
    cpSync(join(EXAMPLES, 'awsprov_config.json'), join(confDir, 'awsprov_config.json'));
    cpSync(join(EXAMPLES, 'awsprov_templates.json'), join(confDir, 'awsprov_templates.json'));
    const config = loadConfig({ env: { HF_PROVIDER_CONFDIR: confDir }, cwd: root });
    expect(config.provider.region).toBe('us-east-1');
    expect(config.provider).toMatchObject({ orphanTimeoutSec: 300, orphanAction: 'terminate', orphanGraceSec: 300, returnTimeoutSec: 600 });
    expect(config.templates.map((t) => [t.templateId, t.vmType, t.priceType, t.providerApi])).toEqual([
      ['OnDemand-Small', 't3.medium', 'ondemand', 'RunInstances'],
      ['Spot-Large', 'm5.large', 'spot', 'RunInstances'],
      ['Failover-OnDemand', 'm5.large', 'ondemand', 'RunInstances'],
      ['Reserved-OnDemand', 'c5.2xlarge', 'ondemand', 'RunInstances'],
      ['Fleet-Instant-OnDemand', 'c5.xlarge', 'ondemand', 'EC2Fleet'],
      ['Fleet-Attributes-Spot', undefined, 'spot', 'EC2Fleet'],
      ['Fleet-Request-Spot-Weighted', 'm5.xlarge', 'spot', 'EC2Fleet'],
      ['Fleet-Maintain-Mixed', 'r5.large', 'spot', 'EC2Fleet'],
      ['SpotFleet-Spot', 'm5.large', 'spot', 'SpotFleet'],
      ['SpotFleet-OnDemand', 'c5.large', 'ondemand', 'SpotFleet'],
      ['SpotFleet-Mixed-Weighted', 'm5.large', 'heterogeneous', 'SpotFleet'],
      ['ASG-OnDemand', 't3.large', 'ondemand', 'ASG'],
      ['ASG-Mixed', 'm5.large', 'heterogeneous', 'ASG'],
      ['ASG-Spot', 'm5.large', 'spot', 'ASG'],
    ]);
    expect(config.templates.find((t) => t.templateId === 'Fleet-Request-Spot-Weighted')).toMatchObject({
      fleetType: 'request',
      vmTypes: { 'm5.xlarge': 1, 'm5.2xlarge': 2, 'm5.4xlarge': 4 },
      allocationStrategy: 'priceCapacityOptimized',
    });
    expect(config.templates[0]?.attributes['ncpus']).toBeUndefined();
    expect(config.templates[1]?.attributes['nram']).toEqual(['Numeric', '8192']);
    expect(config.templates.find((t) => t.templateId === 'Reserved-OnDemand')).toMatchObject({
      capacityReservationId: 'cr-0123456789abcdef0',
      capacityReservationPreference: 'capacity-reservations-only',
    });
  });

  it('loads config.yml through CONFIG_PATH', () => {
    const config = loadConfig({ env: { CONFIG_PATH: join(EXAMPLES, 'config.yml') }, cwd: root });
    expect(config.storage.path).toBe(join(config.workDir, 'state.db'));
    expect(config.provider).toMatchObject({ orphanTimeoutSec: 300, orphanAction: 'terminate', orphanSweepIntervalSec: 60, returnTimeoutSec: 600 });
    expect(config.templates).toHaveLength(1);
    expect(config.templates[0]).toMatchObject({
      templateId: 'Guide-Compute',
      vmType: 'c5.xlarge',
      attributes: { ncpus: ['Numeric', '4'], nram: ['Numeric', '8192'] },
      userData: readFileSync(join(EXAMPLES, 'user-data.sh'), 'utf8'),
    });
  });

  it('loads the whole config/ directory as one provider config dir (both dialects together)', () => {
    const config = loadConfig({ env: { HF_PROVIDER_CONFDIR: EXAMPLES }, cwd: root });
    expect(config.templates.map((t) => t.templateId)).toEqual([
      'OnDemand-Small',
      'Spot-Large',
      'Failover-OnDemand',
      'Reserved-OnDemand',
      'Fleet-Instant-OnDemand',
      'Fleet-Attributes-Spot',
      'Fleet-Request-Spot-Weighted',
      'Fleet-Maintain-Mixed',
      'SpotFleet-Spot',
      'SpotFleet-OnDemand',
      'SpotFleet-Mixed-Weighted',
      'ASG-OnDemand',
      'ASG-Mixed',
      'ASG-Spot',
      'Guide-Compute',
    ]);
  });

  it('loads config-dynamodb.yml through CONFIG_PATH with the IBM templates', () => {
    const confDir = join(root, 'conf');
    cpSync(join(EXAMPLES, 'awsprov_templates.json'), join(confDir, 'awsprov_templates.json'));
    const config = loadConfig({ env: { HF_PROVIDER_CONFDIR: confDir, CONFIG_PATH: join(EXAMPLES, 'config-dynamodb.yml') }, cwd: root });
    expect(config.storage).toMatchObject({
      type: 'dynamodb',
      dynamodb: { tablePrefix: 'hostfactory-prod', region: 'us-east-1', backupEnabled: true },
    });
  });

  it('ships HF registration files and an IAM policy that parse', () => {
    const providers = JSON.parse(readFileSync(join(EXAMPLES, 'hostProviders.json'), 'utf8')) as {
      providers: { name: string; confPath: string }[];
    };
    expect(providers.providers[0]).toMatchObject({ name: 'awsinst', confPath: '${HF_CONFDIR}/providers/awsinst/' });
    const plugins = JSON.parse(readFileSync(join(EXAMPLES, 'hostProviderPlugins.json'), 'utf8')) as {
      providerplugins: { name: string; scriptPath: string }[];
    };
    expect(plugins.providerplugins[0]?.name).toBe('aws');
    const policy = JSON.parse(readFileSync(join(EXAMPLES, 'iam-policy.json'), 'utf8')) as {
      Statement: { Action: string | string[] }[];
    };
    const actions = policy.Statement.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining([
        'ec2:RunInstances',
        'ec2:CreateTags',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeImages',
        'ec2:TerminateInstances',
        'iam:PassRole',
      ]),
    );
  });
});
