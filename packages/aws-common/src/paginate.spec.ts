import { HostFactoryError } from '@open-hostfactory/core';
import { allItems, allPages } from './paginate';

describe('allPages / allItems', () => {
  it('follows NextToken to the end, asking each page with the previous token', async () => {
    const asked: (string | undefined)[] = [];
    const pages: Record<string, { Items: number[]; NextToken?: string }> = {
      first: { Items: [1, 2], NextToken: 'a' },
      a: { Items: [3], NextToken: 'b' },
      b: { Items: [4], NextToken: '' },
    };
    const items = await allItems(
      async (token: string | undefined) => {
        asked.push(token);
        return pages[token ?? 'first'] as { Items: number[]; NextToken?: string };
      },
      (page) => page.Items,
    );
    expect(items).toEqual([1, 2, 3, 4]);
    expect(asked).toEqual([undefined, 'a', 'b']);
  });

  it('reads other continuations (DynamoDB LastEvaluatedKey objects)', async () => {
    const keys = [{ pk: { S: '1' } }, undefined];
    let call = 0;
    const pages = await allPages(
      async (key: { pk: { S: string } } | undefined) => ({ key, next: keys[call++] }),
      (page) => page.next,
    );
    expect(pages.map((page) => page.key)).toEqual([undefined, { pk: { S: '1' } }]);
  });

  it('a service that repeats its token fails instead of looping', async () => {
    const error = await allPages(async () => ({ NextToken: 'same' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostFactoryError);
    expect((error as HostFactoryError).code).toBe('PROVIDER_ERROR');
    expect((error as HostFactoryError).details).toEqual({ pages: 2 });
  });

  it('bounded by maxPages', async () => {
    let n = 0;
    await expect(allPages(async () => ({ NextToken: `t${n++}` }), undefined, 5)).rejects.toThrow('did not end after 5 pages');
    expect(n).toBe(5);
  });
});
