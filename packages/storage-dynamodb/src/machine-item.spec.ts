import { isMachineFinished } from '@open-hostfactory/core';
import { aMachine } from '@open-hostfactory/core/testing';
import { machineFromItem, machineToItem } from './machine-item';

const context = { providerName: 'aws', retentionSeconds: 86_400 };

describe('machine items', () => {
  it('round-trips a machine with every index key scoped by provider', () => {
    const machine = aMachine({
      machineId: 'i-1',
      requestId: 'req-1',
      templateId: 'T',
      name: 'host-1',
      returnRequestId: 'ret-1',
      status: 'shutting-down',
      cloudHostId: 'h-1',
      notice: { kind: 'spot-interruption', deadline: 7 },
    });
    const item = machineToItem(machine, context);
    expect(item).toMatchObject({
      pk: { S: 'aws#i-1' },
      requestKey: { S: 'aws#req-1' },
      templateKey: { S: 'aws#T' },
      nameKey: { S: 'aws#host-1' },
      returnRequestKey: { S: 'aws#ret-1' },
      gone: { BOOL: false },
    });
    expect(machineFromItem(item, 'hf-machines', 'aws')).toEqual(machine);
  });

  it('keeps an empty name queryable (index keys are never empty strings)', () => {
    expect(machineToItem(aMachine({ name: '' }), context)['nameKey']).toEqual({ S: 'aws#' });
  });

  it('puts the sparse template key only on machines that count against the quota', () => {
    expect(machineToItem(aMachine({ templateId: 'T' }), context)['templateKey']).toEqual({ S: 'aws#T' });
    expect(machineToItem(aMachine({ returnRequestId: 'ret-1', status: 'shutting-down' }), context)['templateKey']).toBeDefined();
    expect(machineToItem(aMachine({ returnRequestId: 'ret-1', status: 'terminated' }), context)['templateKey']).toBeUndefined();
    expect(machineToItem(aMachine({ result: 'fail' }), context)['templateKey']).toBeUndefined();
    expect(machineToItem(aMachine({ gone: true }), context)['templateKey']).toBeUndefined();
  });

  it('puts the sparse held key only on held machines', () => {
    expect(machineToItem(aMachine({}), context)['heldKey']).toEqual({ S: 'aws' });
    expect(machineToItem(aMachine({ result: 'fail' }), context)['heldKey']).toBeUndefined();
    expect(machineToItem(aMachine({ returnRequestId: 'ret-1' }), context)['heldKey']).toBeUndefined();
    expect(machineToItem(aMachine({ gone: true }), context)['heldKey']).toBeUndefined();
  });

  it('sets the TTL once a machine is finished with: gone, or terminated after return or failure', () => {
    const gone = aMachine({ gone: true, status: 'terminated', updatedAt: 10_000 });
    expect(machineToItem(gone, context)['expiresAt']).toEqual({ N: String(10 + 86_400) });
    expect(isMachineFinished(aMachine({ returnRequestId: 'ret-1', status: 'terminated' }))).toBe(true);
    expect(isMachineFinished(aMachine({ result: 'fail', status: 'terminated' }))).toBe(true);
    expect(isMachineFinished(aMachine({ returnRequestId: 'ret-1', status: 'shutting-down' }))).toBe(false);
    expect(isMachineFinished(aMachine({ status: 'running' }))).toBe(false);
    expect(machineToItem(aMachine({ status: 'running' }), context)['expiresAt']).toBeUndefined();
  });

  it.each([
    ['gone', { N: '1' }],
    ['weight', { N: '0' }],
    ['status', { S: 'exploded' }],
    ['result', { S: 'maybe' }],
    ['priceType', { S: 'free' }],
    ['name', undefined],
    ['noticeKind', { S: 'meteor' }],
  ])('rejects an item whose %s is %j with STORAGE_ERROR naming table, key and attribute', (attribute, value) => {
    const item = { ...machineToItem(aMachine({ machineId: 'i-1' }), context), [attribute]: value };
    if (value === undefined) delete item[attribute];
    expect(() => machineFromItem(item, 'hf-machines', 'aws')).toThrow(
      expect.objectContaining({ code: 'STORAGE_ERROR', details: { table: 'hf-machines', key: 'aws#i-1', attribute } }),
    );
  });

  it('rejects a notice deadline without a notice kind', () => {
    const item = { ...machineToItem(aMachine({ machineId: 'i-1' }), context), noticeDeadline: { N: '5' } };
    expect(() => machineFromItem(item, 'hf-machines', 'aws')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ attribute: 'noticeKind' }) }),
    );
  });
});
