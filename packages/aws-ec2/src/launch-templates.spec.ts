import { aTemplate } from '@open-hostfactory/core/testing';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { LaunchTemplates, SETTINGS_HASH_PREFIX, settingsHash } from './launch-templates';

function fakeClient(): FakeAwsClient {
  return new FakeAwsClient().on('DescribeImagesCommand', () => ({ Images: [{ RootDeviceName: '/dev/sda1' }] }));
}

describe('LaunchTemplates', () => {
  it('uses the template own launch template as it is, without any EC2 call', async () => {
    const client = fakeClient();
    const templates = new LaunchTemplates(client, { providerName: 'aws' });
    await expect(templates.ensure(aTemplate({ launchTemplateId: 'lt-own', launchTemplateVersion: '7' }))).resolves.toEqual({
      launchTemplateId: 'lt-own',
      version: '7',
    });
    await expect(templates.ensure(aTemplate({ launchTemplateId: 'lt-own' }))).resolves.toEqual({
      launchTemplateId: 'lt-own',
      version: '$Default',
    });
    expect(client.sent).toEqual([]);
  });

  it('creates one launch template per HF template with the launch settings and a settings hash', async () => {
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [] }))
      .on('CreateLaunchTemplateCommand', () => ({
        LaunchTemplate: { LaunchTemplateId: 'lt-1', LatestVersionNumber: 1 },
      }));
    const templates = new LaunchTemplates(client, { providerName: 'aws' });
    const template = aTemplate({
      templateId: 'T1',
      imageId: 'ami-1',
      vmType: undefined,
      vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 },
      keyName: 'key',
      securityGroupIds: ['sg-1'],
      instanceProfile: 'arn:aws:iam::1:instance-profile/p',
      userData: '#!/bin/sh\necho hi',
      rootDeviceVolumeSize: 50,
      volumeType: 'gp3',
      iops: 3000,
      placementGroupName: 'pg',
      tenancy: 'dedicated',
      instanceTags: { team: 'hpc', 'aws:x': 'no', 'hf:request-id': 'no' },
    });

    await expect(templates.ensure(template)).resolves.toEqual({ launchTemplateId: 'lt-1', version: '1' });

    expect(client.calls('DescribeLaunchTemplatesCommand')[0]).toEqual({
      Filters: [{ Name: 'launch-template-name', Values: ['hf-aws-T1'] }],
    });
    const create = client.calls('CreateLaunchTemplateCommand')[0];
    const tags = [
      { Key: 'team', Value: 'hpc' },
      { Key: 'hf:template-id', Value: 'T1' },
      { Key: 'hf:provider-name', Value: 'aws' },
      { Key: 'hf:provider-api', Value: 'RunInstances' },
    ];
    expect(create.LaunchTemplateName).toBe('hf-aws-T1');
    expect(create.LaunchTemplateData).toEqual({
      ImageId: 'ami-1',
      InstanceType: 'm5.large',
      KeyName: 'key',
      SecurityGroupIds: ['sg-1'],
      IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/p' },
      UserData: Buffer.from('#!/bin/sh\necho hi').toString('base64'),
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, VolumeSize: 50, VolumeType: 'gp3', Iops: 3000 } }],
      Placement: { GroupName: 'pg', Tenancy: 'dedicated' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    });
    expect(create.VersionDescription).toBe(`${SETTINGS_HASH_PREFIX}${settingsHash(create.LaunchTemplateData)}`);
    expect(create.ClientToken).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an instance profile name goes as Name, an SSM image path as resolve:ssm and the default root device', async () => {
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [] }))
      .on('CreateLaunchTemplateCommand', () => ({ LaunchTemplate: { LaunchTemplateId: 'lt-1', LatestVersionNumber: 1 } }));
    const templates = new LaunchTemplates(client, { providerName: 'aws' });
    await templates.ensure(aTemplate({ instanceProfile: 'hf-node', imageId: '/aws/service/ami-amazon-linux-latest/x', rootDeviceVolumeSize: 20 }));
    const data = client.calls('CreateLaunchTemplateCommand')[0].LaunchTemplateData;
    expect(data.IamInstanceProfile).toEqual({ Name: 'hf-node' });
    expect(data.ImageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/x');
    expect(data.BlockDeviceMappings[0].DeviceName).toBe('/dev/xvda');
    expect(client.calls('DescribeImagesCommand')).toEqual([]);
  });

  it('carries the Capacity Reservation target and preference, and a Capacity Block as its market', async () => {
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [] }))
      .on('CreateLaunchTemplateCommand', (_input, call) => ({ LaunchTemplate: { LaunchTemplateId: `lt-${call}`, LatestVersionNumber: 1 } }));
    const templates = new LaunchTemplates(client, { providerName: 'aws' });
    await templates.ensure(
      aTemplate({ templateId: 'R', capacityReservationId: 'cr-0123', capacityReservationPreference: 'capacity-reservations-only' }),
    );
    await templates.ensure(
      aTemplate({ templateId: 'G', capacityReservationResourceGroupArn: 'arn:aws:resource-groups:us-east-1:123456789012:group/hf' }),
    );
    await templates.ensure(aTemplate({ templateId: 'B', capacityBlockId: 'cr-0b10c' }));
    await templates.ensure(aTemplate({ templateId: 'O', capacityReservationPreference: 'open' }));
    const data = client.calls('CreateLaunchTemplateCommand').map((call: { LaunchTemplateData: Record<string, unknown> }) => call.LaunchTemplateData);
    expect(data[0]!.CapacityReservationSpecification).toEqual({
      CapacityReservationPreference: 'capacity-reservations-only',
      CapacityReservationTarget: { CapacityReservationId: 'cr-0123' },
    });
    expect(data[1]!.CapacityReservationSpecification).toEqual({
      CapacityReservationTarget: { CapacityReservationResourceGroupArn: 'arn:aws:resource-groups:us-east-1:123456789012:group/hf' },
    });
    expect(data[2]).toMatchObject({
      CapacityReservationSpecification: { CapacityReservationTarget: { CapacityReservationId: 'cr-0b10c' } },
      InstanceMarketOptions: { MarketType: 'capacity-block' },
    });
    expect(data[3]!.CapacityReservationSpecification).toEqual({ CapacityReservationPreference: 'open' });
    expect(data[3]!.InstanceMarketOptions).toBeUndefined();
  });

  it('reuses the version whose description holds the same settings hash (no new version)', async () => {
    const template = aTemplate({ templateId: 'T1' });
    const probe = new LaunchTemplates(fakeClient(), { providerName: 'aws' });
    const description = `${SETTINGS_HASH_PREFIX}${settingsHash(await probe.launchTemplateData(template))}`;
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'hf-aws-T1' }] }))
      .on('DescribeLaunchTemplateVersionsCommand', (input) =>
        input.Versions
          ? { LaunchTemplateVersions: [{ VersionNumber: 5, VersionDescription: `${SETTINGS_HASH_PREFIX}other` }] }
          : input.NextToken
            ? { LaunchTemplateVersions: [{ VersionNumber: 3, VersionDescription: description }] }
            : {
                LaunchTemplateVersions: [
                  { VersionNumber: 1, VersionDescription: description },
                  { VersionNumber: 5, VersionDescription: `${SETTINGS_HASH_PREFIX}other` },
                ],
                NextToken: 'page-2',
              },
      );
    const templates = new LaunchTemplates(client, { providerName: 'aws' });

    await expect(templates.ensure(template)).resolves.toEqual({ launchTemplateId: 'lt-1', version: '3' });
    expect(client.calls('DescribeLaunchTemplateVersionsCommand')).toEqual([
      { LaunchTemplateId: 'lt-1', Versions: ['$Latest'] },
      { LaunchTemplateId: 'lt-1', MaxResults: 200 },
      { LaunchTemplateId: 'lt-1', MaxResults: 200, NextToken: 'page-2' },
    ]);
    expect(client.calls('CreateLaunchTemplateVersionCommand')).toEqual([]);
    expect(client.calls('CreateLaunchTemplateCommand')).toEqual([]);

    // Same settings again in this process: answered from memory.
    const before = client.sent.length;
    await expect(templates.ensure(template)).resolves.toEqual({ launchTemplateId: 'lt-1', version: '3' });
    expect(client.sent.length).toBe(before);
  });

  it('matches $Latest first without listing every version', async () => {
    const template = aTemplate({ templateId: 'T1' });
    const probe = new LaunchTemplates(fakeClient(), { providerName: 'aws' });
    const description = `${SETTINGS_HASH_PREFIX}${settingsHash(await probe.launchTemplateData(template))}`;
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'hf-aws-T1' }] }))
      .on('DescribeLaunchTemplateVersionsCommand', () => ({
        LaunchTemplateVersions: [{ VersionNumber: 9, VersionDescription: description }],
      }));
    await expect(new LaunchTemplates(client, { providerName: 'aws' }).ensure(template)).resolves.toEqual({
      launchTemplateId: 'lt-1',
      version: '9',
    });
    expect(client.calls('DescribeLaunchTemplateVersionsCommand')).toHaveLength(1);
  });

  it('creates a new version with a hash-derived ClientToken when the settings changed', async () => {
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'hf-aws-T1' }] }))
      .on('DescribeLaunchTemplateVersionsCommand', () => ({
        LaunchTemplateVersions: [{ VersionNumber: 1, VersionDescription: `${SETTINGS_HASH_PREFIX}old` }],
      }))
      .on('CreateLaunchTemplateVersionCommand', () => ({ LaunchTemplateVersion: { VersionNumber: 2 } }));
    const templates = new LaunchTemplates(client, { providerName: 'aws' });

    await expect(templates.ensure(aTemplate({ templateId: 'T1', imageId: 'ami-2' }))).resolves.toEqual({
      launchTemplateId: 'lt-1',
      version: '2',
    });
    const [create] = client.calls('CreateLaunchTemplateVersionCommand');
    expect(create.LaunchTemplateId).toBe('lt-1');
    expect(create.LaunchTemplateData.ImageId).toBe('ami-2');
    expect(create.VersionDescription).toBe(`${SETTINGS_HASH_PREFIX}${settingsHash(create.LaunchTemplateData)}`);

    // Another process with the same settings derives the same token (EC2 then answers the same version).
    const other = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', LaunchTemplateName: 'hf-aws-T1' }] }))
      .on('CreateLaunchTemplateVersionCommand', () => ({ LaunchTemplateVersion: { VersionNumber: 2 } }));
    await new LaunchTemplates(other, { providerName: 'aws' }).ensure(aTemplate({ templateId: 'T1', imageId: 'ami-2' }));
    expect(other.calls('CreateLaunchTemplateVersionCommand')[0].ClientToken).toBe(create.ClientToken);
  });

  it('settles a race on the name: AlreadyExists -> describe the winner and continue with it', async () => {
    const template = aTemplate({ templateId: 'T1' });
    const probe = new LaunchTemplates(fakeClient(), { providerName: 'aws' });
    const description = `${SETTINGS_HASH_PREFIX}${settingsHash(await probe.launchTemplateData(template))}`;
    for (const code of ['InvalidLaunchTemplateName.AlreadyExistsException', 'AlreadyExistsException']) {
      const client = fakeClient()
        .on('DescribeLaunchTemplatesCommand', (_input, call) =>
          call === 1 ? { LaunchTemplates: [] } : { LaunchTemplates: [{ LaunchTemplateId: 'lt-w', LaunchTemplateName: 'hf-aws-T1' }] },
        )
        .on('CreateLaunchTemplateCommand', () => {
          throw awsError(code, 'Launch template name already in use.');
        })
        .on('DescribeLaunchTemplateVersionsCommand', () => ({
          LaunchTemplateVersions: [{ VersionNumber: 1, VersionDescription: description }],
        }));
      await expect(new LaunchTemplates(client, { providerName: 'aws' }).ensure(template)).resolves.toEqual({
        launchTemplateId: 'lt-w',
        version: '1',
      });
      expect(client.calls('CreateLaunchTemplateVersionCommand')).toEqual([]);
    }
  });

  it('maps EC2 errors and rejects templates without image or instance type', async () => {
    const client = fakeClient()
      .on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [] }))
      .on('CreateLaunchTemplateCommand', () => {
        throw awsError('InvalidAMIID.Malformed', 'bad ami');
      });
    const templates = new LaunchTemplates(client, { providerName: 'aws' });
    await expect(templates.ensure(aTemplate())).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    await expect(templates.ensure(aTemplate({ vmType: undefined, vmTypes: undefined }))).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
    });
    const throttled = fakeClient().on('DescribeLaunchTemplatesCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    await expect(new LaunchTemplates(throttled, { providerName: 'aws' }).ensure(aTemplate())).rejects.toMatchObject({
      code: 'THROTTLED',
    });
  });

  it('the settings hash ignores key order and undefined values', () => {
    expect(settingsHash({ ImageId: 'a', InstanceType: 't3.micro' })).toBe(
      settingsHash({ InstanceType: 't3.micro', KeyName: undefined, ImageId: 'a' }),
    );
    expect(settingsHash({ ImageId: 'a' })).not.toBe(settingsHash({ ImageId: 'b' }));
  });

  it('keeps launch template names within EC2 limits', () => {
    const templates = new LaunchTemplates(fakeClient(), { providerName: 'p'.repeat(100) });
    const name = templates.launchTemplateName(aTemplate({ templateId: 'T'.repeat(64) }));
    expect(name.length).toBeLessThanOrEqual(128);
    expect(templates.launchTemplateName(aTemplate({ templateId: 'T1' }))).toBe(`hf-${'p'.repeat(100)}-T1`);
  });
});
