import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { HostFactoryError, type Template } from '@open-hostfactory/core';
import { aTemplate } from '@open-hostfactory/core/testing';
import { Ec2TemplateCheck } from './template-check';

const passing = { prepare: async (t: Template) => t };

function world(offered: [string, string][]) {
  return new FakeAwsClient()
    .on('DescribeSubnetsCommand', () => ({
      Subnets: [
        { SubnetId: 'subnet-a', AvailabilityZone: 'us-east-1a' },
        { SubnetId: 'subnet-b', AvailabilityZone: 'us-east-1b' },
      ],
    }))
    .on('DescribeInstanceTypeOfferingsCommand', () => ({ InstanceTypeOfferings: offered.map(([InstanceType, Location]) => ({ InstanceType, Location })) }))
    .on('RunInstancesCommand', () => {
      throw awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    });
}

describe('Ec2TemplateCheck', () => {
  const template = aTemplate({ templateId: 'T', vmType: 't3.medium', subnetIds: ['subnet-a', 'subnet-b'], keyName: 'ops', instanceProfile: 'arn:aws:iam::1:instance-profile/hf' });

  it('ok: every type offered in every zone and the DryRun allowed, with the template launch settings', async () => {
    const client = world([['t3.medium', 'us-east-1a'], ['t3.medium', 'us-east-1b']]);
    expect(await new Ec2TemplateCheck(client, passing).check(template)).toEqual({ templateId: 'T', status: 'ok', problems: [] });
    expect(client.calls('RunInstancesCommand')[0]).toMatchObject({
      DryRun: true,
      InstanceType: 't3.medium',
      SubnetId: 'subnet-a',
      KeyName: 'ops',
      IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/hf' },
    });
    expect(client.calls('DescribeInstanceTypeOfferingsCommand')[0]).toMatchObject({ LocationType: 'availability-zone' });
  });

  it('a type offered in some zones warns, in none fails, naming zone and subnet', async () => {
    const some = await new Ec2TemplateCheck(world([['t3.medium', 'us-east-1a']]), passing).check(template);
    expect(some).toMatchObject({ status: 'warn', problems: [{ severity: 'warn', field: 'vmType', message: 't3.medium is not offered in us-east-1b (subnet-b)' }] });
    const none = await new Ec2TemplateCheck(world([]), passing).check(template);
    expect(none).toMatchObject({ status: 'fail', problems: [{ severity: 'fail', field: 'vmType' }] });
  });

  it('what the validator refuses fails with its field; a refused DryRun names the field its code blames', async () => {
    const refusing = { prepare: async () => Promise.reject(new HostFactoryError('TEMPLATE_INVALID', 'imageId ami-x not found', { details: { field: 'imageId' } })) };
    expect(await new Ec2TemplateCheck(world([]), refusing).check(template)).toEqual({
      templateId: 'T',
      status: 'fail',
      problems: [{ severity: 'fail', field: 'imageId', message: 'imageId ami-x not found' }],
    });
    const client = world([['t3.medium', 'us-east-1a'], ['t3.medium', 'us-east-1b']]).on('RunInstancesCommand', () => {
      throw awsError('InvalidKeyPair.NotFound', "The key pair 'ops' does not exist");
    });
    const result = await new Ec2TemplateCheck(client, passing).check(template);
    expect(result).toMatchObject({ status: 'fail', problems: [{ severity: 'fail', field: 'keyName' }] });
    expect(result.problems[0]?.message).toContain("The key pair 'ops' does not exist");
  });

  it('an endpoint that ignores DryRun (it launched) is a warning, not a pass', async () => {
    const client = world([['t3.medium', 'us-east-1a'], ['t3.medium', 'us-east-1b']]).on('RunInstancesCommand', () => ({ Instances: [{ InstanceId: 'i-1' }] }));
    expect((await new Ec2TemplateCheck(client, passing).check(template)).status).toBe('warn');
  });
});
