/** The type of one provider setting. `string[]` also takes one comma-separated string. */
export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'string[]';

/** A checked provider setting's value. */
export type SettingValue = string | number | boolean | readonly string[];

/** One setting a provider defines: its type, what it means, and the bounds of its value. */
export interface SettingSpec {
  readonly type: SettingType;
  /** For people: shown in errors and by `hostfactory.sh config show`. */
  readonly description: string;
  /** A template without it is refused. */
  readonly required?: boolean;
  /** The value when the template does not state it. */
  readonly default?: SettingValue;
  /** Smallest value (`integer`, `number`) or number of items (`string[]`). */
  readonly min?: number;
  /** Largest value (`integer`, `number`). */
  readonly max?: number;
  /** The values a `string` may take. */
  readonly oneOf?: readonly string[];
}

/** The settings a provider defines for its templates, by key. */
export type SettingsSchema = Readonly<Record<string, SettingSpec>>;

/** What is wrong with one setting: its key and the reason, for an error that names both. */
export interface SettingProblem {
  readonly key: string;
  readonly reason: string;
}

/** The checked settings, with defaults filled in, and every problem found (none when valid). */
export interface CheckedSettings {
  readonly values: Readonly<Record<string, SettingValue>>;
  readonly problems: readonly SettingProblem[];
}

/**
 * Checks `raw` (a template's `providerSettings`) against `schema`: every key must be defined
 * (an unknown one is refused, with the closest defined key as a suggestion), required keys must
 * be there, each value must be of its type and within its bounds. Defaults fill in what is not
 * stated. Never throws.
 */
export function checkSettings(schema: SettingsSchema, raw: unknown): CheckedSettings {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    return { values: {}, problems: [{ key: '', reason: 'must be a map of setting name to value' }] };
  }
  const given = (raw ?? {}) as Record<string, unknown>;
  const values: Record<string, SettingValue> = {};
  const problems: SettingProblem[] = [];
  for (const key of Object.keys(given)) {
    if (schema[key] !== undefined) continue;
    const suggestion = closest(key, Object.keys(schema));
    const known = Object.keys(schema).join(', ') || 'none';
    problems.push({ key, reason: `unknown setting${suggestion ? ` (did you mean ${suggestion}?)` : ''}; the provider defines: ${known}` });
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = given[key];
    if (value === undefined || value === null) {
      if (spec.default !== undefined) values[key] = spec.default;
      else if (spec.required) problems.push({ key, reason: `is required (${spec.description})` });
      continue;
    }
    const checked = checkValue(spec, value);
    if (typeof checked === 'string') problems.push({ key, reason: checked });
    else values[key] = checked.value;
  }
  return { values, problems };
}

function checkValue(spec: SettingSpec, value: unknown): { value: SettingValue } | string {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') return `must be a non-empty string (${spec.description})`;
      if (spec.oneOf && !spec.oneOf.includes(value)) return `must be one of ${spec.oneOf.join(', ')} (got '${value}')`;
      return { value };
    case 'boolean':
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return `must be true or false (got ${JSON.stringify(value)})`;
    case 'integer':
    case 'number': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number) || (spec.type === 'integer' && !Number.isInteger(number))) {
        return `must be ${spec.type === 'integer' ? 'a whole number' : 'a number'} (got ${JSON.stringify(value)})`;
      }
      if (spec.min !== undefined && number < spec.min) return `must be at least ${spec.min} (got ${number})`;
      if (spec.max !== undefined && number > spec.max) return `must be at most ${spec.max} (got ${number})`;
      return { value: number };
    }
    case 'string[]': {
      const list =
        typeof value === 'string'
          ? value
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item !== '')
          : value;
      if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item.trim() === '')) {
        return `must be a list of non-empty strings, or one comma-separated string (${spec.description})`;
      }
      if (spec.min !== undefined && list.length < spec.min) return `must have at least ${spec.min} item(s) (got ${list.length})`;
      return { value: list as string[] };
    }
  }
}

/** The defined key closest to `key` (at most a third of its letters off), if any. */
function closest(key: string, keys: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of keys) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Levenshtein distance between two strings (insert, delete, replace: 1 each): how near a typo is. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
