// Races through the real scripts on moto_server. Overlapping status polls while a slow, short
// top-up is in flight launch exactly what was asked, never past maxNumber (a proxy in front of
// moto holds RunInstances; moto launches one instance a call). Concurrent requests of 1 against F
// free places: exactly min(N, F) are admitted, on SQLite and on DynamoDB.
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint, type HfEnvironment } from './hf';
import { startSerializingProxy, type SerializingProxy } from '../../../tools/moto/serializing-proxy';

const { startEc2Proxy } = require('../../../tools/moto/ec2-proxy.js') as typeof import('../../../tools/moto/ec2-proxy');

let network: { subnetIds: string[]; securityGroupId: string };
const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

beforeAll(async () => {
  network = await hf.createNetwork(motoEndpoint());
});
afterAll(() => ec2.destroy());

function install(endpoint: string, templateId: string, maxNumber: number, yaml?: string): HfEnvironment {
  const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf races ')), endpoint });
  hf.writeProviderFiles(environment.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
    templates: [hf.ondemandTemplate(network, { templateId, maxNumber })],
  });
  if (yaml) writeFileSync(join(environment.confDir, 'config.yml'), yaml);
  return environment;
}

async function launchedFor(templateId: string): Promise<string[]> {
  const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:hf:template-id', Values: [templateId] }] }));
  return (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string);
}

describe.each([2, 8, 16])('%i overlapping status polls while a slow top-up is in flight', (polls) => {
  it('launch exactly what was asked, never past maxNumber', async () => {
    const proxy = await startEc2Proxy(motoEndpoint());
    try {
      const templateId = `Race-${polls}-${Date.now().toString(36)}`;
      const environment = install(proxy.endpoint, templateId, 3);
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      const made = await run('requestMachines', { template: { templateId, machineCount: 3 } });
      expect(made.status).toBe(0);
      const requestId: string = made.json.requestId;
      expect(await launchedFor(templateId)).toHaveLength(1); // moto launches MinCount: the rest are top-ups

      // The top-up's RunInstances is held until every other poll has run: slow, and short (moto
      // launches one instance). Later top-ups are held a little, so the cloud answers as slowly.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let held = 0;
      proxy.setHold((action) => (action === 'RunInstances' ? (held++ === 0 ? gate : 500) : 0));
      const poll = () => run('getRequestStatus', { requests: [{ requestId }] });
      const first = poll();
      for (let i = 0; i < 400 && proxy.count('RunInstances') < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(proxy.count('RunInstances')).toBe(2); // the first poll's top-up is in flight
      const overlapping = await Promise.all(Array.from({ length: polls - 1 }, poll));
      expect(proxy.count('RunInstances')).toBe(2); // none of them launched
      release();
      for (const answer of [await first, ...overlapping]) {
        expect(answer.status).toBe(0);
        expect(answer.json.requests[0].status).toBe('running');
      }

      let status = 'running';
      for (let i = 0; i < 10 && status === 'running'; i++) status = (await poll()).json.requests[0].status;
      expect(status).toBe('complete');
      expect(await launchedFor(templateId)).toHaveLength(3);
      expect(proxy.launched().get(requestId)).toBe(3); // the first launch and two top-ups, one instance each
      process.stdout.write(
        `race: ${polls} polls, RunInstances calls ${proxy.count('RunInstances')}, instances ${(await launchedFor(templateId)).length} of 3\n`,
      );
    } finally {
      await proxy.close();
    }
  });
});

describe('concurrent requests against the free places of a template', () => {
  let dynamo: SerializingProxy;
  beforeAll(async () => {
    // moto does not lock a table between a condition check and the write (tools/moto/serializing-proxy.js).
    dynamo = await startSerializingProxy(motoEndpoint());
  });
  afterAll(async () => dynamo.close());

  const stores: [string, () => string | undefined][] = [
    ['SQLite', () => undefined],
    [
      'DynamoDB',
      () => `storage:\n  type: dynamodb\n  dynamodb:\n    table_prefix: hf-fair-${Date.now().toString(36)}\n    endpoint_url: ${dynamo.endpoint}\n`,
    ],
  ];

  describe.each(stores)('on %s', (_name, yaml) => {
    it.each([
      [16, 8],
      [6, 8],
    ])('%i requests of 1 against %i free: exactly min(N, F) admitted', async (n, free) => {
      const templateId = `Fair-${n}-${free}-${Date.now().toString(36)}`;
      const environment = install(motoEndpoint(), templateId, free, yaml());
      const run = (script: string, input: unknown) => hf.runScript(script, input, environment.env);
      const answers = await Promise.all(Array.from({ length: n }, () => run('requestMachines', { template: { templateId, machineCount: 1 } })));
      const admitted = answers.filter((a) => a.status === 0);
      const refused = answers.filter((a) => a.status !== 0);
      expect(admitted).toHaveLength(Math.min(n, free));
      for (const answer of refused) expect(answer.json.error.code).toBe('MAX_NUMBER_EXCEEDED');
      const templates = await run('getAvailableTemplates', {});
      expect(templates.json.templates[0].availableNumber).toBe(Math.max(0, free - n));
      process.stdout.write(`fairness (${_name}): ${n} requests against ${free} free: ${admitted.length} admitted, ${refused.length} refused\n`);
    });
  });
});
