import type { InstanceTypeInfo } from '../../ports/instance-type-catalog';
import type { AttributeValue, Template, TemplateAttributes } from './template';

/**
 * What EGO counts as a host's CPUs (`EGO_DEFINE_NCPUS` in ego.conf): `procs` (processors, i.e.
 * sockets), `cores` (EGO's default) or `threads`.
 */
export type CpuCounting = 'procs' | 'cores' | 'threads';
/** Every {@link CpuCounting}. */
export const CPU_COUNTINGS: readonly CpuCounting[] = ['procs', 'cores', 'threads'];

/**
 * The attributes HF sees for a template: the configured ones, with `type`, `ncpus`, `ncores`,
 * `nram` (MiB) and, for GPU types, `ngpus` and `gpumodel` filled in from the instance type when
 * the template does not state them. `ncpus` is counted as EGO will count the host
 * (`counting`, default `cores`): `threads` = vCPUs, `cores` = physical cores, `procs` = 1 (EC2 reports no
 * sockets; a virtual machine shows one). `ncores` is the physical cores. An attribute the
 * template states always wins. Returns the configured attributes unchanged when no
 * instance-type information is known.
 */
export function resolveTemplateAttributes(
  template: Template,
  info: InstanceTypeInfo | undefined,
  counting: CpuCounting = 'cores',
): TemplateAttributes {
  const attributes: Record<string, AttributeValue> = { ...template.attributes };
  if (!attributes['type']) {
    attributes['type'] = ['String', info ? architectureToHfType(info.architecture) : 'X86_64'];
  }
  if (info) {
    const cores = info.cores ?? info.vcpus;
    const ncpus = counting === 'threads' ? info.vcpus : counting === 'cores' ? cores : 1;
    if (!attributes['ncpus']) attributes['ncpus'] = ['Numeric', String(ncpus)];
    if (!attributes['ncores']) attributes['ncores'] = ['Numeric', String(cores)];
    if (!attributes['nram']) attributes['nram'] = ['Numeric', String(info.memoryMiB)];
    if (info.gpus !== undefined && info.gpus > 0) {
      if (!attributes['ngpus']) attributes['ngpus'] = ['Numeric', String(info.gpus)];
      if (!attributes['gpumodel'] && info.gpuModel) attributes['gpumodel'] = ['String', info.gpuModel];
    }
  }
  return attributes;
}

function architectureToHfType(architecture: string | undefined): string {
  switch (architecture) {
    case 'arm64':
      return 'ARM64';
    case 'i386':
      return 'X86';
    default:
      return 'X86_64';
  }
}

/** True when HF's mandatory attributes (`type`, `ncpus`, `nram`) are present. */
export function hasMandatoryAttributes(attributes: TemplateAttributes): boolean {
  return Boolean(attributes['type'] && attributes['ncpus'] && attributes['nram']);
}
