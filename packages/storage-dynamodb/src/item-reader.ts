import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { corruptItem } from './errors';

/** One DynamoDB item, as the low-level client sends and returns it. */
export type Item = Record<string, AttributeValue>;

/** The table key attribute of every table: `<providerName>#<id>`. */
export const KEY_ATTRIBUTE = 'pk';

export function text(value: string): AttributeValue {
  return { S: value };
}

export function num(value: number): AttributeValue {
  return { N: String(value) };
}

/** Reads the attributes of one stored item, turning anything unexpected into `STORAGE_ERROR`. */
export class ItemReader {
  private readonly item: Readonly<Record<string, unknown>>;
  /** The item's key, for messages. */
  readonly key: string;

  constructor(
    private readonly table: string,
    item: unknown,
  ) {
    if (typeof item !== 'object' || item === null) throw corruptItem(table, '?', '*', item);
    this.item = item as Record<string, unknown>;
    const pk = this.item[KEY_ATTRIBUTE] as { S?: unknown } | undefined;
    this.key = typeof pk?.S === 'string' ? pk.S : '?';
    this.text(KEY_ATTRIBUTE);
  }

  /** True when the attribute is absent (or DynamoDB's NULL). */
  absent(attribute: string): boolean {
    const value = this.item[attribute] as { NULL?: unknown } | undefined;
    return value === undefined || value === null || value.NULL === true;
  }

  text(attribute: string): string {
    const value = (this.item[attribute] as { S?: unknown } | undefined)?.S;
    if (typeof value !== 'string') throw this.corrupt(attribute);
    return value;
  }

  nonEmptyText(attribute: string): string {
    const value = this.text(attribute);
    if (value === '') throw this.corrupt(attribute);
    return value;
  }

  optionalText(attribute: string): string | undefined {
    return this.absent(attribute) ? undefined : this.text(attribute);
  }

  number(attribute: string): number {
    const raw = (this.item[attribute] as { N?: unknown } | undefined)?.N;
    if (typeof raw !== 'string' || raw.trim() === '') throw this.corrupt(attribute);
    const value = Number(raw);
    if (!Number.isFinite(value)) throw this.corrupt(attribute);
    return value;
  }

  optionalNumber(attribute: string): number | undefined {
    return this.absent(attribute) ? undefined : this.number(attribute);
  }

  /** A number greater than zero. */
  positive(attribute: string): number {
    const value = this.number(attribute);
    if (value <= 0) throw this.corrupt(attribute);
    return value;
  }

  count(attribute: string): number {
    const value = this.number(attribute);
    if (!Number.isSafeInteger(value) || value < 0) throw this.corrupt(attribute);
    return value;
  }

  boolean(attribute: string): boolean {
    const value = (this.item[attribute] as { BOOL?: unknown } | undefined)?.BOOL;
    if (typeof value !== 'boolean') throw this.corrupt(attribute);
    return value;
  }

  oneOf<T extends string>(attribute: string, allowed: readonly T[]): T {
    const value = this.text(attribute);
    if (!(allowed as readonly string[]).includes(value)) throw this.corrupt(attribute);
    return value as T;
  }

  optionalOneOf<T extends string>(attribute: string, allowed: readonly T[]): T | undefined {
    return this.absent(attribute) ? undefined : this.oneOf(attribute, allowed);
  }

  /** Text matching `pattern` (a provider's api name). */
  matching(attribute: string, pattern: RegExp): string {
    const value = this.text(attribute);
    if (!pattern.test(value)) throw this.corrupt(attribute);
    return value;
  }

  optionalMatching(attribute: string, pattern: RegExp): string | undefined {
    return this.absent(attribute) ? undefined : this.matching(attribute, pattern);
  }

  /** A JSON object of string values, stored as a string. */
  stringMap(attribute: string): Record<string, string> {
    const raw = this.text(attribute);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw this.corrupt(attribute);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw this.corrupt(attribute);
    const map: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') throw this.corrupt(attribute);
      map[key] = value;
    }
    return map;
  }

  /** Checks that the table key is `<providerName>#<id>` of the record read. */
  expectKey(expected: string): void {
    if (this.key !== expected) throw this.corrupt(KEY_ATTRIBUTE);
  }

  corrupt(attribute: string): Error {
    return corruptItem(this.table, this.key, attribute, this.item[attribute]);
  }
}
