// The whole HF lifecycle through the real scripts, run exactly as HF runs them
// (`script.sh -f /tmp/file`, tab-indented JSON, HF's environment), against moto_server.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoEndpoint, simulator } from './hf';

describe('HF lifecycle through the scripts (moto_server)', () => {
  let run: any;

  beforeAll(async () => {
    run = await simulator.lifecycle({ endpoint: motoEndpoint(), root: mkdtempSync(join(tmpdir(), 'hf lifecycle ')) });
  });

  it('every call printed exactly one JSON document and exited 0', () => {
    expect(run.steps.length).toBeGreaterThan(8);
    for (const step of run.steps) {
      expect(step.status).toBe(0);
      expect(JSON.parse(step.stdout)).toEqual(step.json);
    }
  });

  it('getAvailableTemplates derives ncpus (as EGO counts: a t3.medium has 1 core)/nram from DescribeInstanceTypes and reports availability', () => {
    const [template] = run.templates.templates;
    expect(run.templates.message).toBe('Get available templates success.');
    expect(template).toMatchObject({
      templateId: 'OnDemand-Small',
      maxNumber: 10,
      availableNumber: 10,
      attributes: { type: ['String', 'X86_64'], ncpus: ['Numeric', '1'], nram: ['Numeric', '4096'] },
      vmType: 't3.medium',
      priceType: 'ondemand',
      instanceTags: 'team=hpc;project=demo',
    });
  });

  it('requestMachines answers a req- id', () => {
    expect(run.acquire).toEqual({ requestId: expect.stringMatching(/^req-/), message: 'Request VM success from AWS.' });
  });

  it('the acquire request completes with 3 distinct running machines carrying name, IP and launch time', () => {
    expect(run.acquired.status).toBe('complete');
    expect(run.acquired.machines).toHaveLength(3);
    expect(new Set(run.acquired.machines.map((m: { machineId: string }) => m.machineId)).size).toBe(3);
    for (const machine of run.acquired.machines) {
      expect(machine).toMatchObject({
        machineId: expect.stringMatching(/^i-/),
        result: 'succeed',
        status: 'running',
        name: expect.stringMatching(/\S/),
        privateIpAddress: expect.stringMatching(/^10\.40\./),
        launchtime: expect.any(Number),
        priceType: 'ondemand',
        instanceType: 't3.medium',
        instanceTags: 'team=hpc;project=demo',
      });
      expect(Number.isInteger(machine.launchtime)).toBe(true);
    }
  });

  it('the return request completes once the instances are terminated', () => {
    expect(run.giveBack).toEqual({ requestId: expect.stringMatching(/^ret-/), message: 'Delete VM success.' });
    expect(run.returned.status).toBe('complete');
    expect(run.returned.machines).toHaveLength(3);
    expect(run.returned.machines.every((m: { result: string }) => m.result === 'succeed')).toBe(true);
  });

  it("an instance terminated behind the plugin's back shows up in getReturnRequests", () => {
    expect(run.reclaims).toEqual({
      status: 'complete',
      message: 'Instances marked for termination retrieved successfully.',
      requests: [{ machine: run.victim.name, machineId: run.victim.machineId, gracePeriod: 0 }],
    });
  });

  it('nothing but the answer went to stdout, logs went to the log file', () => {
    for (const step of run.steps) expect(step.stderr).toBe('');

    const fs = require('node:fs');
    const log = fs.readFileSync(join(run.hf.logDir, 'awsinst-provider.log'), 'utf8').trim().split('\n');
    expect(log.length).toBeGreaterThan(5);
    for (const line of log) expect(JSON.parse(line)).toHaveProperty('level');
  });
});
