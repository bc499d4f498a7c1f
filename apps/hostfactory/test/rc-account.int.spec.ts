// HF's rc_account through the real scripts on moto_server, as IBM's provider treats it: the tag
// RC_ACCOUNT=<value> on what is launched for the request, and the user data's %EXPORT_USER_DATA%
// replaced by the request's exports.
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { hf, installation, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const SPOT_FLEET_ROLE = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';
const USER_DATA = '#!/bin/bash\n%EXPORT_USER_DATA%\necho "account=$rc_account" > /tmp/hf-account\n';

describe('rc_account through the scripts', () => {
  let environment: HfEnvironment;
  let ec2: EC2Client;

  beforeAll(async () => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    environment = await installation({
      config: { HF_CLUSTER_NAME: 'sym-prod' },
      templates: [
        hf.ondemandTemplate(network, { templateId: 'Run', maxNumber: 10, userData: USER_DATA, instanceTags: 'team=hpc' }),
        hf.ondemandTemplate(network, { templateId: 'Fleet', maxNumber: 10, providerApi: 'EC2Fleet', userData: USER_DATA }),
        hf.ondemandTemplate(network, { templateId: 'Spot', maxNumber: 10, providerApi: 'SpotFleet', priceType: 'spot', fleetRole: SPOT_FLEET_ROLE }),
        hf.ondemandTemplate(network, { templateId: 'Group', maxNumber: 10, providerApi: 'ASG' }),
      ],
    });
    ec2 = new EC2Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterAll(() => ec2.destroy());

  const instancesOf = async (requestId: string): Promise<Instance[]> => {
    const answer = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:hf:request-id', Values: [requestId] }] }));
    return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };
  const tagOf = (instance: Instance, key: string): string | undefined => instance.Tags?.find((tag) => tag.Key === key)?.Value;

  it.each(['Run', 'Fleet', 'Spot', 'Group'])('%s: every instance of the request carries RC_ACCOUNT', async (templateId) => {
    const made = await runOk('requestMachines', { rc_account: 'desk-1', template: { templateId, machineCount: 2 } }, environment.env);
    const done = await untilComplete(made.requestId, environment.env);
    const instances = await instancesOf(made.requestId);
    expect(instances.map((i) => i.InstanceId).sort()).toEqual(done.machines.map((m: { machineId: string }) => m.machineId).sort());
    for (const instance of instances) expect(tagOf(instance, 'RC_ACCOUNT')).toBe('desk-1');
  });

  it('RunInstances: the user data carries the exports; a request without rc_account exports no rc_account and adds no tag', async () => {
    const withAccount = await runOk('requestMachines', { rc_account: 'desk-2', template: { templateId: 'Run', machineCount: 1 } }, environment.env);
    const without = await runOk('requestMachines', { template: { templateId: 'Run', machineCount: 1 } }, environment.env);
    const userDataOf = async (requestId: string): Promise<{ text: string; instance: Instance }> => {
      await untilComplete(requestId, environment.env);
      const [instance] = await instancesOf(requestId);
      const attribute = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instance!.InstanceId, Attribute: 'userData' }));
      return { text: Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8'), instance: instance! };
    };
    const first = await userDataOf(withAccount.requestId);
    expect(first.text).toBe(
      '#!/bin/bash\nexport rc_account=desk-2;export template_id=Run;export clustername=sym-prod;export providerName=awsinst;\necho "account=$rc_account" > /tmp/hf-account\n',
    );
    expect(tagOf(first.instance, 'team')).toBe('hpc');
    const second = await userDataOf(without.requestId);
    expect(second.text).toBe(
      '#!/bin/bash\nexport template_id=Run;export clustername=sym-prod;export providerName=awsinst;\necho "account=$rc_account" > /tmp/hf-account\n',
    );
    expect(tagOf(second.instance, 'RC_ACCOUNT')).toBeUndefined();
  });

  it('EC2Fleet: the launch template version the fleet used holds the exports of its account', async () => {
    const made = await runOk('requestMachines', { rc_account: 'desk-3', template: { templateId: 'Fleet', machineCount: 1 } }, environment.env);
    await untilComplete(made.requestId, environment.env);
    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'hf-awsinst-Fleet' }));
    const texts = (versions.LaunchTemplateVersions ?? []).map((v) => Buffer.from(v.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8'));
    expect(texts).toContainEqual(expect.stringContaining('export rc_account=desk-3;export template_id=Fleet;'));
  });

  it('refuses an rc_account that is no tag value or shell word: INVALID_INPUT naming it, exit non-zero, nothing launched', async () => {
    const count = async (): Promise<number> =>
      ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
    const before = await count();
    const answer = await hf.runScript(
      'requestMachines',
      { rc_account: 'x;reboot', template: { templateId: 'Run', machineCount: 1 } },
      environment.env,
    );
    expect(answer.status).not.toBe(0);
    expect(answer.json.error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'rc_account' } });
    expect(await count()).toBe(before);
  });
});
