import type { Machine, MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { Template } from '../domain/template/template';

/** Test data builders: a valid value with the given fields overridden. */
export function aTemplate(overrides: Partial<Template> = {}): Template {
  return {
    templateId: 'OnDemand-Small',
    maxNumber: 10,
    attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] },
    imageId: 'ami-12c6146b',
    subnetIds: ['subnet-11111111'],
    vmType: 't3.medium',
    priceType: 'ondemand',
    providerApi: 'RunInstances',
    securityGroupIds: ['sg-11111111'],
    instanceTags: { team: 'hpc' },
    ...overrides,
  };
}

/** A running acquire request for one machine of `OnDemand-Small`, with `overrides`. */
export function anAcquireRequest(overrides: Partial<Request> = {}): Request {
  return {
    requestId: 'req-00000000-0000-4000-8000-000000000001',
    kind: 'acquire',
    templateId: 'OnDemand-Small',
    providerApi: 'RunInstances',
    machineCount: 1,
    status: 'running',
    message: '',
    launchAttempts: 0,
    failedAttempts: 0,
    providerData: {},
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    version: 0,
    ...overrides,
  };
}

/** A running return request, with `overrides`. */
export function aReturnRequest(overrides: Partial<Request> = {}): Request {
  return anAcquireRequest({
    requestId: 'ret-00000000-0000-4000-8000-000000000001',
    kind: 'return',
    templateId: undefined,
    providerApi: undefined,
    ...overrides,
  });
}

/** A running machine of an acquire request, with `overrides`. */
export function aMachine(overrides: Partial<Machine> = {}): Machine {
  return {
    machineId: 'i-0123456789abcdef0',
    requestId: 'req-00000000-0000-4000-8000-000000000001',
    templateId: 'OnDemand-Small',
    providerApi: 'RunInstances',
    name: 'ip-10-0-0-1.ec2.internal',
    privateIpAddress: '10.0.0.1',
    publicIpAddress: '',
    launchTime: 1_700_000_000,
    status: 'running',
    result: 'succeed',
    message: '',
    priceType: 'ondemand',
    instanceType: 't3.medium',
    instanceTags: 'team=hpc',
    weight: 1,
    gone: false,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    version: 0,
    ...overrides,
  };
}

/** The cloud's view of a running instance, with `overrides`. */
export function anObservation(overrides: Partial<MachineObservation> = {}): MachineObservation {
  return {
    machineId: 'i-0123456789abcdef0',
    requestId: 'req-00000000-0000-4000-8000-000000000001',
    templateId: 'OnDemand-Small',
    name: 'ip-10-0-0-1.ec2.internal',
    privateIpAddress: '10.0.0.1',
    publicIpAddress: '',
    launchTime: 1_700_000_000,
    state: 'running',
    instanceType: 't3.medium',
    priceType: 'ondemand',
    ...overrides,
  };
}
