import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { aTemplate } from '@open-hostfactory/core/testing';
import { MOTO_AMI, createNetwork, motoClient, type MotoNetwork } from '../test/moto';
import { Ec2TemplateValidator } from './template-validator';

describe('Ec2TemplateValidator against moto_server', () => {
  const ec2 = motoClient();
  const ssm = new SSMClient({
    region: 'us-east-1',
    endpoint: process.env['MOTO_ENDPOINT'],
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const validator = new Ec2TemplateValidator(ec2, () => ssm);
  let network: MotoNetwork;

  beforeAll(async () => {
    network = await createNetwork(ec2);
  });
  afterAll(() => {
    ec2.destroy();
    ssm.destroy();
  });

  const template = (overrides = {}) =>
    aTemplate({ imageId: MOTO_AMI, subnetIds: network.subnetIds, securityGroupIds: [network.securityGroupId], ...overrides });

  it('accepts a template whose resources exist', async () => {
    await expect(validator.prepare(template())).resolves.toEqual(template());
  });

  it('resolves an SSM parameter path to its AMI id', async () => {
    const name = `/hf-test/${Date.now()}/ami`;
    await ssm.send(new PutParameterCommand({ Name: name, Value: MOTO_AMI, Type: 'String' }));
    expect((await validator.prepare(template({ imageId: name }))).imageId).toBe(MOTO_AMI);
  });

  it.each([
    ['subnetId', { subnetIds: ['subnet-0000000000000dead'] }],
    ['securityGroupIds', { securityGroupIds: ['sg-0000000000000dead'] }],
    ['imageId', { imageId: 'ami-0000000000000dead' }],
    ['vmType', { vmType: 'x9.bogus' }],
    ['imageId', { imageId: '/aws/service/does/not/exist' }],
  ])('names %s when it does not exist', async (field, overrides) => {
    await expect(validator.prepare(template(overrides))).rejects.toMatchObject({ code: 'TEMPLATE_INVALID', details: { field } });
  });
});
