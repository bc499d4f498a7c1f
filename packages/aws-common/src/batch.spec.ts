import { awsError } from './testing';
import { chunk, idsIn, unique, withoutUnknownIds } from './batch';

const unknownIds = (error: unknown) => (error as Error).name === 'InvalidInstanceID.NotFound';
const named = (error: unknown) => idsIn(error, /i-[0-9a-z]+/g);

describe('withoutUnknownIds', () => {
  it('retries without the ids the error names', async () => {
    const calls: string[][] = [];
    const known = new Set(['i-1', 'i-3']);
    const outcome = await withoutUnknownIds(
      ['i-1', 'i-2', 'i-3', 'i-4'],
      async (ids) => {
        calls.push(ids);
        const missing = ids.filter((id) => !known.has(id));
        if (missing.length) throw awsError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
        return ids.length;
      },
      unknownIds,
      named,
    );
    expect(outcome).toEqual({ results: [2], unknown: ['i-2', 'i-4'] });
    expect(calls).toEqual([
      ['i-1', 'i-2', 'i-3', 'i-4'],
      ['i-1', 'i-3'],
    ]);
  });

  it('goes one by one when the error names none of the ids', async () => {
    const calls: string[][] = [];
    const outcome = await withoutUnknownIds(
      ['i-1', 'i-2', 'i-3'],
      async (ids) => {
        calls.push(ids);
        if (ids.length > 1 || ids[0] === 'i-2') throw awsError('InvalidInstanceID.NotFound', 'Invalid id');
        return ids[0];
      },
      unknownIds,
      named,
    );
    expect(outcome).toEqual({ results: ['i-1', 'i-3'], unknown: ['i-2'] });
    expect(calls).toEqual([['i-1', 'i-2', 'i-3'], ['i-1'], ['i-2'], ['i-3']]);
  });

  it('or hands them to noneNamed, when given', async () => {
    const outcome = await withoutUnknownIds(
      ['i-1', 'bogus'],
      async () => {
        throw awsError('InvalidInstanceID.NotFound', 'Invalid id: "bogus"');
      },
      unknownIds,
      named,
      async (rest) => ({ results: ['looked up'], unknown: rest.slice(1) }),
    );
    expect(outcome).toEqual({ results: ['looked up'], unknown: ['bogus'] });
  });

  it('every id unknown: nothing left, no more calls', async () => {
    let calls = 0;
    const outcome = await withoutUnknownIds(
      ['i-9'],
      async () => {
        calls += 1;
        throw awsError('InvalidInstanceID.NotFound', "The instance ID 'i-9' does not exist");
      },
      unknownIds,
      named,
    );
    expect(outcome).toEqual({ results: [], unknown: ['i-9'] });
    expect(calls).toBe(1);
  });

  it('other errors are thrown as they are', async () => {
    const throttled = awsError('RequestLimitExceeded');
    await expect(withoutUnknownIds(['i-1'], async () => Promise.reject(throttled), unknownIds, named)).rejects.toBe(throttled);
  });
});

describe('unique and chunk', () => {
  it('unique keeps the first of each non-empty value, in order', () => {
    expect(unique(['b', '', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });

  it('chunk cuts into pieces of at most size, the last one shorter', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});
