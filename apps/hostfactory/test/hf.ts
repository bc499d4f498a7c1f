// Typed access to tools/hf (the HF stand-in shared by these tests and the demo).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;

  json: any;
  ms: number;
  /** True when `killAfterMs` (or the timeout) killed the call while it ran. */
  killed: boolean;
}

export interface HfEnvironment {
  env: Record<string, string>;
  confDir: string;
  workDir: string;
  logDir: string;
}

interface HfTools {
  ROOT: string;
  SCRIPTS_DIR: string;
  hfEnvironment(options: {
    root: string;
    providerName?: string;
    endpoint?: string;
    region?: string;
    extraEnv?: Record<string, string>;
  }): HfEnvironment;
  writeProviderFiles(confDir: string, files: { config?: Record<string, unknown>; templates: unknown[] }): void;
  createNetwork(endpoint: string): Promise<{ vpcId: string; subnetIds: string[]; securityGroupId: string }>;
  terminateOutsidePlugin(endpoint: string, instanceId: string): Promise<void>;
  MOTO_AMI: string;
  ondemandTemplate(network: { subnetIds: string[]; securityGroupId: string }, overrides?: Record<string, unknown>): Record<string, unknown>;
  runScript(
    script: string,
    input: unknown,
    env: Record<string, string>,
    options?: { cwd?: string; scriptsDir?: string; timeoutMs?: number; killAfterMs?: number; killOn?: Promise<unknown> },
  ): Promise<ScriptResult>;
}

export const hf: HfTools = require('../../../tools/hf/hf-environment.js');

export const simulator: {
  lifecycle(options: { endpoint: string; root: string; print?: (t: string) => void }): Promise<any>;
} = require('../../../tools/hf/simulator.js');

export const MOTO_AMI = hf.MOTO_AMI;

export function motoEndpoint(): string {
  const endpoint = process.env['MOTO_ENDPOINT'];
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set (the jest globalSetup starts moto_server)');
  return endpoint;
}

/** A fresh HF installation (dirs with a space in the path) with one template on moto's network. */
export async function installation(
  options: { providerName?: string; templates?: unknown[]; config?: Record<string, unknown> } = {},
): Promise<HfEnvironment> {
  const endpoint = motoEndpoint();
  const root = mkdtempSync(join(tmpdir(), 'hf top '));
  const environment = hf.hfEnvironment({ root, endpoint, providerName: options.providerName });
  const network = await hf.createNetwork(endpoint);
  hf.writeProviderFiles(environment.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, ...options.config },
    templates: options.templates ?? [hf.ondemandTemplate(network, { maxNumber: 5, instanceTags: 'team=hpc;project=e2e' })],
  });
  return environment;
}

/**
 * Runs one HF script and expects it to answer with exit 0 and no error document (a failure
 * shows the script and the error); returns the answer.
 */

export async function runOk(script: string, input: unknown, env: Record<string, string>, options: { scriptsDir?: string } = {}): Promise<any> {
  const result = await hf.runScript(script, input, env, options);
  expect({ script, status: result.status, error: result.json?.error }).toEqual({ script, status: 0, error: undefined });
  return result.json;
}

/** Polls getRequestStatus for one request until it is no longer running (10 polls at most); expects `complete`. Returns the request's entry. */

export async function untilComplete(requestId: string, env: Record<string, string>, options: { scriptsDir?: string } = {}): Promise<any> {
  let status = await runOk('getRequestStatus', { requests: [{ requestId }] }, env, options);
  for (let i = 0; i < 10 && status.requests[0].status === 'running'; i++)
    status = await runOk('getRequestStatus', { requests: [{ requestId }] }, env, options);
  expect(status.requests[0].status).toBe('complete');
  return status.requests[0];
}
