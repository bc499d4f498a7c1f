import { createAwsClient, loadProxyAgents, mapAwsError } from '@open-hostfactory/aws-common';
import { BootstrapGuard, StateStore, silentLogger, systemClock, toHostFactoryError } from '@open-hostfactory/core';
import { startCallBudget, withinBudget } from '../call-budget';
import { awsClientOptions } from '../aws-capacity';
import { loadConfig, toProviderSettings, type AppConfig } from '../config';
import { resolve } from '../wiring';
import { createContainer, storageFile, type Overrides } from '../container';
import { table } from './table';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly name: 'config' | 'templates' | 'storage' | 'credentials' | 'ec2';
  readonly status: CheckStatus;
  readonly message: string;
}

/** At most this long for the whole health check (less when the action timeout is shorter). */
const HEALTH_BUDGET_SEC = 30;

/**
 * `hostfactory.sh health`: one check per part the calls depend on, in order; a check whose
 * prerequisite failed says so instead of running. Exit 1 when any check fails.
 */
export async function runHealth(io: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly overrides?: Overrides;
}): Promise<{ document: unknown; text: string; exitCode: number }> {
  const checks: Check[] = [];
  let config: AppConfig | undefined;
  try {
    config = loadConfig({ env: io.env, cwd: io.cwd });
    checks.push({
      name: 'config',
      status: 'ok',
      message: `provider ${config.providerName}, region ${config.provider.region}${config.provider.endpointUrl ? `, endpoint ${config.provider.endpointUrl}` : ''}`,
    });
  } catch (error) {
    checks.push({ name: 'config', status: 'fail', message: toHostFactoryError(error).message });
  }
  if (config) {
    checks.push(templatesCheck(config));
    checks.push(await storageCheck(config, io.overrides));
    const budget = startCallBudget(Math.min(HEALTH_BUDGET_SEC, config.provider.actionTimeoutSec), Date.now());
    try {
      await loadProxyAgents(config.provider.proxy);
      checks.push(await credentialsCheck(config, budget));
      checks.push(await ec2Check(config, budget));
    } finally {
      budget.dispose();
    }
  } else {
    for (const name of ['templates', 'storage', 'credentials', 'ec2'] as const) {
      checks.push({ name, status: 'fail', message: 'not checked: the configuration does not load' });
    }
  }
  const failed = checks.some((check) => check.status === 'fail');
  return {
    document: { status: failed ? 'fail' : 'ok', checks },
    text: table(
      ['CHECK', 'STATUS', 'MESSAGE'],
      checks.map((c) => [c.name, c.status, c.message]),
    ),
    exitCode: failed ? 1 : 0,
  };
}

function templatesCheck(config: AppConfig): Check {
  const ids = config.templates.map((t) => t.templateId);
  if (config.notices.length > 0) {
    return { name: 'templates', status: 'warn', message: `${ids.length} template(s) (${ids.join(', ')}); ${config.notices.join('; ')}` };
  }
  return { name: 'templates', status: 'ok', message: `${ids.length} template(s): ${ids.join(', ')}` };
}

async function storageCheck(config: AppConfig, overrides: Overrides | undefined): Promise<Check> {
  const where =
    config.storage.type === 'dynamodb'
      ? `DynamoDB tables ${config.storage.dynamodb.tablePrefix}-* in ${config.storage.dynamodb.region}`
      : `SQLite ${storageFile(config)}`;
  let container;
  try {
    container = await createContainer(config, silentLogger, overrides ?? {});
    const store = await resolve(container, StateStore);
    const now = Date.now();
    // A lease of its own is a real write that touches no request or machine.
    await store.takeLease('health-check', `health:${process.pid}`, now + 1000, now);
    const open = await store.listRequests({ open: true });
    const inspection = await store.inspect?.();
    const message = `${inspection?.summary ?? where}: readable and writable, ${open.length} open request(s)`;
    // Templates held back by bootstrap protection: what the store knows of them.
    const held = await new BootstrapGuard(store, systemClock, toProviderSettings(config)).held(config.templates.map((t) => t.templateId));
    const warnings = [...(inspection?.warnings ?? []), ...[...held].map(([templateId, reason]) => `template ${templateId} held back: ${reason}`)];
    if (warnings.length > 0) return { name: 'storage', status: 'warn', message: `${message}; ${warnings.join('; ')}` };
    return { name: 'storage', status: 'ok', message };
  } catch (error) {
    return { name: 'storage', status: 'fail', message: `${where}: ${toHostFactoryError(error).message}` };
  } finally {
    const store = await (container ? resolve(container, StateStore) : Promise.resolve(undefined)).catch(() => undefined);
    await store?.close().catch(() => undefined);
  }
}

async function credentialsCheck(config: AppConfig, budget: ReturnType<typeof startCallBudget>): Promise<Check> {
  try {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = withinBudget(
      createAwsClient((c) => new STSClient(c), 'sts', awsClientOptions(config)),
      budget,
      'AUTH_ERROR',
      'STS',
    );
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      return { name: 'credentials', status: 'ok', message: `account ${identity.Account ?? '?'} as ${identity.Arn ?? '?'}` };
    } finally {
      sts.destroy();
    }
  } catch (error) {
    return { name: 'credentials', status: 'fail', message: mapAwsError(error, 'STS', 'GetCallerIdentity').message };
  }
}

async function ec2Check(config: AppConfig, budget: ReturnType<typeof startCallBudget>): Promise<Check> {
  try {
    // Through aws-ec2, never a dynamic import of the EC2 SDK's index here: that
    // keeps all of its 700-odd commands in the EC2 chunk every HF call loads (+27 MB RSS).
    const ec2 = await import('@open-hostfactory/aws-ec2');
    const client = withinBudget(ec2.createEc2Client(awsClientOptions(config)), budget, 'PROVIDER_ERROR', 'EC2');
    try {
      const names = await ec2.availabilityZones(client);
      if (names.length === 0)
        return { name: 'ec2', status: 'warn', message: `reachable, but region ${config.provider.region} lists no availability zone` };
      return { name: 'ec2', status: 'ok', message: `reachable: ${names.length} availability zone(s) in ${config.provider.region}` };
    } finally {
      client.destroy();
    }
  } catch (error) {
    return { name: 'ec2', status: 'fail', message: mapAwsError(error, 'EC2', 'DescribeAvailabilityZones').message };
  }
}
