// LaunchTemplates against moto_server.
import { DescribeLaunchTemplateVersionsCommand, DescribeLaunchTemplatesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aTemplate } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient, type MotoNetwork } from '../test/moto';
import { LaunchTemplates } from './launch-templates';

describe('LaunchTemplates on moto_server', () => {
  let client: EC2Client;
  let network: MotoNetwork;
  const providerName = `lt${Date.now()}`;

  beforeAll(async () => {
    client = motoClient();
    network = await createNetwork(client);
  });
  afterAll(() => client.destroy());

  function template(templateId: string, imageId = MOTO_AMI): ReturnType<typeof aTemplate> {
    return aTemplate({
      templateId,
      imageId,
      subnetIds: network.subnetIds,
      securityGroupIds: [network.securityGroupId],
      rootDeviceVolumeSize: 20,
    });
  }

  async function versions(launchTemplateId: string): Promise<number[]> {
    const response = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }));
    return (response.LaunchTemplateVersions ?? []).map((version) => version.VersionNumber ?? 0);
  }

  it('creates the launch template with the settings, then reuses it while they do not change', async () => {
    const templates = new LaunchTemplates(client, { providerName });
    const first = await templates.ensure(template('Reuse'));
    expect(first.launchTemplateId).toMatch(/^lt-/);
    expect(first.version).toBe('1');

    const response = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: first.launchTemplateId, Versions: ['1'] }));
    const data = response.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data?.ImageId).toBe(MOTO_AMI);
    expect(data?.InstanceType).toBe('t3.medium');
    expect(data?.BlockDeviceMappings?.[0]).toMatchObject({ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 20 } });

    // A fresh instance (another process) reuses the same version.
    const again = await new LaunchTemplates(client, { providerName }).ensure(template('Reuse'));
    expect(again).toEqual(first);
    expect(await versions(first.launchTemplateId)).toEqual([1]);
  });

  it('makes a new version when the image changes, and goes back to the matching one', async () => {
    const templates = new LaunchTemplates(client, { providerName });
    const first = await templates.ensure(template('Change'));
    const changed = await new LaunchTemplates(client, { providerName }).ensure(template('Change', 'ami-1e749f67'));
    expect(changed).toEqual({ launchTemplateId: first.launchTemplateId, version: '2' });
    const back = await new LaunchTemplates(client, { providerName }).ensure(template('Change'));
    expect(back).toEqual(first);
    expect(await versions(first.launchTemplateId)).toEqual([1, 2]);
  });

  it('two callers racing on a new name end on the same launch template', async () => {
    const [a, b] = await Promise.all([
      new LaunchTemplates(client, { providerName }).ensure(template('Race')),
      new LaunchTemplates(client, { providerName }).ensure(template('Race')),
    ]);
    expect(a.launchTemplateId).toBe(b.launchTemplateId);
  });

  it('uses the template own launch template as it is', async () => {
    const own = await new LaunchTemplates(client, { providerName }).ensure(template('Own'));
    const ref = await new LaunchTemplates(client, { providerName: `${providerName}other` }).ensure(
      aTemplate({ templateId: 'UsesOwn', launchTemplateId: own.launchTemplateId, launchTemplateVersion: '1' }),
    );
    expect(ref).toEqual({ launchTemplateId: own.launchTemplateId, version: '1' });
    expect(await versions(own.launchTemplateId)).toEqual([1]);
  });

  it('preflight is read-only: the creation is dry-run until the first request makes it, then the made version is the ref', async () => {
    const templates = new LaunchTemplates(client, { providerName });
    const name = templates.launchTemplateName(template('Preflight'));
    const before = await templates.preflight(template('Preflight'));
    expect(before).toEqual({ checked: [`CreateLaunchTemplate DryRun (${name}: the first request makes it)`], problems: [] });
    const listed = await client.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] }));
    expect(listed.LaunchTemplates ?? []).toEqual([]);
    const made = await templates.ensure(template('Preflight'));
    expect(await new LaunchTemplates(client, { providerName }).preflight(template('Preflight'))).toEqual({
      ref: made,
      checked: [`launch template ${name} version ${made.version}`],
      problems: [],
    });
    const changed = await new LaunchTemplates(client, { providerName }).preflight(template('Preflight', 'ami-1e749f67'));
    expect(changed).toEqual({ checked: [`CreateLaunchTemplateVersion DryRun (${name}: the first request makes it)`], problems: [] });
    expect(await versions(made.launchTemplateId)).toEqual([1]);
  });
});
