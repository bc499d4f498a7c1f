import { aReturnRequest, anAcquireRequest } from '@open-hostfactory/core/testing';
import { requestFromRow, requestToRow } from './request-row';

describe('requestToRow / requestFromRow', () => {
  it('round-trips an acquire request and a return request', () => {
    const acquire = anAcquireRequest({ providerApi: 'SpotFleet', providerData: { spotFleetRequestId: 'sfr-1' }, version: 4 });
    const ret = aReturnRequest();
    expect(requestToRow(acquire)).toMatchObject({ provider_data: '{"spotFleetRequestId":"sfr-1"}', version: 4 });
    expect(requestToRow(ret)).toMatchObject({ template_id: null, provider_api: null });
    expect(requestFromRow(requestToRow(acquire))).toEqual(acquire);
    const readReturn = requestFromRow(requestToRow(ret));
    expect(readReturn).toEqual(ret);
    expect('templateId' in readReturn).toBe(false);
  });

  it.each([
    ['kind', 'sideways'],
    ['status', 'done'],
    ['provider_api', 'not a name!'],
    ['machine_count', -1],
    ['machine_count', '3'],
    ['launch_attempts', 1.5],
    ['message', null],
    ['provider_data', 'not json'],
    ['provider_data', '[1]'],
    ['provider_data', '{"a":1}'],
    ['created_at', null],
    ['version', null],
    ['request_id', ''],
  ])('rejects a row whose %s holds %p with STORAGE_ERROR', (column, value) => {
    const row = { ...requestToRow(anAcquireRequest()), [column]: value };
    expect(() => requestFromRow(row)).toThrow(
      expect.objectContaining({ code: 'STORAGE_ERROR', details: expect.objectContaining({ table: 'requests', column }) }),
    );
  });

  it('rejects something that is not a row', () => {
    expect(() => requestFromRow(undefined)).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
  });
});
