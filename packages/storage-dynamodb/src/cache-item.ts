import { ItemReader, KEY_ATTRIBUTE, num, text, type Item } from './item-reader';
import { TTL_ATTRIBUTE, scopedKey } from './table-design';

export interface CacheEntry {
  readonly key: string;
  readonly value: string;
  /** Epoch ms; the value is valid while now < expiresAt. */
  readonly expiresAt: number;
}

/**
 * The item of a cached value: `expiresAtMs` is the exact expiry that reads check, `expiresAt`
 * (epoch seconds, rounded up) lets DynamoDB's TTL delete it some time after.
 */
export function cacheToItem(entry: CacheEntry, providerName: string): Item {
  return {
    [KEY_ATTRIBUTE]: text(scopedKey(providerName, entry.key)),
    provider: text(providerName),
    cacheKey: text(entry.key),
    value: text(entry.value),
    expiresAtMs: num(entry.expiresAt),
    [TTL_ATTRIBUTE]: num(Math.ceil(entry.expiresAt / 1000)),
  };
}

/** Reads a cached value back, validating it (`STORAGE_ERROR` when it is not valid). */
export function cacheFromItem(item: unknown, table: string, providerName: string): CacheEntry {
  const read = new ItemReader(table, item);
  const key = read.text('cacheKey');
  read.expectKey(scopedKey(providerName, key));
  return { key, value: read.text('value'), expiresAt: read.number('expiresAtMs') };
}
