import { aReturnRequest, anAcquireRequest } from '@open-hostfactory/core/testing';
import { requestFromItem, requestToItem } from './request-item';

const context = { providerName: 'aws', retentionSeconds: 30 * 86_400 };

describe('request items', () => {
  it('round-trips a request and keys it by provider, with the status index key', () => {
    const request = anAcquireRequest({ requestId: 'req-1', templateId: 'T', providerData: { fleetId: 'f-1' }, orphanCheckUntil: 5 });
    const item = requestToItem(request, context);
    expect(item).toMatchObject({
      pk: { S: 'aws#req-1' },
      provider: { S: 'aws' },
      statusKey: { S: 'aws#acquire#running' },
      createdAt: { N: String(request.createdAt) },
      providerData: { S: '{"fleetId":"f-1"}' },
    });
    expect(item['expiresAt']).toBeUndefined();
    expect(requestFromItem(item, 'hf-requests', 'aws')).toEqual(request);
  });

  it('sets the TTL of a finished request to updatedAt + retention, in epoch seconds', () => {
    const done = aReturnRequest({ requestId: 'ret-1', status: 'complete', updatedAt: 1_700_000_000_500 });
    expect(requestToItem(done, context)['expiresAt']).toEqual({ N: String(1_700_000_001 + 30 * 86_400) });
    const failed = anAcquireRequest({ status: 'complete_with_error', updatedAt: 1_000 });
    expect(requestToItem(failed, { ...context, retentionSeconds: 60 })['expiresAt']).toEqual({ N: '61' });
  });

  it.each([
    ['kind', { S: 'borrow' }],
    ['machineCount', { N: '-1' }],
    ['machineCount', { S: '3' }],
    ['status', undefined],
    ['providerData', { S: '{"a":1}' }],
    ['providerData', { S: 'not json' }],
    ['version', { N: '1.5' }],
    ['providerApi', { S: 'Teleport' }],
    ['createdAt', { N: 'NaN' }],
  ])('rejects an item whose %s is %j with STORAGE_ERROR naming table, key and attribute', (attribute, value) => {
    const item = { ...requestToItem(anAcquireRequest({ requestId: 'req-1' }), context), [attribute]: value };
    if (value === undefined) delete item[attribute];
    expect(() => requestFromItem(item, 'hf-requests', 'aws')).toThrow(
      expect.objectContaining({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining(`Corrupt item in DynamoDB table hf-requests (aws#req-1): attribute ${attribute}`),
        details: { table: 'hf-requests', key: 'aws#req-1', attribute },
      }),
    );
  });

  it('rejects an item of another provider or whose key does not match its id', () => {
    const item = requestToItem(anAcquireRequest({ requestId: 'req-1' }), context);
    expect(() => requestFromItem(item, 'hf-requests', 'other')).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    expect(() => requestFromItem({ ...item, requestId: { S: 'req-2' } }, 'hf-requests', 'aws')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ attribute: 'pk' }) }),
    );
    expect(() => requestFromItem(undefined, 'hf-requests', 'aws')).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
  });
});
