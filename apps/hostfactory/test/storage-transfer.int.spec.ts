// `storage.sh export` / `import`: an installation moves its state to another store (here a
// second SQLite file; DynamoDB works the same through the configured store) without losing a
// request; importing again changes nothing; a conflicting target is refused whole.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

function storage(args: string[], env: Record<string, string>): { status: number | null; json: any } {
  const result = spawnSync(join(hf.SCRIPTS_DIR, 'storage.sh'), args, { env, encoding: 'utf8' });
  return { status: result.status, json: JSON.parse(result.stdout) };
}

describe('storage export / import through storage.sh', () => {
  it('moves every request and machine, idempotently, and refuses to overwrite', async () => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    const root = mkdtempSync(join(tmpdir(), 'hf transfer '));
    const source = hf.hfEnvironment({ root, endpoint });
    hf.writeProviderFiles(source.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
      templates: [hf.ondemandTemplate(network)],
    });
    const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, source.env);
    let status = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, source.env);
    for (let i = 0; i < 5 && status.json.requests[0].status === 'running'; i++) {
      status = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, source.env);
    }
    const [first] = status.json.requests[0].machines;
    const returned = await hf.runScript('requestReturnMachines', { machines: [{ name: first.name, machineId: first.machineId }] }, source.env);

    const file = join(root, 'state.jsonl');
    const exported = storage(['export', '-o', file], source.env);
    expect(exported).toMatchObject({ status: 0, json: { exported: { requests: 2, machines: 2 } } });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);

    const target = { ...source.env, HF_PROVIDER_WORKDIR: join(root, 'new work') };
    expect(storage(['import', '-f', file], target)).toMatchObject({
      status: 0,
      json: { imported: { requests: 2, machines: 2 }, skipped: { requests: 0, machines: 0 } },
    });
    expect(storage(['import', '-f', file], target)).toMatchObject({
      status: 0,
      json: { imported: { requests: 0, machines: 0 }, skipped: { requests: 2, machines: 2 } },
    });
    const moved = await hf.runScript(
      'getRequestStatus',
      { requests: [{ requestId: made.json.requestId }, { requestId: returned.json.requestId }] },
      target,
    );
    expect(moved.json.requests[0]).toMatchObject({ requestId: made.json.requestId, status: 'complete' });
    expect(moved.json.requests[0].machines.map((m: { machineId: string }) => m.machineId).sort()).toEqual(
      status.json.requests[0].machines.map((m: { machineId: string }) => m.machineId).sort(),
    );
    expect(moved.json.requests[1].requestId).toBe(returned.json.requestId);
    expect(moved.json.requests[1].machines.map((m: { machineId: string }) => m.machineId)).toEqual([first.machineId]);

    const tampered = readFileSync(file, 'utf8').replace('"machineCount":2', '"machineCount":3');
    writeFileSync(file, tampered);
    const refused = storage(['import', '-f', file], target);
    expect(refused.status).not.toBe(0);
    expect(refused.json.error.code).toBe('CONFLICT');
    expect(refused.json.error.message).toContain(made.json.requestId);

    expect(storage(['import'], target).json.error.code).toBe('INVALID_INPUT');
    writeFileSync(file, '{"type": "banana"}\n');
    expect(storage(['import', '-f', file], target).json.error.message).toContain('Line 1');
  });
});
