import {
  DescribeInstanceTypesCommand,
  GetInstanceTypesFromInstanceRequirementsCommand,
  type ArchitectureType,
  type InstanceRequirementsRequest,
  type DescribeInstanceTypesCommandInput,
  type InstanceTypeInfo as Ec2InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '@open-hostfactory/core';
import { allItems, apiShape, chunk, unique, withoutUnknownIds } from '@open-hostfactory/aws-common';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, mapEc2Error } from './errors';

/** Most instance types EC2 accepts in one DescribeInstanceTypes call. */
export const INSTANCE_TYPES_BATCH = 100;

/**
 * Instance-type facts from EC2 DescribeInstanceTypes (vCPUs, cores, memory, architecture).
 * No caching here: the app wraps the port in a caching decorator.
 */
export class Ec2InstanceTypeCatalog implements InstanceTypeCatalog {
  constructor(private readonly client: Ec2Client) {}

  /**
   * Info for each known type; unknown types are left out (EC2 rejects a whole call naming one,
   * so those calls are retried without the named types, or type by type). Throws
   * HostFactoryError (THROTTLED, AUTH_ERROR, PROVIDER_ERROR…) when EC2 fails. Read-only.
   */
  async describe(instanceTypes: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
    const found = new Map<string, InstanceTypeInfo>();
    for (const batch of chunk(unique(instanceTypes), INSTANCE_TYPES_BATCH)) {
      for (const info of await this.describeBatch(batch)) found.set(info.instanceType, info);
    }
    return found;
  }

  /**
   * The smallest type (fewest vCPUs, then least memory, then name) EC2 offers for attribute-based
   * `requirements` (camelCase `InstanceRequirements`) on `architecture`, hvm:
   * GetInstanceTypesFromInstanceRequirements (all pages), then DescribeInstanceTypes of the
   * matches. Undefined when none matches. Throws as {@link mapEc2Error}. Read-only.
   */
  async smallestMatching(requirements: Readonly<Record<string, unknown>>, architecture: string): Promise<string | undefined> {
    let names: string[];
    try {
      const found = await allItems(
        (NextToken) =>
          this.client.send(
            new GetInstanceTypesFromInstanceRequirementsCommand({
              ArchitectureTypes: [architecture as ArchitectureType],
              VirtualizationTypes: ['hvm'],
              InstanceRequirements: apiShape(requirements) as InstanceRequirementsRequest,
              NextToken,
            }),
          ),
        (page) => page.InstanceTypes,
      );
      names = unique(found.flatMap((entry) => (entry.InstanceType ? [entry.InstanceType] : [])));
    } catch (error) {
      throw mapEc2Error(error, 'GetInstanceTypesFromInstanceRequirements');
    }
    const infos = [...(await this.describe(names)).values()];
    infos.sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.instanceType.localeCompare(b.instanceType));
    return infos[0]?.instanceType;
  }

  private async describeBatch(types: readonly string[]): Promise<InstanceTypeInfo[]> {
    const { results } = await withoutUnknownIds(
      types,
      (batch) => this.describeTypes(batch),
      (error) => awsErrorCode(error) === 'InvalidInstanceType',
      (error) => typesNamedIn(error instanceof Error ? error.message : ''),
    ).catch((error: unknown) => {
      throw mapEc2Error(error, 'DescribeInstanceTypes');
    });
    return results.flat();
  }

  /** One DescribeInstanceTypes call with its pages; SDK errors are thrown raw. */
  private async describeTypes(types: readonly string[]): Promise<InstanceTypeInfo[]> {
    const raw = await allItems(
      (NextToken) =>
        this.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: types as DescribeInstanceTypesCommandInput['InstanceTypes'], NextToken })),
      (page) => page.InstanceTypes,
    );
    return raw.flatMap((type) => toInstanceTypeInfo(type) ?? []);
  }
}

function toInstanceTypeInfo(raw: Ec2InstanceTypeInfo): InstanceTypeInfo | undefined {
  const vcpus = raw.VCpuInfo?.DefaultVCpus;
  const memoryMiB = raw.MemoryInfo?.SizeInMiB;
  if (!raw.InstanceType || vcpus === undefined || memoryMiB === undefined) return undefined;
  const architecture = raw.ProcessorInfo?.SupportedArchitectures?.[0];
  const gpus = (raw.GpuInfo?.Gpus ?? []).reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0);
  const model = [...new Set((raw.GpuInfo?.Gpus ?? []).map((gpu) => [gpu.Manufacturer, gpu.Name].filter(Boolean).join(' ')).filter(Boolean))].join(
    ', ',
  );
  return {
    instanceType: raw.InstanceType,
    vcpus,
    memoryMiB,
    ...(raw.VCpuInfo?.DefaultCores !== undefined ? { cores: raw.VCpuInfo.DefaultCores } : {}),
    ...(architecture ? { architecture } : {}),
    ...(gpus > 0 ? { gpus, ...(model ? { gpuModel: model } : {}) } : {}),
  };
}

/** Types named in `The following supplied instance types do not exist: [a, b]`. */
function typesNamedIn(message: string): string[] {
  const list = /\[([^\]]*)\]/.exec(message)?.[1];
  if (!list) return [];
  return list
    .split(',')
    .map((type) => type.trim().replace(/^['"]|['"]$/g, ''))
    .filter(Boolean);
}
