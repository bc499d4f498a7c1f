import type { InstanceTypeInfo } from '../../ports/instance-type-catalog';
import type { AttributeValue, Template, TemplateAttributes } from './template';

/**
 * The attributes HF sees for a template: the configured ones, with `type`, `ncpus`, `ncores` and
 * `nram` (MiB) filled in from the instance type when the template does not state them.
 * Returns the configured attributes unchanged when no instance-type information is known.
 */
export function resolveTemplateAttributes(template: Template, info: InstanceTypeInfo | undefined): TemplateAttributes {
  const attributes: Record<string, AttributeValue> = { ...template.attributes };
  if (!attributes['type']) {
    attributes['type'] = ['String', info ? architectureToHfType(info.architecture) : 'X86_64'];
  }
  if (info) {
    if (!attributes['ncpus']) attributes['ncpus'] = ['Numeric', String(info.vcpus)];
    if (!attributes['ncores']) attributes['ncores'] = ['Numeric', String(info.cores ?? info.vcpus)];
    if (!attributes['nram']) attributes['nram'] = ['Numeric', String(info.memoryMiB)];
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
