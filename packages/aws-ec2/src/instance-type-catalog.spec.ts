import { FakeAwsClient, awsError } from '@open-hostfactory/aws-common/testing';
import { Ec2InstanceTypeCatalog } from './instance-type-catalog';

const KNOWN: Record<string, [number, number, number, string]> = {
  't3.medium': [2, 1, 4096, 'x86_64'],
  'm5.large': [2, 1, 8192, 'x86_64'],
  'm7g.large': [2, 2, 8192, 'arm64'],
};

function typeInfo(type: string): Record<string, unknown> {
  const [vcpus, cores, memory, arch] = KNOWN[type] ?? [4, 2, 16384, 'x86_64'];
  return {
    InstanceType: type,
    VCpuInfo: { DefaultVCpus: vcpus, DefaultCores: cores },
    MemoryInfo: { SizeInMiB: memory },
    ProcessorInfo: { SupportedArchitectures: [arch, 'i386'] },
  };
}

/** Answers like EC2: the whole call fails when it names an unknown type. */
function ec2Like(
  knows: (type: string) => boolean,
  message = (bad: string[]): string => `The following supplied instance types do not exist: [${bad.join(', ')}]`,
): FakeAwsClient {
  return new FakeAwsClient().on('DescribeInstanceTypesCommand', (input) => {
    const bad = (input.InstanceTypes as string[]).filter((type) => !knows(type));
    if (bad.length) throw awsError('InvalidInstanceType', message(bad));
    return { InstanceTypes: (input.InstanceTypes as string[]).map(typeInfo) };
  });
}

describe('Ec2InstanceTypeCatalog', () => {
  it('maps vCPUs, cores, memory and the first architecture', async () => {
    const catalog = new Ec2InstanceTypeCatalog(ec2Like(() => true));
    const infos = await catalog.describe(['t3.medium', 'm7g.large']);
    expect(infos.get('t3.medium')).toEqual({ instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'x86_64' });
    expect(infos.get('m7g.large')).toEqual({ instanceType: 'm7g.large', vcpus: 2, cores: 2, memoryMiB: 8192, architecture: 'arm64' });
  });

  it('maps GPU types: the GPUs summed over the list, the models by manufacturer and name', async () => {
    const client = new FakeAwsClient().on('DescribeInstanceTypesCommand', () => ({
      InstanceTypes: [
        {
          ...typeInfo('p4d.24xlarge'),
          GpuInfo: { Gpus: [{ Count: 8, Manufacturer: 'NVIDIA', Name: 'A100' }], TotalGpuMemoryInMiB: 327680 },
        },
        {
          ...typeInfo('mixed.gpu'),
          GpuInfo: {
            Gpus: [
              { Count: 1, Manufacturer: 'NVIDIA', Name: 'T4' },
              { Count: 2, Manufacturer: 'AMD', Name: 'V520' },
            ],
          },
        },
      ],
    }));
    const infos = await new Ec2InstanceTypeCatalog(client).describe(['p4d.24xlarge', 'mixed.gpu']);
    expect(infos.get('p4d.24xlarge')).toMatchObject({ gpus: 8, gpuModel: 'NVIDIA A100' });
    expect(infos.get('mixed.gpu')).toMatchObject({ gpus: 3, gpuModel: 'NVIDIA T4, AMD V520' });
  });

  it('asks in batches of 100, once per type, and follows pages', async () => {
    const client = new FakeAwsClient().on('DescribeInstanceTypesCommand', (input) => {
      const types = input.InstanceTypes as string[];
      if (!input.NextToken && types.length > 50) {
        return { InstanceTypes: types.slice(0, 50).map(typeInfo), NextToken: 'more' };
      }
      return { InstanceTypes: (input.NextToken ? types.slice(50) : types).map(typeInfo) };
    });
    const catalog = new Ec2InstanceTypeCatalog(client);
    const types = Array.from({ length: 250 }, (_, i) => `x${i}.large`);
    const infos = await catalog.describe([...types, 'x0.large']);
    expect(infos.size).toBe(250);
    const firstCalls = client.calls('DescribeInstanceTypesCommand').filter((c) => !c.NextToken);
    expect(firstCalls.map((c) => c.InstanceTypes.length)).toEqual([100, 100, 50]);
    expect(client.calls('DescribeInstanceTypesCommand')).toHaveLength(5);
  });

  it('leaves out unknown types named in the error and asks again without them', async () => {
    const client = ec2Like((type) => type in KNOWN);
    const catalog = new Ec2InstanceTypeCatalog(client);
    const infos = await catalog.describe(['t3.medium', 'x9.bogus', 'm5.large', 'y1.nope']);
    expect([...infos.keys()].sort()).toEqual(['m5.large', 't3.medium']);
    expect(client.calls('DescribeInstanceTypesCommand')).toHaveLength(2);
  });

  it('asks type by type when the error does not name the unknown types', async () => {
    const client = ec2Like(
      (type) => type in KNOWN,
      () => 'Invalid instance type',
    );
    const catalog = new Ec2InstanceTypeCatalog(client);
    const infos = await catalog.describe(['t3.medium', 'x9.bogus']);
    expect([...infos.keys()]).toEqual(['t3.medium']);
    expect(client.calls('DescribeInstanceTypesCommand').map((c) => c.InstanceTypes)).toEqual([
      ['t3.medium', 'x9.bogus'],
      ['t3.medium'],
      ['x9.bogus'],
    ]);
  });

  it('returns an empty map for no types without calling EC2', async () => {
    const client = ec2Like(() => true);
    expect((await new Ec2InstanceTypeCatalog(client).describe([])).size).toBe(0);
    expect(client.sent).toHaveLength(0);
  });

  it('maps other errors (throttling, auth)', async () => {
    const client = new FakeAwsClient().on('DescribeInstanceTypesCommand', () => {
      throw awsError('RequestLimitExceeded');
    });
    await expect(new Ec2InstanceTypeCatalog(client).describe(['t3.medium'])).rejects.toMatchObject({ code: 'THROTTLED' });
    client.on('DescribeInstanceTypesCommand', () => {
      throw awsError('AuthFailure');
    });
    await expect(new Ec2InstanceTypeCatalog(client).describe(['t3.medium'])).rejects.toMatchObject({ code: 'AUTH_ERROR' });
  });
});

describe('Ec2InstanceTypeCatalog.smallestMatching', () => {
  it('asks EC2 for the types that match (camelCase turned into the API shape, all pages) and answers the smallest', async () => {
    const client = ec2Like(() => true).on('GetInstanceTypesFromInstanceRequirementsCommand', (input) =>
      input.NextToken
        ? { InstanceTypes: [{ InstanceType: 't3.medium' }] }
        : { InstanceTypes: [{ InstanceType: 'm5.xlarge' }, { InstanceType: 'm5.large' }], NextToken: 'more' },
    );
    const smallest = await new Ec2InstanceTypeCatalog(client).smallestMatching(
      { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, cpuManufacturers: ['intel'] },
      'x86_64',
    );
    expect(smallest).toBe('t3.medium'); // 2 vCPUs and 4096 MiB: fewer than m5.large's 8192
    expect(client.calls('GetInstanceTypesFromInstanceRequirementsCommand')[0]).toEqual({
      ArchitectureTypes: ['x86_64'],
      VirtualizationTypes: ['hvm'],
      InstanceRequirements: { VCpuCount: { Min: 2 }, MemoryMiB: { Min: 4096 }, CpuManufacturers: ['intel'] },
      NextToken: undefined,
    });
  });

  it('answers undefined when nothing matches, and maps a failure', async () => {
    const none = new FakeAwsClient().on('GetInstanceTypesFromInstanceRequirementsCommand', () => ({ InstanceTypes: [] }));
    expect(await new Ec2InstanceTypeCatalog(none).smallestMatching({ vCpuCount: { min: 512 }, memoryMiB: { min: 1 } }, 'arm64')).toBeUndefined();
    const denied = new FakeAwsClient().on('GetInstanceTypesFromInstanceRequirementsCommand', () => {
      throw awsError('UnauthorizedOperation', 'no');
    });
    await expect(
      new Ec2InstanceTypeCatalog(denied).smallestMatching({ vCpuCount: { min: 2 }, memoryMiB: { min: 1 } }, 'x86_64'),
    ).rejects.toMatchObject({
      code: 'AUTH_ERROR',
    });
  });
});
