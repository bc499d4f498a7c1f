import { aTemplate } from '@open-hostfactory/core/testing';
import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { Ec2TemplateValidator, isSsmImageParameter } from './template-validator';

function validEc2(): FakeAwsClient {
  return new FakeAwsClient()
    .on('DescribeImagesCommand', (input) => ({ Images: input.ImageIds.map((id: string) => ({ ImageId: id })) }))
    .on('DescribeSubnetsCommand', (input) => ({ Subnets: input.SubnetIds.map((id: string) => ({ SubnetId: id })) }))
    .on('DescribeSecurityGroupsCommand', (input) => ({ SecurityGroups: input.GroupIds.map((id: string) => ({ GroupId: id })) }))
    .on('DescribeInstanceTypesCommand', (input) => ({ InstanceTypes: input.InstanceTypes.map((t: string) => ({ InstanceType: t })) }))
    .on('DescribeLaunchTemplatesCommand', (input) => ({ LaunchTemplates: input.LaunchTemplateIds.map((id: string) => ({ LaunchTemplateId: id })) }));
}

function ssmAnswering(values: Record<string, string>) {
  const calls: string[] = [];
  const client = {
    send: async (command: { input: { Name: string } }) => {
      calls.push(command.input.Name);
      const value = values[command.input.Name];
      if (value === undefined) throw awsError('ParameterNotFound', `Parameter ${command.input.Name} not found.`);
      return { Parameter: { Name: command.input.Name, Value: value } };
    },
  };
  return { calls, factory: () => client as never };
}

describe('Ec2TemplateValidator', () => {
  it('tells SSM parameter paths from AMI ids', () => {
    expect(isSsmImageParameter('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64')).toBe(true);
    expect(isSsmImageParameter('resolve:ssm:/golden/ami')).toBe(true);
    expect(isSsmImageParameter('ami-0abc')).toBe(false);
  });

  it('resolves an SSM imageId to the AMI and checks every named resource once', async () => {
    const ec2 = validEc2();
    const ssm = ssmAnswering({ '/aws/service/al2023': 'ami-0123456789abcdef0' });
    const template = aTemplate({
      imageId: '/aws/service/al2023',
      subnetIds: ['subnet-a', 'subnet-b', 'subnet-a'],
      vmType: undefined,
      vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 },
      launchTemplateId: 'lt-1',
    });
    const ready = await new Ec2TemplateValidator(ec2, ssm.factory).prepare(template);
    expect(ready).toEqual({ ...template, imageId: 'ami-0123456789abcdef0' });
    expect(ec2.calls('DescribeImagesCommand')).toEqual([{ ImageIds: ['ami-0123456789abcdef0'] }]);
    expect(ec2.calls('DescribeSubnetsCommand')).toEqual([{ SubnetIds: ['subnet-a', 'subnet-b'] }]);
    expect(ec2.calls('DescribeInstanceTypesCommand')).toEqual([{ InstanceTypes: ['m5.large', 'm5.xlarge'] }]);
    expect(ec2.calls('DescribeLaunchTemplatesCommand')).toEqual([{ LaunchTemplateIds: ['lt-1'] }]);
  });

  it('never makes an SSM client for a template with an AMI id', async () => {
    let made = 0;
    await new Ec2TemplateValidator(validEc2(), () => {
      made += 1;
      return { send: async () => ({}) } as never;
    }).prepare(aTemplate());
    expect(made).toBe(0);
  });

  it.each([
    ['DescribeSubnetsCommand', 'InvalidSubnetID.NotFound', 'subnetId'],
    ['DescribeSecurityGroupsCommand', 'InvalidGroup.NotFound', 'securityGroupIds'],
    ['DescribeImagesCommand', 'InvalidAMIID.NotFound', 'imageId'],
    ['DescribeInstanceTypesCommand', 'InvalidInstanceType', 'vmType'],
  ])('%s failing with %s is TEMPLATE_INVALID naming %s', async (command, code, field) => {
    const ec2 = validEc2().on(command, () => {
      throw awsError(code);
    });
    await expect(new Ec2TemplateValidator(ec2, ssmAnswering({}).factory).prepare(aTemplate())).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      message: expect.stringContaining(`Template 'OnDemand-Small': ${field}`),
      details: { templateId: 'OnDemand-Small', field },
    });
  });

  it('a launch template that EC2 does not list is TEMPLATE_INVALID', async () => {
    const ec2 = validEc2().on('DescribeLaunchTemplatesCommand', () => ({ LaunchTemplates: [] }));
    await expect(new Ec2TemplateValidator(ec2, ssmAnswering({}).factory).prepare(aTemplate({ launchTemplateId: 'lt-gone' }))).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      details: { field: 'launchTemplateId', value: 'lt-gone' },
    });
  });

  it('an SSM parameter that does not exist, or holds no AMI id, is TEMPLATE_INVALID naming imageId', async () => {
    const ssm = ssmAnswering({ '/golden/not-an-ami': 'hello' });
    const validator = new Ec2TemplateValidator(validEc2(), ssm.factory);
    await expect(validator.prepare(aTemplate({ imageId: '/golden/missing' }))).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      details: { field: 'imageId', value: '/golden/missing' },
    });
    await expect(validator.prepare(aTemplate({ imageId: 'resolve:ssm:/golden/not-an-ami' }))).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      details: { field: 'imageId' },
    });
  });

  it('throttling is not a template error', async () => {
    const ec2 = validEc2().on('DescribeSubnetsCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    await expect(new Ec2TemplateValidator(ec2, ssmAnswering({}).factory).prepare(aTemplate())).rejects.toMatchObject({ code: 'THROTTLED' });
  });
});
