// Retention on SQLite, through the real scripts against moto_server: requests that ended and
// hold nothing alive are purged with their machines, by `hostfactory.sh storage purge` and
// automatically (at most hourly, from getReturnRequests) once older than storage.retention_days;
// a request whose machine HF holds is never purged.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hf, installation, runOk, untilComplete, type HfEnvironment } from './hf';

const Database = require('better-sqlite3');

const DAY = 86_400_000;

const run = (environment: HfEnvironment, script: string, input: unknown) => runOk(script, input, environment.env);
const untilDone = (environment: HfEnvironment, requestId: string) => untilComplete(requestId, environment.env);

/** A request of one machine, polled to complete, its machine returned and the return polled to complete. */
async function returnedRequest(environment: HfEnvironment): Promise<{ requestId: string; returnId: string }> {
  const { requestId } = await run(environment, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
  const done = await untilDone(environment, requestId);
  const returned = await run(environment, 'requestReturnMachines', {
    machines: done.machines.map((m: { name: string; machineId: string }) => ({ name: m.name, machineId: m.machineId })),
  });
  await untilDone(environment, returned.requestId);
  // One more poll of the acquire request sees its machine terminated and closes it.
  await run(environment, 'getRequestStatus', { requests: [{ requestId }] });
  return { requestId, returnId: returned.requestId };
}

function rows(environment: HfEnvironment): {
  requests: { request_id: string; closed_at: number | null }[];
  machines: { machine_id: string; request_id: string }[];
} {
  const db = new Database(join(environment.workDir, 'awsinst.db'), { readonly: true });
  try {
    return {
      requests: db.prepare('SELECT request_id, closed_at FROM requests').all(),
      machines: db.prepare('SELECT machine_id, request_id FROM machines').all(),
    };
  } finally {
    db.close();
  }
}

describe('retention (SQLite)', () => {
  let environment: HfEnvironment;
  let held: string;

  beforeAll(async () => {
    environment = await installation();
    const { requestId } = await run(environment, 'requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
    await untilDone(environment, requestId);
    held = requestId;
  });

  it('storage purge deletes closed requests with their machines, never one whose machine HF holds', async () => {
    const { requestId, returnId } = await returnedRequest(environment);
    const before = rows(environment);
    expect(before.requests.find((r) => r.request_id === requestId)?.closed_at).toEqual(expect.any(Number));
    expect(before.requests.find((r) => r.request_id === held)?.closed_at).toBeNull();
    const result = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), ['storage', 'purge', '--older-than', '0', '--json'], {
      env: environment.env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'State purged.', olderThanDays: 0, purged: { requests: 2, machines: 1 } });
    const after = rows(environment);
    expect(after.requests.map((r) => r.request_id)).toEqual([held]);
    expect(after.machines.map((m) => m.request_id)).toEqual([held]);
    expect(after.requests.some((r) => r.request_id === returnId)).toBe(false);
  });

  it('getReturnRequests purges what closed longer ago than storage.retention_days, once an hour', async () => {
    const { requestId } = await returnedRequest(environment);
    // Forty days pass for the closed records (the store keeps epoch ms).
    const db = new Database(join(environment.workDir, 'awsinst.db'));
    db.prepare('UPDATE requests SET closed_at = closed_at - ? WHERE closed_at IS NOT NULL').run(40 * DAY);
    db.close();
    await run(environment, 'getReturnRequests', { machines: [] });
    expect(rows(environment).requests.map((r) => r.request_id)).toEqual([held]);
    await run(environment, 'getReturnRequests', { machines: [] });
    const purges = readFileSync(join(environment.logDir, 'awsinst-provider.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"retention purge"') && line.includes('"command":"getReturnRequests"'));
    expect(purges).toHaveLength(1);
    expect(JSON.parse(purges[0] as string)).toMatchObject({ level: 'info', days: 30, requests: 2, machines: 1 });
    expect(requestId).toMatch(/^req-/);
  });

  it('--older-than must be a whole number of days', () => {
    const result = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), ['storage', 'purge', '--older-than', 'soon'], {
      env: environment.env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.message).toContain('--older-than must be a whole number of days');
  });
});
