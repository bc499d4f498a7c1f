import { corruptRow } from './errors';

/** Reads the columns of one stored row, turning anything unexpected into `STORAGE_ERROR`. */
export class RowReader {
  private readonly row: Readonly<Record<string, unknown>>;
  /** The row's key, for messages. */
  readonly key: string;

  constructor(
    private readonly table: string,
    row: unknown,
    keyColumn: string,
  ) {
    if (typeof row !== 'object' || row === null) throw corruptRow(table, '?', '*', row);
    this.row = row as Record<string, unknown>;
    this.key = typeof this.row[keyColumn] === 'string' ? (this.row[keyColumn] as string) : '?';
    this.text(keyColumn);
  }

  text(column: string): string {
    const value = this.row[column];
    if (typeof value !== 'string') throw this.corrupt(column);
    return value;
  }

  nonEmptyText(column: string): string {
    const value = this.text(column);
    if (value === '') throw this.corrupt(column);
    return value;
  }

  optionalText(column: string): string | undefined {
    const value = this.row[column];
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'string') throw this.corrupt(column);
    return value;
  }

  number(column: string): number {
    const value = this.row[column];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.corrupt(column);
    return value;
  }

  optionalNumber(column: string): number | undefined {
    const value = this.row[column];
    if (value === null || value === undefined) return undefined;
    return this.number(column);
  }

  /** A number greater than zero. */
  positive(column: string): number {
    const value = this.number(column);
    if (value <= 0) throw this.corrupt(column);
    return value;
  }

  count(column: string): number {
    const value = this.number(column);
    if (!Number.isSafeInteger(value) || value < 0) throw this.corrupt(column);
    return value;
  }

  boolean(column: string): boolean {
    const value = this.row[column];
    if (value !== 0 && value !== 1) throw this.corrupt(column);
    return value === 1;
  }

  oneOf<T extends string>(column: string, allowed: readonly T[]): T {
    const value = this.text(column);
    if (!(allowed as readonly string[]).includes(value)) throw this.corrupt(column);
    return value as T;
  }

  optionalOneOf<T extends string>(column: string, allowed: readonly T[]): T | undefined {
    return this.optionalText(column) === undefined ? undefined : this.oneOf(column, allowed);
  }

  /** Text matching `pattern` (a provider's api name). */
  matching(column: string, pattern: RegExp): string {
    const value = this.text(column);
    if (!pattern.test(value)) throw this.corrupt(column);
    return value;
  }

  optionalMatching(column: string, pattern: RegExp): string | undefined {
    return this.optionalText(column) === undefined ? undefined : this.matching(column, pattern);
  }

  /** A JSON object of string values. */
  stringMap(column: string): Record<string, string> {
    const text = this.text(column);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.corrupt(column);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw this.corrupt(column);
    const map: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') throw this.corrupt(column);
      map[key] = value;
    }
    return map;
  }

  private corrupt(column: string): Error {
    return corruptRow(this.table, this.key, column, this.row[column]);
  }
}
