import { createTableInput, isTableActive, isValidTablePrefix, schemaMismatches, tableDesigns, tableNames } from './table-design';

describe('table design', () => {
  const designs = tableDesigns(tableNames('hf'));

  it('makes on-demand tables keyed by pk with key-only indexes sorted by createdAt', () => {
    const machines = createTableInput(designs[1]!);
    expect(machines).toMatchObject({
      TableName: 'hf-machines',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    expect(machines.GlobalSecondaryIndexes!.map((i) => i.IndexName)).toEqual(['byRequest', 'byReturnRequest', 'byTemplate', 'byName', 'held']);
    expect(machines.GlobalSecondaryIndexes!.every((i) => i.Projection?.ProjectionType === 'KEYS_ONLY')).toBe(true);
    expect(createTableInput(designs[2]!).GlobalSecondaryIndexes).toBeUndefined();
  });

  it('accepts a table made from the design and names what differs otherwise', () => {
    const input = createTableInput(designs[0]!);
    const table = { ...input, TableStatus: 'ACTIVE' as const, GlobalSecondaryIndexes: input.GlobalSecondaryIndexes as never };
    expect(schemaMismatches(designs[0]!, table)).toEqual([]);
    expect(
      schemaMismatches(designs[0]!, {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'N' }],
      }),
    ).toEqual(['key schema is (pk HASH, sk RANGE), expected (pk HASH)', 'attribute pk has type N, expected S', 'index byStatus is missing']);
  });

  it('is active only when the table and its indexes are', () => {
    expect(isTableActive({ TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexStatus: 'ACTIVE' }] })).toBe(true);
    expect(isTableActive({ TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexStatus: 'CREATING' }] })).toBe(false);
    expect(isTableActive({ TableStatus: 'CREATING' })).toBe(false);
  });

  it('checks table prefixes against DynamoDB table names', () => {
    expect(isValidTablePrefix('hostfactory_prod.eu-1')).toBe(true);
    expect(isValidTablePrefix('')).toBe(false);
    expect(isValidTablePrefix('with space')).toBe(false);
    expect(isValidTablePrefix('x'.repeat(250))).toBe(false);
  });
});
