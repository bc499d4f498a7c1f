import { HostFactoryError, type MachineReport, type RequestReport } from '@open-hostfactory/core';
import { aMachine, aReturnRequest, aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import {
  FAILED_MACHINE_MESSAGE,
  exitCodeFor,
  formatError,
  formatRequestMachines,
  formatRequestStatus,
  formatReturnMachines,
  formatReturnRequests,
  formatTemplates,
  serialize,
} from './format-output';

const REQ = 'req-00000000-0000-4000-8000-000000000001';
const RET = 'ret-00000000-0000-4000-8000-000000000001';

function aReport(overrides: Partial<RequestReport> = {}): RequestReport {
  return {
    requestId: REQ,
    kind: 'acquire',
    found: true,
    status: 'complete',
    message: '',
    machines: [{ machine: aMachine(), result: 'succeed', message: '' }],
    ...overrides,
  };
}

describe('formatTemplates', () => {
  const attributes = {
    type: ['String', 'X86_64'],
    ncpus: ['Numeric', '2'],
    ncores: ['Numeric', '1'],
    nram: ['Numeric', '4096'],
  } as const;

  it('prints the spec keys in order, attributes as [kind, string] pairs, tags as a string', () => {
    const template = aTemplate({ instanceTags: { team: 'hpc', project: 'risk' } });
    const doc = formatTemplates([{ template, attributes, availableNumber: 7 }]);
    expect(Object.keys(doc)).toEqual(['templates', 'message']);
    expect(doc.message).toBe('Get available templates success.');
    expect(doc.templates[0]).toEqual({
      templateId: 'OnDemand-Small',
      maxNumber: 10,
      availableNumber: 7,
      attributes: {
        type: ['String', 'X86_64'],
        ncpus: ['Numeric', '2'],
        ncores: ['Numeric', '1'],
        nram: ['Numeric', '4096'],
      },
      vmType: 't3.medium',
      priceType: 'ondemand',
      instanceTags: 'team=hpc;project=risk',
      imageId: 'ami-12c6146b',
      subnetId: 'subnet-11111111',
      providerApi: 'RunInstances',
    });
    expect(Object.keys(doc.templates[0] ?? {})).toEqual([
      'templateId',
      'maxNumber',
      'availableNumber',
      'attributes',
      'vmType',
      'priceType',
      'instanceTags',
      'imageId',
      'subnetId',
      'providerApi',
    ]);
  });

  it('uses the derived attributes of the use case, not the configured ones', () => {
    const template = aTemplate({ attributes: { type: ['String', 'X86_64'] } });
    const doc = formatTemplates([{ template, attributes, availableNumber: 1 }]);
    expect(doc.templates[0]?.attributes['nram']).toEqual(['Numeric', '4096']);
  });

  it('joins several subnets, omits none, and shows vmTypes, fleetType when set', () => {
    const template = aTemplate({
      subnetIds: ['subnet-a', 'subnet-b'],
      vmType: undefined,
      vmTypes: { 'm5.large': 1, 'm5a.large': 1 },
      providerApi: 'EC2Fleet',
      fleetType: 'instant',
      priceType: 'spot',
    });
    const [entry] = formatTemplates([{ template, attributes, availableNumber: -1 }]).templates;
    expect(entry).toMatchObject({
      vmType: 'm5.large',
      subnetId: 'subnet-a,subnet-b',
      vmTypes: { 'm5.large': 1, 'm5a.large': 1 },
      providerApi: 'EC2Fleet',
      fleetType: 'instant',
      priceType: 'spot',
      availableNumber: -1,
    });
    const [bare] = formatTemplates([{ template: aTemplate({ subnetIds: [] }), attributes, availableNumber: 1 }]).templates;
    expect(bare).not.toHaveProperty('subnetId');
    expect(bare).not.toHaveProperty('fleetType');
    expect(bare).not.toHaveProperty('vmTypes');
  });

  it('keeps the given order and answers an empty list as such', () => {
    const list = ['B', 'A', 'C'].map((templateId) => ({ template: aTemplate({ templateId }), attributes, availableNumber: 1 }));
    expect(formatTemplates(list).templates.map((t) => t.templateId)).toEqual(['B', 'A', 'C']);
    expect(formatTemplates([])).toEqual({ templates: [], message: 'Get available templates success.' });
  });
});

describe('formatRequestMachines', () => {
  const out = {
    request: anAcquireRequest({ machineCount: 2 }),
    template: aTemplate(),
    machines: [aMachine({ machineId: 'i-1', status: 'pending', result: 'executing' }), aMachine({ machineId: 'i-2' })],
  };

  it('answers HF with requestId and message only', () => {
    const doc = formatRequestMachines(out, 'hf');
    expect(doc).toEqual({ requestId: REQ, message: 'Request VM success from AWS.' });
    expect(Object.keys(doc)).toEqual(['requestId', 'message']);
  });

  it('answers the guide with the machines known so far, pending, with the template attributes', () => {
    expect(formatRequestMachines(out, 'guide')).toEqual({
      requestId: REQ,
      message: 'Request VM success from AWS.',
      machines: [
        { machineId: 'i-1', status: 'pending', attributes: aTemplate().attributes },
        { machineId: 'i-2', status: 'pending', attributes: aTemplate().attributes },
      ],
    });
    expect(formatRequestMachines({ ...out, machines: [] }, 'guide').machines).toEqual([]);
  });
});

describe('formatRequestStatus (HF)', () => {
  it('prints every machine key of the spec with the right types', () => {
    const machine = aMachine({
      machineId: 'i-0721bb06651cad7f1',
      name: 'ip-10-0-57-22.ec2.internal',
      privateIpAddress: '10.0.57.22',
      launchTime: 1734619942.75,
      instanceTags: 'team=hpc;project=risk',
    });
    const doc = formatRequestStatus([aReport({ machines: [{ machine, result: 'succeed', message: '' }] })], 'hf');
    expect(doc).toEqual({
      requests: [
        {
          requestId: REQ,
          status: 'complete',
          message: '',
          machines: [
            {
              machineId: 'i-0721bb06651cad7f1',
              name: 'ip-10-0-57-22.ec2.internal',
              result: 'succeed',
              status: 'running',
              privateIpAddress: '10.0.57.22',
              publicIpAddress: '',
              launchtime: 1734619942,
              message: '',
              priceType: 'ondemand',
              instanceType: 't3.medium',
              instanceTags: 'team=hpc;project=risk',
              cloudHostId: null,
            },
          ],
        },
      ],
    });
    const printed = doc.requests[0]?.machines[0];
    expect(Object.keys(printed ?? {})).toEqual([
      'machineId',
      'name',
      'result',
      'status',
      'privateIpAddress',
      'publicIpAddress',
      'launchtime',
      'message',
      'priceType',
      'instanceType',
      'instanceTags',
      'cloudHostId',
    ]);
    expect(Number.isInteger(printed?.launchtime)).toBe(true);
    expect(serialize(doc)).toContain('"cloudHostId": null');
  });

  it('prints cloudHostId when set, and the private IP as name when there is no DNS name', () => {
    const machine = aMachine({ cloudHostId: 'h-0abc', name: '', privateIpAddress: '10.0.0.9' });
    const printed = formatRequestStatus([aReport({ machines: [{ machine, result: 'succeed', message: '' }] })], 'hf').requests[0]?.machines[0];
    expect(printed?.cloudHostId).toBe('h-0abc');
    expect(printed?.name).toBe('10.0.0.9');
  });

  it('gives a failed machine a message: the report, the machine, or a fallback', () => {
    const failed = aMachine({ status: 'terminated', result: 'fail', message: '' });
    const reports: MachineReport[] = [
      { machine: failed, result: 'fail', message: 'Server.InsufficientInstanceCapacity' },
      { machine: { ...failed, message: 'Instance terminated before it was ready' }, result: 'fail', message: '' },
      { machine: failed, result: 'fail', message: '' },
    ];
    const machines = formatRequestStatus([aReport({ status: 'complete_with_error', machines: reports })], 'hf').requests[0]?.machines;
    expect(machines?.map((m) => m.message)).toEqual([
      'Server.InsufficientInstanceCapacity',
      'Instance terminated before it was ready',
      FAILED_MACHINE_MESSAGE,
    ]);
    expect(machines?.every((m) => m.result === 'fail' && m.message !== '')).toBe(true);
  });

  it('answers unknown ids with complete_with_error and no machines, in input order with duplicates', () => {
    const doc = formatRequestStatus(
      [
        aReport({ requestId: 'req-gone', found: false, kind: undefined, status: 'complete_with_error', machines: [] }),
        aReport(),
        aReport({ requestId: 'ret-x', found: false, status: 'complete_with_error', message: 'Unknown return request', machines: [] }),
        aReport(),
      ],
      'hf',
    );
    expect(doc.requests.map((r) => [r.requestId, r.status, r.message, r.machines.length])).toEqual([
      ['req-gone', 'complete_with_error', 'Request req-gone not found', 0],
      [REQ, 'complete', '', 1],
      ['ret-x', 'complete_with_error', 'Unknown return request', 0],
      [REQ, 'complete', '', 1],
    ]);
  });

  it('passes running and return-request results through', () => {
    const machine = aMachine({ status: 'shutting-down', returnRequestId: RET });
    const doc = formatRequestStatus(
      [
        aReport({
          requestId: RET,
          kind: 'return',
          status: 'running',
          message: '1 of 1 machines still terminating',
          machines: [{ machine, result: 'executing', message: '' }],
        }),
      ],
      'hf',
    );
    expect(doc.requests[0]).toMatchObject({ requestId: RET, status: 'running', message: '1 of 1 machines still terminating' });
    expect(doc.requests[0]?.machines[0]).toMatchObject({ result: 'executing', status: 'shutting-down' });
  });

  it('answers an empty list for no ids', () => {
    expect(formatRequestStatus([], 'hf')).toEqual({ requests: [] });
  });
});

describe('formatRequestStatus (guide)', () => {
  it.each([
    ['running', 'running'],
    ['complete', 'completed'],
    ['complete_with_error', 'completed_with_error'],
  ] as const)('maps %s to %s', (status, expected) => {
    expect(formatRequestStatus([aReport({ status })], 'guide').status).toBe(expected);
  });

  it('answers the request at top level; machines carry ipAddress and the template attributes', () => {
    const machine = aMachine({ machineId: 'i-1', privateIpAddress: '10.0.0.7', publicIpAddress: '3.3.3.3' });
    const doc = formatRequestStatus([aReport({ template: aTemplate(), machines: [{ machine, result: 'succeed', message: '' }] })], 'guide');
    expect(Object.keys(doc)).toEqual(['requestId', 'status', 'message', 'machines']);
    expect(doc.machines[0]).toEqual({
      machineId: 'i-1',
      name: 'ip-10-0-0-1.ec2.internal',
      result: 'succeed',
      status: 'running',
      privateIpAddress: '10.0.0.7',
      ipAddress: '10.0.0.7',
      publicIpAddress: '3.3.3.3',
      launchtime: 1_700_000_000,
      message: '',
      instanceType: 't3.medium',
      priceType: 'ondemand',
      attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '2'], nram: ['Numeric', '4096'] },
    });
  });

  it('omits attributes when the template is unknown and gives failed machines a message', () => {
    const machine = aMachine({ status: 'terminated', result: 'fail' });
    const doc = formatRequestStatus([aReport({ status: 'complete_with_error', machines: [{ machine, result: 'fail', message: '' }] })], 'guide');
    expect(doc.machines[0]).not.toHaveProperty('attributes');
    expect(doc.machines[0]?.message).toBe(FAILED_MACHINE_MESSAGE);
  });

  it('answers an unknown id with completed_with_error', () => {
    expect(formatRequestStatus([aReport({ requestId: 'req-x', found: false, machines: [] })], 'guide')).toEqual({
      requestId: 'req-x',
      status: 'completed_with_error',
      message: 'Request req-x not found',
      machines: [],
    });
  });

  it('fails loudly without a report', () => {
    expect(() => formatRequestStatus([], 'guide')).toThrow(HostFactoryError);
  });
});

describe('formatReturnMachines', () => {
  const machines = [aMachine({ machineId: 'i-1', returnRequestId: RET }), aMachine({ machineId: 'i-2', returnRequestId: RET })];
  const out = { request: aReturnRequest({ machineCount: 2 }), machines, alreadyReturning: [], unknown: [] };

  it('answers HF with the return id and Delete VM success', () => {
    const doc = formatReturnMachines(out, 'hf');
    expect(doc).toEqual({ requestId: RET, message: 'Delete VM success.' });
    expect(Object.keys(doc)).toEqual(['requestId', 'message']);
  });

  it('answers HF with No Active VM when no machine is alive', () => {
    expect(formatReturnMachines({ ...out, machines: [], alreadyReturning: [aMachine()] }, 'hf')).toEqual({
      requestId: RET,
      message: 'No Active VM.',
    });
  });

  it("names the machines that are not this provider instance's (never a silent no-op)", () => {
    expect(formatReturnMachines({ ...out, unknown: [{ machineId: 'i-9' }, { name: 'host-x' }] }, 'hf')).toEqual({
      requestId: RET,
      message: 'Delete VM success. Not machines of this provider, left alone: i-9, host-x.',
    });
    expect(formatReturnMachines({ ...out, machines: [], unknown: [{ machineId: 'i-9' }] }, 'hf').message).toBe(
      'No Active VM. Not machines of this provider, left alone: i-9.',
    );
  });

  it('answers the guide with both ids and the terminating machines', () => {
    expect(formatReturnMachines(out, 'guide', 'req-asked')).toEqual({
      requestId: 'req-asked',
      returnRequestId: RET,
      status: 'terminating',
      machines: [
        { machineId: 'i-1', status: 'terminating' },
        { machineId: 'i-2', status: 'terminating' },
      ],
    });
  });

  it('falls back to the machines acquire request id in the guide dialect', () => {
    expect(formatReturnMachines(out, 'guide').requestId).toBe(REQ);
    expect(formatReturnMachines({ ...out, machines: [] }, 'guide')).toEqual({
      requestId: '',
      returnRequestId: RET,
      status: 'terminating',
      machines: [],
    });
  });
});

describe('formatReturnRequests', () => {
  it('lists machines with name, id and whole-second grace periods', () => {
    const doc = formatReturnRequests([
      { machineId: 'i-1', name: 'ip-10-0-57-7.ec2.internal', gracePeriod: 0, reason: 'terminated' },
      { machineId: 'i-2', name: 'ip-10-0-57-8.ec2.internal', gracePeriod: 87.6, reason: 'spot interruption' },
      { machineId: 'i-3', name: '', gracePeriod: -4, reason: 'gone' },
    ]);
    expect(Object.keys(doc)).toEqual(['status', 'message', 'requests']);
    expect(doc).toEqual({
      status: 'complete',
      message: 'Instances marked for termination retrieved successfully.',
      requests: [
        { machine: 'ip-10-0-57-7.ec2.internal', machineId: 'i-1', gracePeriod: 0 },
        { machine: 'ip-10-0-57-8.ec2.internal', machineId: 'i-2', gracePeriod: 87 },
        { machine: 'i-3', machineId: 'i-3', gracePeriod: 0 },
      ],
    });
  });

  it('answers an empty list', () => {
    expect(formatReturnRequests([]).requests).toEqual([]);
  });
});

describe('formatError', () => {
  it('prints a HostFactoryError with its code, message and details', () => {
    const error = new HostFactoryError('TEMPLATE_NOT_FOUND', "Template 'nope' not found", {
      details: { available_templates: ['OnDemand-Small'] },
      cause: new Error('secret cause'),
    });
    const doc = formatError(error);
    expect(doc).toEqual({
      message: "Template 'nope' not found",
      error: {
        code: 'TEMPLATE_NOT_FOUND',
        message: "Template 'nope' not found",
        details: { available_templates: ['OnDemand-Small'] },
      },
    });
    expect(Object.keys(doc)).toEqual(['message', 'error']);
    expect(serialize(doc)).not.toMatch(/secret cause|stack/);
  });

  it('prints any other thrown value as INTERNAL_ERROR without a stack', () => {
    const doc = formatError(new TypeError('x is not a function'));
    expect(doc).toEqual({
      message: 'x is not a function',
      error: { code: 'INTERNAL_ERROR', message: 'x is not a function', details: {} },
    });
    expect(formatError('boom').error).toEqual({ code: 'INTERNAL_ERROR', message: 'boom', details: {} });
    expect(formatError(undefined).error.code).toBe('INTERNAL_ERROR');
    expect(formatError(new Error('')).message).toBe('INTERNAL_ERROR');
  });

  it('keeps details printable: errors by message, bigints as strings, cycles as a note', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(
      formatError(new HostFactoryError('PROVIDER_ERROR', 'p', { details: { inner: new Error('inner'), big: BigInt(5) } })).error.details,
    ).toEqual({ inner: 'inner', big: '5' });
    expect(formatError(new HostFactoryError('PROVIDER_ERROR', 'p', { details: cyclic })).error.details).toEqual({
      note: 'details could not be printed as JSON',
    });
  });
});

describe('exitCodeFor', () => {
  it.each([
    ['INVALID_INPUT', 2],
    ['TEMPLATE_NOT_FOUND', 2],
    ['MAX_NUMBER_EXCEEDED', 2],
    ['REQUEST_NOT_FOUND', 2],
    ['CONFIG_INVALID', 3],
    ['TEMPLATE_INVALID', 3],
    ['PROVIDER_ERROR', 4],
    ['INSUFFICIENT_CAPACITY', 4],
    ['QUOTA_EXCEEDED', 4],
    ['THROTTLED', 4],
    ['AUTH_ERROR', 4],
    ['NOT_FOUND', 4],
    ['STORAGE_ERROR', 5],
    ['CONFLICT', 5],
    ['INTERNAL_ERROR', 1],
  ] as const)('maps %s to %i', (code, exit) => {
    expect(exitCodeFor(new HostFactoryError(code, 'm'))).toBe(exit);
  });

  it('answers 1 for values that are not HostFactoryErrors', () => {
    expect(exitCodeFor(new Error('x'))).toBe(1);
    expect(exitCodeFor('x')).toBe(1);
  });
});

describe('serialize', () => {
  it('prints two-space indented JSON with a final newline', () => {
    expect(serialize({ a: [1], b: 'x' })).toBe('{\n  "a": [\n    1\n  ],\n  "b": "x"\n}\n');
  });
});
