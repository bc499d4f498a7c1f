import type { MachineOwner } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import { formatInstanceTags, type Template } from '../domain/template/template';

/** What machines launched for an acquire request inherit (the template may be gone from the config). */
export function machineOwner(request: Request, template: Template | undefined): MachineOwner {
  return {
    requestId: request.requestId,
    templateId: request.templateId ?? '',
    providerApi: request.providerApi ?? template?.providerApi ?? 'RunInstances',
    instanceTags: template ? formatInstanceTags(template.instanceTags) : '',
    weights: template?.vmTypes,
  };
}
