/**
 * A configuration value in the AWS API's own field names: every object key's first letter
 * upper-cased, at every depth (`{"vCpuCount": {"min": 2}}` -> `{"VCpuCount": {"Min": 2}}`), so
 * that a template may state an API structure (EC2's `InstanceRequirements`) in camelCase. Arrays
 * and plain values are kept.
 */
export function apiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(apiShape);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.charAt(0).toUpperCase() + key.slice(1), apiShape(inner)]));
}
