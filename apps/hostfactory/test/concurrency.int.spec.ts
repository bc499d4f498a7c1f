// Many HF calls at once against one provider instance's store, as HF does (a status poll while
// a request is being made, returns racing for the same machines): afterwards every request and
// machine is stored once, consistent with the cloud; nothing is lost or duplicated.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, type HfEnvironment } from './hf';

const Database = require('better-sqlite3');

const PROCESSES_PER_KIND = 6;

describe('concurrent CLI processes on one SQLite store', () => {
  let environment: HfEnvironment;
  const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
  const failedCalls = () =>
    readFileSync(join(environment.logDir, 'awsinst-provider.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('call failed'));

  beforeAll(async () => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf concurrency ')), endpoint });
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
      templates: [hf.ondemandTemplate(network, { templateId: 'Busy', maxNumber: -1 })],
    });
  });

  it(`${PROCESSES_PER_KIND * 3} processes at once: requests, polls and returns of the same machines`, async () => {
    // A first request whose machines the returns will fight over.
    const first = await run('requestMachines', { template: { templateId: 'Busy', machineCount: 2 } });
    let status = await run('getRequestStatus', { requests: [{ requestId: first.json.requestId }] });
    for (let i = 0; i < 5 && status.json.requests[0].status === 'running'; i++) {
      status = await run('getRequestStatus', { requests: [{ requestId: first.json.requestId }] });
    }
    expect(status.json.requests[0].status).toBe('complete');
    const contested = status.json.requests[0].machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId }));

    const started = Date.now();
    const calls = [
      ...Array.from({ length: PROCESSES_PER_KIND }, () => run('requestMachines', { template: { templateId: 'Busy', machineCount: 1 } })),
      ...Array.from({ length: PROCESSES_PER_KIND }, () => run('getRequestStatus', { requests: [{ requestId: first.json.requestId }] })),
      ...Array.from({ length: PROCESSES_PER_KIND }, () => run('requestReturnMachines', { machines: contested })),
    ];
    const results = await Promise.all(calls);
    const seconds = (Date.now() - started) / 1000;
    for (const result of results) {
      expect(result.stderr).toBe('');
      // The error document and the log's account of it are part of the comparison, so that a
      // failure shows why.
      const why = result.status === 0 ? undefined : { error: result.json.error, log: failedCalls() };
      expect({ status: result.status, why }).toEqual({ status: 0, why: undefined });
    }
    const madeIds = results.slice(0, PROCESSES_PER_KIND).map((r) => r.json.requestId as string);
    const returnIds = new Set(results.slice(2 * PROCESSES_PER_KIND).map((r) => r.json.requestId as string));
    expect(new Set(madeIds).size).toBe(PROCESSES_PER_KIND);
    // Every return answered with the one return request that owns the machines.
    expect(returnIds.size).toBe(1);

    // Let every new request finish, then compare the store with the cloud.
    let polled = await run('getRequestStatus', { requests: madeIds.map((requestId) => ({ requestId })) });
    for (let i = 0; i < 10 && polled.json.requests.some((r: { status: string }) => r.status === 'running'); i++) {
      polled = await run('getRequestStatus', { requests: madeIds.map((requestId) => ({ requestId })) });
    }
    expect(polled.json.requests.map((r: { status: string }) => r.status)).toEqual(madeIds.map(() => 'complete'));

    const db = new Database(join(environment.workDir, 'awsinst.db'), { readonly: true });
    const requests = db.prepare('SELECT request_id, kind FROM requests').all() as { request_id: string; kind: string }[];
    const machines = db.prepare('SELECT machine_id, request_id, return_request_id FROM machines').all() as {
      machine_id: string;
      request_id: string;
      return_request_id: string | null;
    }[];
    db.close();
    const stored = new Set(requests.map((r) => r.request_id));
    for (const id of [first.json.requestId, ...madeIds, ...returnIds]) expect(stored.has(id)).toBe(true);
    expect(requests.filter((r) => r.kind === 'return')).toHaveLength(1);
    expect(new Set(machines.map((m) => m.machine_id)).size).toBe(machines.length);
    for (const machine of contested) {
      expect(machines.find((m) => m.machine_id === machine.machineId)?.return_request_id).toBe([...returnIds][0]);
    }

    // Every instance the cloud launched for these requests is recorded, once, for its request.
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const page = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:hf:request-id', Values: [first.json.requestId, ...madeIds] }] }),
    );
    ec2.destroy();
    const launched = (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(launched).toHaveLength(2 + PROCESSES_PER_KIND);
    for (const instance of launched) {
      const tag = instance.Tags?.find((t) => t.Key === 'hf:request-id')?.Value;
      expect(machines.find((m) => m.machine_id === instance.InstanceId)?.request_id).toBe(tag);
    }
    process.stdout.write(`concurrency: ${calls.length} processes at once took ${seconds.toFixed(1)} s\n`);
  });
});
