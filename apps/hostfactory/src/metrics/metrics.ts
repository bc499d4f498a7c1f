import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CapacityPool } from '@open-hostfactory/core';
import { withLock } from '../file-lock';
import { replaceFile } from '../replace-file';

/** One AWS request as the SDK middleware saw it (aws-common's observer). */
export interface AwsRequestEvent {
  /** The AWS API name (`RunInstances`). */
  readonly operation: string;
  /** `ok`, or the AWS error code of the final failure (`InsufficientInstanceCapacity`). */
  readonly outcome: string;
}

/** Call duration buckets, seconds: HF polls take tenths of a second, a stalled call up to the action timeout. */
export const DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** What the metrics file accumulates across calls (kept beside it as JSON). */
export interface MetricsState {
  /** `command|outcome` -> calls. */
  calls: Record<string, number>;
  /** command -> histogram (bucket counts are cumulative, one per {@link DURATION_BUCKETS} plus +Inf). */
  durations: Record<string, { buckets: number[]; sum: number; count: number }>;
  /** `operation|outcome` -> requests. */
  aws: Record<string, number>;
  /** operation -> throttled attempts (retries included). */
  throttles: Record<string, number>;
  /** `template|state` -> machines HF holds or may hold, as the last call saw them. */
  machines: Record<string, number>;
  /** `priceType|instanceType|location` -> capacity refusals of that pool. */
  refusals: Record<string, number>;
  /** Epoch seconds of the last update. */
  updatedAt: number;
}

const emptyState = (): MetricsState => ({ calls: {}, durations: {}, aws: {}, throttles: {}, machines: {}, refusals: {}, updatedAt: 0 });

/**
 * The metrics of one HF call, collected while it runs and added to the provider instance's
 * metrics when it ends ({@link persistMetrics}).
 */
export class CallMetrics {
  private readonly aws = new Map<string, number>();
  private readonly throttles = new Map<string, number>();
  private readonly refusals = new Map<string, number>();

  /** One capacity pool the cloud refused (see core's UnavailablePools). */
  readonly onRefusal = (pool: CapacityPool): void => {
    const key = `${pool.priceType}|${pool.instanceType}|${pool.location}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  };

  /** The aws-common observer: one finished request. */
  readonly onRequest = (event: AwsRequestEvent): void => {
    const key = `${event.operation}|${event.outcome}`;
    this.aws.set(key, (this.aws.get(key) ?? 0) + 1);
  };

  /** The aws-common observer: one throttled attempt (retried or not). */
  readonly onThrottle = (operation: string): void => {
    this.throttles.set(operation, (this.throttles.get(operation) ?? 0) + 1);
  };

  /** The call's contribution: counters to add, and the machines gauge to set (when known). */
  delta(command: string, outcome: string, seconds: number, machines?: ReadonlyMap<string, number>): MetricsDelta {
    return {
      command,
      outcome,
      seconds,
      aws: new Map(this.aws),
      throttles: new Map(this.throttles),
      refusals: new Map(this.refusals),
      ...(machines ? { machines } : {}),
    };
  }
}

export interface MetricsDelta {
  readonly command: string;
  /** `ok`, or the error code the call answered with. */
  readonly outcome: string;
  readonly seconds: number;
  readonly aws: ReadonlyMap<string, number>;
  readonly throttles: ReadonlyMap<string, number>;
  /** Capacity refusals by pool (`priceType|instanceType|location`); absent counts none. */
  readonly refusals?: ReadonlyMap<string, number>;
  readonly machines?: ReadonlyMap<string, number>;
}

/** Adds one call's delta to a state (pure). */
export function applyDelta(state: MetricsState, delta: MetricsDelta, nowSec: number): MetricsState {
  const next: MetricsState = structuredClone(state);
  const callKey = `${delta.command}|${delta.outcome}`;
  next.calls[callKey] = (next.calls[callKey] ?? 0) + 1;
  const histogram = (next.durations[delta.command] ??= { buckets: DURATION_BUCKETS.map(() => 0).concat(0), sum: 0, count: 0 });
  DURATION_BUCKETS.forEach((bound, i) => {
    if (delta.seconds <= bound) histogram.buckets[i] = (histogram.buckets[i] ?? 0) + 1;
  });
  histogram.buckets[DURATION_BUCKETS.length] = (histogram.buckets[DURATION_BUCKETS.length] ?? 0) + 1;
  histogram.sum += delta.seconds;
  histogram.count += 1;
  for (const [key, n] of delta.aws) next.aws[key] = (next.aws[key] ?? 0) + n;
  for (const [key, n] of delta.throttles) next.throttles[key] = (next.throttles[key] ?? 0) + n;
  next.refusals ??= {};
  for (const [key, n] of delta.refusals ?? []) next.refusals[key] = (next.refusals[key] ?? 0) + n;
  if (delta.machines) next.machines = Object.fromEntries(delta.machines);
  next.updatedAt = nowSec;
  return next;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: readonly [string, string][]): string {
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

function split(key: string): [string, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}

const sorted = <T>(entries: [string, T][]): [string, T][] => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The state in Prometheus' text exposition format, HELP and TYPE for every metric (`promtool check metrics` clean). */
export function renderMetrics(state: MetricsState): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  family('open_hostfactory_calls_total', 'counter', 'HF calls answered, by command and outcome (ok, or the error code answered).');
  for (const [key, n] of sorted(Object.entries(state.calls))) {
    const [command, outcome] = split(key);
    lines.push(
      `open_hostfactory_calls_total${labels([
        ['command', command],
        ['outcome', outcome],
      ])} ${n}`,
    );
  }
  family('open_hostfactory_call_duration_seconds', 'histogram', 'Wall time of HF calls, by command.');
  for (const [command, histogram] of sorted(Object.entries(state.durations))) {
    DURATION_BUCKETS.forEach((bound, i) => {
      lines.push(
        `open_hostfactory_call_duration_seconds_bucket${labels([
          ['command', command],
          ['le', String(bound)],
        ])} ${histogram.buckets[i] ?? 0}`,
      );
    });
    lines.push(
      `open_hostfactory_call_duration_seconds_bucket${labels([
        ['command', command],
        ['le', '+Inf'],
      ])} ${histogram.count}`,
    );
    lines.push(`open_hostfactory_call_duration_seconds_sum${labels([['command', command]])} ${round(histogram.sum)}`);
    lines.push(`open_hostfactory_call_duration_seconds_count${labels([['command', command]])} ${histogram.count}`);
  }
  family('open_hostfactory_machines', 'gauge', 'Machines HF holds or may hold, by template and state, as the last call saw them.');
  for (const [key, n] of sorted(Object.entries(state.machines))) {
    const [template, machineState] = split(key);
    lines.push(
      `open_hostfactory_machines${labels([
        ['template', template],
        ['state', machineState],
      ])} ${n}`,
    );
  }
  family(
    'open_hostfactory_aws_requests_total',
    'counter',
    'AWS API requests, by operation and outcome (ok, or the AWS error code), retries inside one request not counted.',
  );
  for (const [key, n] of sorted(Object.entries(state.aws))) {
    const [operation, outcome] = split(key);
    lines.push(
      `open_hostfactory_aws_requests_total${labels([
        ['operation', operation],
        ['outcome', outcome],
      ])} ${n}`,
    );
  }
  family('open_hostfactory_aws_throttles_total', 'counter', 'AWS API attempts answered with throttling (retried or not), by operation.');
  for (const [operation, n] of sorted(Object.entries(state.throttles))) {
    lines.push(`open_hostfactory_aws_throttles_total${labels([['operation', operation]])} ${n}`);
  }
  family(
    'open_hostfactory_capacity_refusals_total',
    'counter',
    'Capacity pools the cloud refused (InsufficientInstanceCapacity and its relatives), by price type, instance type and location (subnet).',
  );
  for (const [key, n] of sorted(Object.entries(state.refusals ?? {}))) {
    const [priceType, rest] = split(key);
    const [instanceType, location] = split(rest);
    lines.push(
      `open_hostfactory_capacity_refusals_total${labels([
        ['price_type', priceType],
        ['instance_type', instanceType],
        ['location', location],
      ])} ${n}`,
    );
  }
  family('open_hostfactory_last_update_timestamp_seconds', 'gauge', 'When a call last updated these metrics (Unix time).');
  lines.push(`open_hostfactory_last_update_timestamp_seconds ${state.updatedAt}`);
  return `${lines.join('\n')}\n`;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** How long a call waits for another call's metrics update before it gives its own up. */
const LOCK_WAIT_MS = 2000;

/**
 * Adds one call's delta to the metrics file `file` (`<work dir>/<provider>.prom`): under an
 * exclusive `<file>.lock`, the state is read from `<file>.state.json`, updated, and both files
 * are replaced by rename, so concurrent calls never lose an increment and a reader (node_exporter's
 * textfile collector) never sees a partial file. Returns the text written, or undefined when the
 * lock could not be had in time (the delta is then dropped, never the call).
 */
export function persistMetrics(file: string, delta: MetricsDelta, nowSec: number = Math.floor(Date.now() / 1000)): string | undefined {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let text: string | undefined;
  const done = withLock(`${file}.lock`, LOCK_WAIT_MS, () => {
    const stateFile = `${file}.state.json`;
    let state = emptyState();
    try {
      state = { ...emptyState(), ...(JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<MetricsState>) };
    } catch {
      // first call, or a state file from an interrupted write: start over
    }
    const next = applyDelta(state, delta, nowSec);
    text = renderMetrics(next);
    replaceFile(stateFile, JSON.stringify(next), 0o600);
    // Readable by others: node_exporter's textfile collector usually runs as its own user.
    replaceFile(file, text, 0o644);
  });
  return done ? text : undefined;
}

/** The Pushgateway URL of the provider instance's group: job `open_hostfactory`, instance = provider name. */
export function pushUrl(endpoint: string, providerName: string): string {
  const base = endpoint.replace(/\/+$/, '').replace(/\/metrics$/, '');
  return `${base}/metrics/job/open_hostfactory/instance/${encodeURIComponent(providerName)}`;
}

/** How long a push may take: an unreachable gateway costs a call at most about this. */
export const PUSH_TIMEOUT_MS = 1000;

/**
 * Pushes the metrics text to a Prometheus Pushgateway (PUT: the group's metrics are replaced by
 * these, which already accumulate every call). Best effort: resolves with the reason on failure,
 * never rejects.
 */
export async function pushMetrics(endpoint: string, providerName: string, text: string): Promise<string | undefined> {
  try {
    const response = await fetch(pushUrl(endpoint, providerName), {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      body: text,
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? undefined : `Pushgateway answered HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}
