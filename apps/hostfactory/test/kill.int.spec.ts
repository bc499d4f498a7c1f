// The kill test: HF's calls SIGKILLed at random moments (before, during and after their AWS
// calls; a proxy in front of moto holds answers so that kills land mid-call and honours
// ClientToken as EC2 does) across RunInstances, EC2 Fleet instant and request, Spot Fleet and
// ASG templates. Then, acting as HF (polling only the ids it received), everything is settled
// and returned, and nothing may be left: no instance of this provider that HF does not hold, no
// machine HF holds that the store forgot, no request that launched more than it asked, every
// template back at its maxNumber. Calls are made until KILL_ROUNDS of them (default 100) were
// killed while they ran.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, type HfEnvironment, type ScriptResult } from './hf';

const Database = require('better-sqlite3');

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

/** Calls SIGKILLed at least (KILL_ROUNDS), and at most this many calls made to get there. */
const KILLS = Number(process.env['KILL_ROUNDS'] ?? 100);
const MAX_CALLS = 4 * KILLS;
const MAX_NUMBER = 6;
const SPOT_FLEET_ROLE = 'arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role';
const TEMPLATES: Record<string, Record<string, unknown>> = {
  'Kill-RunInstances': { providerApi: 'RunInstances', priceType: 'ondemand' },
  'Kill-FleetInstant': { providerApi: 'EC2Fleet', fleetType: 'instant', priceType: 'ondemand' },
  'Kill-FleetRequest': { providerApi: 'EC2Fleet', fleetType: 'request', priceType: 'ondemand' },
  'Kill-SpotFleet': {
    providerApi: 'SpotFleet',
    fleetType: 'request',
    priceType: 'spot',
    fleetRole: SPOT_FLEET_ROLE,
    allocationStrategy: 'lowestPrice',
  },
  'Kill-ASG': { providerApi: 'ASG', priceType: 'ondemand' },
};

/** What HF knows: only what answers that reached it told it. */
class HostFactory {
  readonly requests = new Set<string>();
  readonly returns = new Set<string>();
  /** machineId -> name, for machines handed over and not yet given back. */
  readonly held = new Map<string, string>();
  readonly answered = { requestMachines: 0, getRequestStatus: 0, requestReturnMachines: 0, getReturnRequests: 0, getAvailableTemplates: 0 };
  killed = 0;

  heldRefs(): { machineId: string; name: string }[] {
    return [...this.held].map(([machineId, name]) => ({ machineId, name }));
  }

  take(script: string, input: unknown, result: ScriptResult): void {
    if (result.killed) this.killed += 1;
    if (result.killed || result.status !== 0 || result.json === undefined) return;
    this.answered[script as keyof HostFactory['answered']] += 1;
    const json = result.json;
    if (script === 'requestMachines') this.requests.add(json.requestId);
    if (script === 'requestReturnMachines') {
      this.returns.add(json.requestId);
      for (const ref of (input as { machines: { machineId: string }[] }).machines) this.held.delete(ref.machineId);
    }
    if (script === 'getRequestStatus') {
      for (const entry of json.requests as { requestId: string; status: string; machines: { machineId: string; name: string; result: string }[] }[]) {
        if (this.requests.has(entry.requestId)) {
          for (const m of entry.machines) if (m.result === 'succeed') this.held.set(m.machineId, m.name);
          if (entry.status !== 'running') this.requests.delete(entry.requestId);
        } else if (this.returns.has(entry.requestId) && entry.status !== 'running') {
          this.returns.delete(entry.requestId);
        }
      }
    }
  }
}

describe('the kill test', () => {
  let environment: HfEnvironment;
  let proxy: Awaited<ReturnType<typeof startEc2Proxy>>;
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const providerName = `kill${Date.now().toString(36)}`;

  beforeAll(async () => {
    const endpoint = motoEndpoint();
    proxy = await startEc2Proxy(endpoint);
    const network = await hf.createNetwork(endpoint);
    environment = hf.hfEnvironment({
      root: mkdtempSync(join(tmpdir(), 'hf kill ')),
      endpoint: proxy.endpoint,
      providerName,
      extraEnv: { HF_PROVIDER_ACTION_TIMEOUT: '20' },
    });
    hf.writeProviderFiles(environment.confDir, {
      config: {
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_ORPHAN_TIMEOUT_SEC: 20,
        AWS_ORPHAN_GRACE_SEC: 3,
        AWS_ORPHAN_SWEEP_INTERVAL_SEC: 1,
        AWS_CAPACITY_TIMEOUT_SEC: 300,
        AWS_RETURN_TIMEOUT_SEC: 300,
      },
      templates: Object.entries(TEMPLATES).map(([templateId, fields]) =>
        hf.ondemandTemplate(network, { templateId, maxNumber: MAX_NUMBER, ...fields }),
      ),
    });
  });

  afterAll(async () => {
    ec2.destroy();
    await proxy.close();
  });

  const alive = async (): Promise<string[]> => {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:hf:provider-name', Values: [providerName] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
      }),
    );
    return (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string);
  };

  it(`${KILLS} rounds of SIGKILL leave nothing leaked, lost or launched twice`, async () => {
    const model = new HostFactory();
    const run = async (script: string, input: unknown, killAfterMs?: number): Promise<ScriptResult> => {
      const result = await hf.runScript(script, input, environment.env, { killAfterMs, timeoutMs: 60_000 });
      model.take(script, input, result);
      return result;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
    const templateIds = Object.keys(TEMPLATES);
    // Answers held 0-250 ms: a kill at a random moment often lands inside an AWS call.
    proxy.setHold(() => Math.floor(Math.random() * 250));

    const started = Date.now();
    const step = async (): Promise<void> => {
      const kill = Math.random() < 0.8 ? Math.floor(Math.random() * 1200) : undefined;
      const roll = Math.random();
      if (roll < 0.35) {
        await run('requestMachines', { template: { templateId: pick(templateIds), machineCount: 1 + Math.floor(Math.random() * 2) } }, kill);
      } else if (roll < 0.7 && model.requests.size + model.returns.size > 0) {
        const ids = [...model.requests, ...model.returns].map((requestId) => ({ requestId }));
        await run('getRequestStatus', { requests: ids }, kill);
      } else if (roll < 0.85 && model.held.size > 0) {
        const some = model.heldRefs().filter(() => Math.random() < 0.5);
        if (some.length > 0) await run('requestReturnMachines', { machines: some }, kill);
      } else if (roll < 0.95) {
        await run('getReturnRequests', { machines: model.heldRefs() }, kill);
      } else {
        await run('getAvailableTemplates', {}, kill);
      }
    };
    // One call at a time, or (a third of the time) two or three at once, as HF overlaps calls.
    let calls = 0;
    while (model.killed < KILLS && calls < MAX_CALLS) {
      const width = Math.random() < 0.33 ? 2 + Math.floor(Math.random() * 2) : 1;
      await Promise.all(Array.from({ length: width }, step));
      calls += width;
    }
    const roundsSeconds = (Date.now() - started) / 1000;

    // Settle as HF: poll what it knows until nothing runs, returning whatever gets reclaimed.
    proxy.setHold(() => 0);
    await proxy.drain();
    const deadline = Date.now() + 120_000;
    while ((model.requests.size > 0 || model.returns.size > 0) && Date.now() < deadline) {
      const ids = [...model.requests, ...model.returns].map((requestId) => ({ requestId }));
      await run('getRequestStatus', { requests: ids });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect([...model.requests, ...model.returns]).toEqual([]);

    // Machines HF holds must all be known to the store as handed over and alive (a return HF asked
    // for but never heard of may be recorded: HF asks again).
    const db = new Database(join(environment.workDir, `${providerName}.db`), { readonly: true });
    const storedHeld = new Set(
      (db.prepare(`SELECT machine_id FROM machines WHERE result = 'succeed' AND gone = 0`).all() as { machine_id: string }[]).map(
        (r) => r.machine_id,
      ),
    );
    const lost = [...model.held.keys()].filter((id) => !storedHeld.has(id));
    // Requests HF never learnt of, still holding quota, until the sweep ends them as orphans.
    const unknownRunning = (): string[] =>
      (db.prepare(`SELECT request_id FROM requests WHERE status = 'running'`).all() as { request_id: string }[])
        .map((r) => r.request_id)
        .filter((id) => !model.requests.has(id) && !model.returns.has(id));

    // The sweep gives back whatever HF does not hold (requests HF never learnt of, their fleets
    // and groups, instances of ended requests), once their orphan timeout and grace have passed.
    let strays = (await alive()).filter((id) => !model.held.has(id));
    for (let i = 0; i < 90 && (strays.length > 0 || unknownRunning().length > 0); i++) {
      await run('getReturnRequests', { machines: model.heldRefs() });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      strays = (await alive()).filter((id) => !model.held.has(id));
    }
    const leaked = strays.length;
    if (strays.length > 0) {
      const page = await ec2.send(new DescribeInstancesCommand({ InstanceIds: strays }));
      const detail = (page.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => ({ id: i.InstanceId, state: i.State?.Name, tags: i.Tags }));
      process.stdout.write(`kill test strays: ${JSON.stringify(detail)}\n`);
      const rows = db.prepare(`SELECT * FROM machines WHERE machine_id IN (${strays.map(() => '?').join(',')})`).all(...strays);
      process.stdout.write(`kill test strays in store: ${JSON.stringify(rows)}\n`);
    }
    expect(unknownRunning()).toEqual([]);

    // Return everything HF holds; then nothing of this provider may be alive.
    for (let i = 0; i < 10 && model.held.size > 0; i++) await run('requestReturnMachines', { machines: model.heldRefs() });
    for (let i = 0; i < 60 && model.returns.size > 0; i++) {
      await run('getRequestStatus', { requests: [...model.returns].map((requestId) => ({ requestId })) });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    let left = await alive();
    const returnsRunning = (): number =>
      (db.prepare(`SELECT count(*) AS n FROM requests WHERE kind = 'return' AND status = 'running'`).get() as { n: number }).n;
    for (let i = 0; i < 30 && (left.length > 0 || returnsRunning() > 0); i++) {
      await run('getReturnRequests', { machines: [] });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      left = await alive();
    }

    const asked = new Map(
      (
        db.prepare(`SELECT request_id, machine_count FROM requests WHERE kind = 'acquire'`).all() as { request_id: string; machine_count: number }[]
      ).map((r) => [r.request_id, r.machine_count]),
    );
    const double = [...proxy.launched()].filter(([requestId, units]) => units > (asked.get(requestId) ?? 0));
    const templates = await run('getAvailableTemplates', {});
    db.close();
    const available = (templates.json.templates as { templateId: string; availableNumber: number }[]).map((t) => [t.templateId, t.availableNumber]);

    process.stdout.write(
      `kill test: ${calls} calls in ${roundsSeconds.toFixed(0)} s, ${model.killed} killed while running, answers ${JSON.stringify(model.answered)}; ` +
        `requests stored ${asked.size}, launched for ${proxy.launched().size}; ` +
        `leaked ${leaked}, lost ${lost.length}, double ${double.length}, alive after return ${left.length}; ` +
        `availableNumber ${JSON.stringify(Object.fromEntries(available))}\n`,
    );
    expect(model.killed).toBeGreaterThanOrEqual(KILLS);
    expect({ leaked, lost, double, left }).toEqual({ leaked: 0, lost: [], double: [], left: [] });
    for (const [, number] of available) expect(number).toBe(MAX_NUMBER);
  }, 900_000);
});
