import type { EC2Client } from '@aws-sdk/client-ec2';
import { motoClient } from '../test/moto';
import { Ec2InstanceTypeCatalog } from './instance-type-catalog';

describe('Ec2InstanceTypeCatalog against moto_server', () => {
  let client: EC2Client;

  beforeAll(() => {
    client = motoClient();
  });

  afterAll(() => client.destroy());

  it('returns vCPUs and memory of t3.medium and m5.large and skips an unknown type', async () => {
    const catalog = new Ec2InstanceTypeCatalog(client);
    const infos = await catalog.describe(['t3.medium', 'm5.large', 'x9.bogus']);
    expect([...infos.keys()].sort()).toEqual(['m5.large', 't3.medium']);
    expect(infos.get('t3.medium')).toMatchObject({ vcpus: 2, memoryMiB: 4096, architecture: 'x86_64' });
    expect(infos.get('m5.large')).toMatchObject({ vcpus: 2, memoryMiB: 8192, architecture: 'x86_64' });
  });
});
