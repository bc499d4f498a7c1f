import { aReturnRequest, anAcquireRequest } from '@open-hostfactory/core/testing';
import { requestFromItem, requestToItem } from './request-item';

const context = { providerName: 'aws', retentionSeconds: 30 * 86_400 };

describe('request items', () => {
  it('round-trips a request and keys it by provider, with the status index key', () => {
    const request = anAcquireRequest({
      requestId: 'req-1',
      templateId: 'T',
      providerData: { fleetId: 'f-1' },
      launchLease: { until: 5, holder: 'h:1:2', count: 3 },
      firstPolledAt: 4,
      rcAccount: 'desk-1',
    });
    const item = requestToItem(request, context);
    expect(item).toMatchObject({
      pk: { S: 'aws#req-1' },
      provider: { S: 'aws' },
      statusKey: { S: 'aws#acquire#running' },
      createdAt: { N: String(request.createdAt) },
      providerData: { S: '{"fleetId":"f-1"}' },
      rcAccount: { S: 'desk-1' },
    });
    expect(item['expiresAt']).toBeUndefined();
    expect(requestFromItem(item, 'hf-requests', 'aws')).toEqual(request);
  });

  it('sets the TTL only on a closed request, to closedAt + retention, in epoch seconds, and keys it apart', () => {
    const done = aReturnRequest({ requestId: 'ret-1', status: 'complete', closedAt: 1_700_000_000_500 });
    const item = requestToItem(done, context);
    expect(item['expiresAt']).toEqual({ N: String(1_700_000_001 + 30 * 86_400) });
    expect(item['statusKey']).toEqual({ S: 'aws#return#complete#closed' });
    const closed = anAcquireRequest({ status: 'complete_with_error', closedAt: 1_000 });
    expect(requestToItem(closed, { ...context, retentionSeconds: 60 })['expiresAt']).toEqual({ N: '61' });
    // Ended but still holding machines HF uses: never expires.
    const held = anAcquireRequest({ status: 'complete', updatedAt: 1_000 });
    expect(requestToItem(held, context)['expiresAt']).toBeUndefined();
    expect(requestToItem(held, context)['statusKey']).toEqual({ S: 'aws#acquire#complete' });
  });

  it.each([
    ['kind', { S: 'borrow' }],
    ['machineCount', { N: '-1' }],
    ['machineCount', { S: '3' }],
    ['status', undefined],
    ['providerData', { S: '{"a":1}' }],
    ['providerData', { S: 'not json' }],
    ['version', { N: '1.5' }],
    ['providerApi', { S: '9 lives' }],
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
