import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallMetrics, applyDelta, persistMetrics, pushUrl, renderMetrics, type MetricsState } from './metrics';

const empty = (): MetricsState => ({ calls: {}, durations: {}, aws: {}, throttles: {}, machines: {}, refusals: {}, updatedAt: 0 });

describe('metrics', () => {
  it('a call adds to the counters and the histogram; the machines gauge is replaced', () => {
    const call = new CallMetrics();
    call.onRequest({ operation: 'RunInstances', outcome: 'ok' });
    call.onRequest({ operation: 'DescribeInstances', outcome: 'RequestLimitExceeded' });
    call.onThrottle('DescribeInstances');
    call.onThrottle('DescribeInstances');
    let state = applyDelta(empty(), call.delta('requestMachines', 'ok', 0.3, new Map([['T|running', 2]])), 100);
    state = applyDelta(state, new CallMetrics().delta('requestMachines', 'ok', 7, new Map([['T|pending', 1]])), 200);
    expect(state.calls).toEqual({ 'requestMachines|ok': 2 });
    expect(state.aws).toEqual({ 'RunInstances|ok': 1, 'DescribeInstances|RequestLimitExceeded': 1 });
    expect(state.throttles).toEqual({ DescribeInstances: 2 });
    expect(state.machines).toEqual({ 'T|pending': 1 });
    const text = renderMetrics(state);
    expect(text).toContain('open_hostfactory_calls_total{command="requestMachines",outcome="ok"} 2\n');
    expect(text).toContain('open_hostfactory_call_duration_seconds_bucket{command="requestMachines",le="0.25"} 0\n');
    expect(text).toContain('open_hostfactory_call_duration_seconds_bucket{command="requestMachines",le="0.5"} 1\n');
    expect(text).toContain('open_hostfactory_call_duration_seconds_bucket{command="requestMachines",le="10"} 2\n');
    expect(text).toContain('open_hostfactory_call_duration_seconds_bucket{command="requestMachines",le="+Inf"} 2\n');
    expect(text).toContain('open_hostfactory_call_duration_seconds_sum{command="requestMachines"} 7.3\n');
    expect(text).toContain('open_hostfactory_machines{template="T",state="pending"} 1\n');
    expect(text).toContain('open_hostfactory_aws_throttles_total{operation="DescribeInstances"} 2\n');
    expect(text).toContain('open_hostfactory_last_update_timestamp_seconds 200\n');
  });

  it('counts capacity refusals by pool, and reads a state file from before they existed', () => {
    const call = new CallMetrics();
    call.onRefusal({ priceType: 'spot', instanceType: 'm5.large', location: 'subnet-a' });
    call.onRefusal({ priceType: 'spot', instanceType: 'm5.large', location: 'subnet-a' });
    const { refusals: _none, ...older } = empty();
    const state = applyDelta(older as MetricsState, call.delta('requestMachines', 'ok', 0.2), 100);
    expect(state.refusals).toEqual({ 'spot|m5.large|subnet-a': 2 });
    expect(renderMetrics(state)).toContain(
      'open_hostfactory_capacity_refusals_total{price_type="spot",instance_type="m5.large",location="subnet-a"} 2',
    );
  });

  it('escapes label values', () => {
    const state = applyDelta(empty(), new CallMetrics().delta('x', 'ok', 0, new Map([['a"b\\c|running', 1]])), 1);
    expect(renderMetrics(state)).toContain('open_hostfactory_machines{template="a\\"b\\\\c",state="running"} 1');
  });

  it('persists across calls in the state file beside the metrics file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'awsinst.prom');
    persistMetrics(file, new CallMetrics().delta('getAvailableTemplates', 'ok', 0.1), 10);
    const text = persistMetrics(file, new CallMetrics().delta('getAvailableTemplates', 'CONFIG_INVALID', 0.1), 11);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(text).toContain('open_hostfactory_calls_total{command="getAvailableTemplates",outcome="ok"} 1\n');
    expect(text).toContain('open_hostfactory_calls_total{command="getAvailableTemplates",outcome="CONFIG_INVALID"} 1\n');
  });

  it('the Pushgateway URL names the job and the instance, with or without /metrics', () => {
    expect(pushUrl('http://gw:9091', 'aws inst')).toBe('http://gw:9091/metrics/job/open_hostfactory/instance/aws%20inst');
    expect(pushUrl('http://gw:9091/metrics/', 'awsinst')).toBe('http://gw:9091/metrics/job/open_hostfactory/instance/awsinst');
  });
});
