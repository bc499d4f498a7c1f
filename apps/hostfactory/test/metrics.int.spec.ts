// The metrics file and the push, through the real scripts against moto_server, checked with the
// real Prometheus parts from Debian: `promtool check metrics` reads the file, and a real
// prometheus-pushgateway on loopback receives the pushes.
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { hf, installation, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

const { promtoolCheck, startPushgateway } =
  require('../../../tools/prometheus/prometheus-tools.js') as typeof import('../../../tools/prometheus/prometheus-tools');

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

const metricsFile = (environment: HfEnvironment) => join(environment.workDir, 'awsinst.prom');
const readMetrics = (environment: HfEnvironment) => readFileSync(metricsFile(environment), 'utf8');

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the metrics file', () => {
  let environment: HfEnvironment;

  beforeAll(async () => {
    environment = await installation();
  });

  it('a lifecycle leaves a promtool-clean file with calls, durations, AWS requests and machines', async () => {
    const made = await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, environment.env);
    await untilComplete(made.requestId, environment.env);
    const text = readMetrics(environment);
    const lint = promtoolCheck(text);
    expect(lint).toEqual({ ok: true, output: '' });
    expect(sample(text, 'open_hostfactory_calls_total{command="requestMachines",outcome="ok"}')).toBe(1);
    expect(sample(text, 'open_hostfactory_call_duration_seconds_count{command="requestMachines"}')).toBe(1);
    expect(sample(text, 'open_hostfactory_aws_requests_total{operation="RunInstances",outcome="ok"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'open_hostfactory_aws_requests_total{operation="DescribeInstances",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'open_hostfactory_machines{template="OnDemand-Small",state="running"}')).toBe(2);
    for (const family of ['calls_total', 'call_duration_seconds', 'machines', 'aws_requests_total', 'aws_throttles_total']) {
      expect(text).toContain(`# HELP open_hostfactory_${family} `);
      expect(text).toContain(`# TYPE open_hostfactory_${family} `);
    }
    const failed = await hf.runScript('requestMachines', { template: { templateId: 'Nope', machineCount: 1 } }, environment.env);
    expect(failed.status).not.toBe(0);
    expect(sample(readMetrics(environment), 'open_hostfactory_calls_total{command="requestMachines",outcome="TEMPLATE_NOT_FOUND"}')).toBe(1);
  });

  it('20 concurrent calls: no increment lost, and a reader never sees a partial file', async () => {
    const before = sample(readMetrics(environment), 'open_hostfactory_calls_total{command="getAvailableTemplates",outcome="ok"}') ?? 0;
    let reads = 0;
    let partial = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const text = readMetrics(environment);
        reads += 1;
        if (!text.endsWith('\n') || !/\nopen_hostfactory_last_update_timestamp_seconds \d+\n$/.test(text)) partial += 1;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const results = await Promise.all(Array.from({ length: 20 }, () => hf.runScript('getAvailableTemplates', {}, environment.env)));
    reading = false;
    await reader;
    for (const result of results) expect(result.status).toBe(0);
    expect(sample(readMetrics(environment), 'open_hostfactory_calls_total{command="getAvailableTemplates",outcome="ok"}')).toBe(before + 20);
    expect(reads).toBeGreaterThan(10);
    expect(partial).toBe(0);
    process.stdout.write(`metrics: 20 concurrent calls counted 20; ${reads} reads during them, ${partial} partial\n`);
  });

  it('throttled attempts are counted per attempt, the request once with its final outcome', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const throttled = await installation({ config: { AWS_REQUEST_RETRY_ATTEMPTS: 2 } });
      const env = { ...throttled.env, AWS_ENDPOINT_URL: proxy.endpoint };
      proxy.fail('RunInstances', 'RequestLimitExceeded', 'Request limit exceeded.', 503);
      const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, env);
      expect(made.json.error?.code).toBe('THROTTLED');
      const text = readFileSync(join(throttled.workDir, 'awsinst.prom'), 'utf8');
      expect(sample(text, 'open_hostfactory_aws_throttles_total{operation="RunInstances"}')).toBe(3);
      expect(sample(text, 'open_hostfactory_aws_requests_total{operation="RunInstances",outcome="RequestLimitExceeded"}')).toBe(1);
      expect(sample(text, 'open_hostfactory_calls_total{command="requestMachines",outcome="THROTTLED"}')).toBe(1);
      expect(proxy.count('RunInstances')).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('monitoring.enabled: false writes no file', async () => {
    const off = await installation({ config: { METRICS_ENABLED: false } });
    expect((await hf.runScript('getAvailableTemplates', {}, off.env)).status).toBe(0);
    expect(existsSync(join(off.workDir, 'awsinst.prom'))).toBe(false);
  });
});

describe('the push to a Prometheus Pushgateway', () => {
  it('each call pushes the metrics: job open_hostfactory, instance the provider name', async () => {
    const gateway = await startPushgateway();
    try {
      const environment = await installation({ config: { METRICS_ENDPOINT: `${gateway.url}/metrics` } });
      expect((await hf.runScript('getAvailableTemplates', {}, environment.env)).status).toBe(0);
      expect((await hf.runScript('getAvailableTemplates', {}, environment.env)).status).toBe(0);
      const pushed = await gateway.metrics();
      expect(pushed).toMatch(
        /open_hostfactory_calls_total\{command="getAvailableTemplates",instance="awsinst",job="open_hostfactory",outcome="ok"\} 2/,
      );
    } finally {
      await gateway.stop();
    }
  });

  it('a gateway that never answers costs the call about a second and never fails it', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const environment = await installation({ config: { METRICS_ENDPOINT: `http://127.0.0.1:${port}` } });
      const started = Date.now();
      const result = await hf.runScript('getAvailableTemplates', {}, environment.env);
      const seconds = (Date.now() - started) / 1000;
      expect(result.status).toBe(0);
      expect(result.json.templates).toHaveLength(1);
      const log = readFileSync(join(environment.logDir, 'awsinst-provider.log'), 'utf8');
      expect(log).toContain('metrics push failed');
      expect(log).toContain('TimeoutError');
      process.stdout.write(`metrics push to a silent gateway: the call took ${seconds.toFixed(2)} s\n`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
