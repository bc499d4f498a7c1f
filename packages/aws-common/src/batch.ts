/**
 * A batch call that AWS fails as a whole when one id in it is unknown (TerminateInstances,
 * DescribeFleets, DescribeInstanceTypes…): the call is retried without the ids the error names;
 * when it names none of them, each id is tried alone and the unknown ones are left out.
 * `isUnknownIds(error)` says whether an error is that kind; `namedIn(error)` reads the ids it
 * names; `noneNamed(ids)`, when given, replaces the one-by-one round (e.g. look up which ids
 * exist and call once for those). Any other error is thrown as it is. Returns the answers of the
 * calls that succeeded (one, unless the ids went one by one) and the ids left out. Ends: each
 * retry drops at least one id.
 */
export async function withoutUnknownIds<R>(
  ids: readonly string[],
  call: (ids: string[]) => Promise<R>,
  isUnknownIds: (error: unknown) => boolean,
  namedIn: (error: unknown) => readonly string[],
  noneNamed?: (ids: string[]) => Promise<{ results: R[]; unknown: string[] }>,
): Promise<{ results: R[]; unknown: string[] }> {
  let remaining = [...ids];
  const unknown: string[] = [];
  while (remaining.length > 0) {
    try {
      return { results: [await call(remaining)], unknown };
    } catch (error) {
      if (!isUnknownIds(error)) throw error;
      const named = new Set(namedIn(error));
      const next = remaining.filter((id) => !named.has(id));
      if (next.length === remaining.length) {
        if (!noneNamed) return oneByOne(remaining, call, isUnknownIds, unknown);
        const rest = await noneNamed(remaining);
        return { results: rest.results, unknown: [...unknown, ...rest.unknown] };
      }
      unknown.push(...remaining.filter((id) => named.has(id)));
      remaining = next;
    }
  }
  return { results: [], unknown };
}

async function oneByOne<R>(
  ids: readonly string[],
  call: (ids: string[]) => Promise<R>,
  isUnknownIds: (error: unknown) => boolean,
  unknown: string[],
): Promise<{ results: R[]; unknown: string[] }> {
  const results: R[] = [];
  for (const id of ids) {
    try {
      results.push(await call([id]));
    } catch (error) {
      if (!isUnknownIds(error)) throw error;
      unknown.push(id);
    }
  }
  return { results, unknown };
}

/** The ids `pattern` (a global regex) finds in an error's message: what an "unknown id" error names. */
export function idsIn(error: unknown, pattern: RegExp): string[] {
  const message = error instanceof Error ? error.message : String(error);
  return message.match(pattern) ?? [];
}

/** Distinct non-empty values, first occurrence order. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))];
}

/** `values` cut into arrays of at most `size`. */
export function chunk<T>(values: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}
