import { portToken, type Token } from './token';
/** What HF needs to know of an instance type. */
export interface InstanceTypeInfo {
  readonly instanceType: string;
  /** Hardware threads (what EC2 calls vCPUs). */
  readonly vcpus: number;
  /** Physical cores. */
  readonly cores?: number;
  /** GPUs, for GPU types. */
  readonly gpus?: number;
  /** The GPU model (`NVIDIA A100`), for GPU types. */
  readonly gpuModel?: string;
  /** MiB. */
  readonly memoryMiB: number;
  /** `x86_64`, `arm64`, `i386`. */
  readonly architecture?: string;
}

/** Facts about instance types (EC2 DescribeInstanceTypes, or a fake). */
export interface InstanceTypeCatalog {
  /**
   * Info for each known type; unknown types are left out (no error). Throws HostFactoryError
   * with a provider code (`THROTTLED`, `AUTH_ERROR`, `PROVIDER_ERROR`) when the cloud fails.
   * Idempotent, read-only.
   */
  describe(instanceTypes: readonly string[]): Promise<ReadonlyMap<string, InstanceTypeInfo>>;
  /**
   * The smallest instance type (fewest vCPUs, then least memory) that matches attribute-based
   * `requirements` (a template's `instanceRequirements`) on `architecture`; undefined when none
   * does or the catalog cannot tell. Optional: a catalog without it leaves such templates' HF
   * attributes to what they state.
   */
  smallestMatching?(requirements: Readonly<Record<string, unknown>>, architecture: string): Promise<string | undefined>;
}
/** The injection token of {@link InstanceTypeCatalog}. */
export const InstanceTypeCatalog: Token<InstanceTypeCatalog> = portToken<InstanceTypeCatalog>('InstanceTypeCatalog');
