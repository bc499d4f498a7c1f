import { aMachine } from '@open-hostfactory/core/testing';
import { machineFromRow, machineToRow } from './machine-row';

describe('machineToRow / machineFromRow', () => {
  it('round-trips a machine with and without its optional fields', () => {
    const full = aMachine({
      returnRequestId: 'ret-1',
      cloudHostId: 'h-1',
      gone: true,
      notice: { kind: 'spot-interruption', deadline: 1_700_000_100 },
      version: 2,
    });
    expect(machineToRow(full)).toMatchObject({ gone: 1, notice_kind: 'spot-interruption', notice_deadline: 1_700_000_100 });
    expect(machineFromRow(machineToRow(full))).toEqual(full);

    const plain = aMachine();
    expect(machineToRow(plain)).toMatchObject({ gone: 0, return_request_id: null, cloud_host_id: null, notice_kind: null });
    const read = machineFromRow(machineToRow(plain));
    expect(read).toEqual(plain);
    expect(Object.keys(read)).not.toEqual(expect.arrayContaining(['returnRequestId', 'cloudHostId', 'notice']));

    const noDeadline = aMachine({ notice: { kind: 'rebalance-recommendation' } });
    expect(machineFromRow(machineToRow(noDeadline))).toEqual(noDeadline);
  });

  it.each([
    ['status', 'exploded'],
    ['result', 'maybe'],
    ['price_type', 'free'],
    ['provider_api', null],
    ['gone', 2],
    ['gone', 'false'],
    ['notice_kind', 'meteor'],
    ['notice_kind', null, { notice_deadline: 5 }],
    ['launch_time', 'yesterday'],
    ['name', 42],
    ['machine_id', null],
  ] as [string, unknown, Record<string, unknown>?][])('rejects a row whose %s holds %p with STORAGE_ERROR', (column, value, extra = {}) => {
    const row = { ...machineToRow(aMachine()), ...extra, [column]: value };
    expect(() => machineFromRow(row)).toThrow(
      expect.objectContaining({ code: 'STORAGE_ERROR', details: expect.objectContaining({ table: 'machines', column }) }),
    );
  });
});
