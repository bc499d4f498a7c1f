// Two provider instances (different HF_PROVIDER_NAME) sharing one work directory never see each
// other's requests or machines.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

describe('provider instances sharing a SQLite directory', () => {
  it('keep their requests and machines apart', async () => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    const root = mkdtempSync(join(tmpdir(), 'hf isolation '));
    const east = hf.hfEnvironment({ root, endpoint, providerName: 'aws-east' });
    const west = hf.hfEnvironment({ root, endpoint, providerName: 'aws-west' });
    const shared = join(root, 'shared work');
    for (const side of [east, west]) {
      side.env['HF_PROVIDER_WORKDIR'] = shared;
      hf.writeProviderFiles(side.confDir, {
        config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
        templates: [hf.ondemandTemplate(network, { maxNumber: 4 })],
      });
    }
    const made = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 2 } }, east.env);
    expect(made.status).toBe(0);
    let mine = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, east.env);
    for (let i = 0; i < 5 && mine.json.requests[0].status === 'running'; i++) {
      mine = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, east.env);
    }
    expect(mine.json.requests[0].status).toBe('complete');

    const theirs = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, west.env);
    expect(theirs.json.requests[0]).toMatchObject({ status: 'complete_with_error', machines: [] });
    const westTemplates = await hf.runScript('getAvailableTemplates', {}, west.env);
    expect(westTemplates.json.templates[0].availableNumber).toBe(4);
    const eastTemplates = await hf.runScript('getAvailableTemplates', {}, east.env);
    expect(eastTemplates.json.templates[0].availableNumber).toBe(2);
    const westReclaims = await hf.runScript('getReturnRequests', {}, west.env);
    expect(westReclaims.json.requests).toEqual([]);
    const machine = mine.json.requests[0].machines[0];
    const westReturn = await hf.runScript('requestReturnMachines', { machines: [{ name: machine.name, machineId: machine.machineId }] }, west.env);
    // Not west's (its tags name east): looked up in the cloud, named in the answer, left alone.
    expect(westReturn.json.message).toBe(`No Active VM. Not machines of this provider, left alone: ${machine.machineId}.`);
    const still = await hf.runScript('getRequestStatus', { requests: [{ requestId: made.json.requestId }] }, east.env);
    expect(still.json.requests[0].machines.every((m: { status: string }) => m.status === 'running')).toBe(true);
  });
});
