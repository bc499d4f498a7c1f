import { FakeAwsClient } from '@open-hostfactory/aws-common/testing';
import { HostFactoryError, type PreflightResult, type Template } from '@open-hostfactory/core';
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
    .on('DescribeInstanceTypeOfferingsCommand', () => ({
      InstanceTypeOfferings: offered.map(([InstanceType, Location]) => ({ InstanceType, Location })),
    }));
}

/** A provider whose preflight answers `result` and records the templates it was asked. */
function provider(result: PreflightResult = { checked: ['RunInstances DryRun'], problems: [] }) {
  const asked: Template[] = [];
  return {
    asked,
    api: 'RunInstances' as const,
    preflight: async (template: Template) => {
      asked.push(template);
      return result;
    },
  };
}

describe('Ec2TemplateCheck', () => {
  const template = aTemplate({ templateId: 'T', vmType: 't3.medium', subnetIds: ['subnet-a', 'subnet-b'] });
  const everywhere: [string, string][] = [
    ['t3.medium', 'us-east-1a'],
    ['t3.medium', 'us-east-1b'],
  ];

  it('ok: the validator passes, every type is offered in every zone, the provider preflight finds nothing', async () => {
    const client = world(everywhere);
    const preflight = provider();
    expect(await new Ec2TemplateCheck(client, passing).check(template, preflight)).toEqual({
      templateId: 'T',
      status: 'ok',
      checked: [
        'image, subnets, security groups, instance types and launch template exist',
        'instance types offered in each subnet zone',
        'RunInstances DryRun',
      ],
      problems: [],
    });
    expect(preflight.asked).toEqual([template]);
    expect(client.calls('DescribeInstanceTypeOfferingsCommand')[0]).toMatchObject({ LocationType: 'availability-zone' });
  });

  it('a type offered in some zones warns, in none fails, naming zone and subnet', async () => {
    const some = await new Ec2TemplateCheck(world([['t3.medium', 'us-east-1a']]), passing).check(template, provider());
    expect(some).toMatchObject({
      status: 'warn',
      problems: [{ severity: 'warn', field: 'vmType', message: 't3.medium is not offered in us-east-1b (subnet-b)' }],
    });
    const none = await new Ec2TemplateCheck(world([]), passing).check(template, provider());
    expect(none).toMatchObject({ status: 'fail', problems: [{ severity: 'fail', field: 'vmType' }] });
  });

  it('what the validator refuses fails with its field, and nothing more is asked', async () => {
    const refusing = {
      prepare: async () => Promise.reject(new HostFactoryError('TEMPLATE_INVALID', 'imageId ami-x not found', { details: { field: 'imageId' } })),
    };
    const preflight = provider();
    expect(await new Ec2TemplateCheck(world([]), refusing).check(template, preflight)).toMatchObject({
      templateId: 'T',
      status: 'fail',
      problems: [{ severity: 'fail', field: 'imageId', message: 'imageId ami-x not found' }],
    });
    expect(preflight.asked).toEqual([]);
  });

  it("the preflight's problems and checks are the template's; a provider without preflight says so", async () => {
    const refused = provider({
      checked: ['CreateFleet DryRun'],
      problems: [{ severity: 'fail', field: 'keyName', message: 'CreateFleet DryRun refused: no key' }],
    });
    const result = await new Ec2TemplateCheck(world(everywhere), passing).check(template, refused);
    expect(result).toMatchObject({ status: 'fail', problems: [{ severity: 'fail', field: 'keyName' }] });
    expect(result.checked).toContain('CreateFleet DryRun');
    const bare = await new Ec2TemplateCheck(world(everywhere), passing).check(template, { api: 'ASG' });
    expect(bare).toMatchObject({ status: 'ok', problems: [] });
    expect(bare.checked).toContain('no preflight: the ASG provider has none');
  });
});
