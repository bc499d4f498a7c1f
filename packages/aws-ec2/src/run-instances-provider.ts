import { createHash } from 'node:crypto';
import { RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import {
  HostFactoryError,
  describePool,
  describeRefusal,
  instanceWeight,
  noPoolMemory,
  poolKey,
  systemClock,
  templateInstanceTypes,
  type CapacityPool,
  type PoolRefusal,
  type UnavailablePools,
  type AcquireInput,
  type AcquireResult,
  type CapacityProvider,
  type Clock,
  type CloudInventory,
  type DescribeInput,
  type DescribeResult,
  type Machine,
  type MachineObservation,
  type PreflightResult,
  type ProviderApi,
  type Template,
  templateProblemOf,
} from '@open-hostfactory/core';
import { dryRun } from './dry-run';
import { launchSettings } from './launch-settings';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, isPoolRefusal, mapEc2Error, refusalReason } from './errors';
import { Ec2Instances } from './ec2-instances';
import { refusedLately } from './fleet-common';
import { launchTags } from './tags';

export interface RunInstancesProviderOptions {
  /** The HF provider instance name (HF_PROVIDER_NAME), written to every instance's tags. */
  readonly providerName: string;
  /** Time source for launch times EC2 did not report (defaults to the system clock). */
  readonly clock?: Clock;
  /**
   * The instance view shared by every EC2 shape of the installation (with its EventBridge notice
   * queue, when configured); a private one over `client` otherwise.
   */
  readonly instances?: Ec2Instances;
  /** The pools the cloud refused lately (shared through the store); none known without it. */
  readonly pools?: UnavailablePools;
}

/** Most pools one RunInstances attempt tries before it gives up (each a call within HF's action timeout). */
export const MAX_POOLS_PER_ATTEMPT = 8;

/** One place RunInstances can launch in: an instance type in a subnet (none: the launch template's). */
interface RunPool {
  readonly instanceType: string | undefined;
  readonly subnetId: string | undefined;
  readonly pool: CapacityPool;
}

/**
 * Capacity by EC2 RunInstances: one call per launch attempt, `MinCount: 1, MaxCount: count`, so
 * EC2 launches what it can and the use case seeks the rest in later attempts. Every instance
 * and volume carries the `hf:*` tags (launch attempt included); the ClientToken makes each
 * (request, attempt) idempotent, and a replayed attempt first looks for the instances it made.
 */
export class RunInstancesProvider implements CapacityProvider {
  readonly api: ProviderApi = 'RunInstances';
  private readonly clock: Clock;
  private readonly instances: Ec2Instances;

  constructor(
    private readonly client: Ec2Client,
    private readonly options: RunInstancesProviderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.instances = options.instances ?? new Ec2Instances(client, this.clock);
  }

  /**
   * Launches up to `count` units. Pools (instance type x subnet, bought as the template's price
   * type) go in order: the template's first type in the attempt's subnet (round-robin), then its
   * other subnets, then the next types. Pools the cloud refused lately are skipped; a pool that
   * refuses now for capacity (see {@link isPoolRefusal}) is remembered and the next one is tried in
   * the same call, up to {@link MAX_POOLS_PER_ATTEMPT}. Returns the instances EC2 started (possibly
   * fewer, with `shortfallReason`). Throws INSUFFICIENT_CAPACITY naming every pool and why when
   * none can launch, other errors as {@link mapEc2Error}; `TEMPLATE_INVALID` when the template
   * cannot be launched by RunInstances. Idempotent per (request, attempt, pool): the first pool
   * of the template's order uses `clientToken(requestId, attempt)`, the others a token of the pool.
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const { template, request } = input;
    const first = await this.buildRunInstancesInput(template, request.requestId, input.attempt, input.count);
    if (input.replay) {
      // The attempt may have reached EC2 before its caller died: what it made carries its tags.
      const made = await this.instances.launchedBy(request.requestId, input.attempt);
      if (made.length > 0) return this.launched(made, first.MaxCount ?? input.count, input.attempt);
    }
    const memory = this.options.pools ?? noPoolMemory;
    const order = runPools(template, input.attempt);
    const known = await memory.find(order.map((candidate) => candidate.pool));
    const open = order.filter((candidate) => !known.has(poolKey(candidate.pool))).slice(0, MAX_POOLS_PER_ATTEMPT);
    const skipped = order.filter((candidate) => known.has(poolKey(candidate.pool))).map((candidate) => candidate.pool);
    if (open.length === 0) throw refusedLately(template, skipped, known);
    const tried: string[] = skipped.map((pool) => describeRefusal(pool, known.get(poolKey(pool))));
    const firstKey = order[0] ? poolKey(order[0].pool) : '';
    let lastRefusal: unknown;
    for (const candidate of open) {
      const key = poolKey(candidate.pool);
      const params = inPool(first, template, input.count, candidate, key === firstKey ? undefined : poolToken(request.requestId, input.attempt, key));
      let response;
      try {
        response = await this.client.send(new RunInstancesCommand(params));
      } catch (error) {
        if (!isPoolRefusal(awsErrorCode(error))) throw mapEc2Error(error, 'RunInstances');
        lastRefusal = error;
        const refusal: PoolRefusal = { pool: candidate.pool, reason: refusalReason(error) };
        await memory.remember([refusal]);
        tried.push(`${describePool(candidate.pool)}: ${refusal.reason}`);
        continue;
      }
      const machines = (response.Instances ?? [])
        .map((instance) => this.instances.toObservation(instance, request.requestId, template.templateId))
        .filter((observation): observation is MachineObservation => observation !== undefined);
      const result = this.launched(machines, params.MaxCount ?? input.count, input.attempt);
      if (tried.length === 0 || result.shortfallReason === undefined) return result;
      return { ...result, shortfallReason: `${result.shortfallReason}; pools refused: ${tried.join('; ')}` };
    }
    const mapped = mapEc2Error(lastRefusal, 'RunInstances');
    throw new HostFactoryError(mapped.code, `EC2 RunInstances found no capacity for template '${template.templateId}': ${tried.join('; ')}`, {
      cause: lastRefusal,
      details: { ...mapped.details, templateId: template.templateId },
    });
  }

  private launched(machines: MachineObservation[], wanted: number, attempt: number): AcquireResult {
    const result: AcquireResult = { machines };
    if (machines.length < wanted) {
      return {
        ...result,
        shortfallReason: `EC2 RunInstances launched ${machines.length} of ${wanted} instances (attempt ${attempt})`,
      };
    }
    return result;
  }

  /**
   * RunInstances of one instance of the template, exactly as `acquire` would ask it, with
   * `DryRun`: EC2 checks permissions and the launch settings (image, type, key pair, profile,
   * subnet, security groups) without launching. What an endpoint ignoring DryRun launched is
   * terminated at once.
   */
  async preflight(template: Template): Promise<PreflightResult> {
    let params: RunInstancesCommandInput;
    try {
      params = await this.buildRunInstancesInput(template, PREFLIGHT_REQUEST_ID, 1, 1);
    } catch (error) {
      return { checked: ['RunInstances input'], problems: [templateProblemOf(error)] };
    }
    const { ClientToken: _token, ...once } = params;
    const outcome = await dryRun('RunInstances', () =>
      this.client.send(new RunInstancesCommand({ ...once, MinCount: 1, MaxCount: 1, DryRun: true })),
    );
    const launched = (outcome.made?.Instances ?? []).flatMap((instance) => (instance.InstanceId ? [instance.InstanceId] : []));
    if (launched.length > 0) await this.instances.terminate(launched);
    return { checked: ['RunInstances DryRun'], problems: outcome.problems };
  }

  /** One batched pass over the asked requests (by tag) and machines (by id). Read-only. */
  async describe(input: DescribeInput): Promise<DescribeResult> {
    return this.instances.describe(
      input.requests.map((request) => request.requestId),
      input.machines.map((machine) => machine.machineId),
    );
  }

  /** Terminates the machines, leaving spot instances EC2 reclaims to EC2 (see {@link Ec2Instances.giveBack}). Idempotent. */
  async release(machines: readonly Machine[]): Promise<void> {
    await this.instances.giveBack(machines);
  }

  /** Every instance tagged with the provider name (shared by the EC2 shapes); no holders. */
  async inventory(): Promise<CloudInventory> {
    return { instances: await this.instances.tagged(this.options.providerName), holders: [] };
  }

  async lookup(machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.instances.lookup(this.options.providerName, machineIds);
  }

  /**
   * The RunInstances input of one attempt (exposed for tests through `acquire`). `count` is in
   * capacity units: with `vmTypes` weights, ceil(units / weight of the launched type) instances.
   */
  private async buildRunInstancesInput(template: Template, requestId: string, attempt: number, units: number): Promise<RunInstancesCommandInput> {
    if (!Number.isInteger(units) || units < 1) {
      throw new HostFactoryError('INVALID_INPUT', `count must be a positive integer, got ${units}`);
    }
    if (template.priceType === 'heterogeneous') {
      throw new HostFactoryError(
        'TEMPLATE_INVALID',
        `Template '${template.templateId}': priceType 'heterogeneous' needs providerApi EC2Fleet or SpotFleet, not RunInstances`,
        { details: { templateId: template.templateId } },
      );
    }
    const launchTemplate = template.launchTemplateId !== undefined && template.launchTemplateId !== '';
    const instanceType = templateInstanceTypes(template)[0];
    if (!launchTemplate && (!template.imageId || !instanceType)) {
      throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs imageId and vmType (or a launchTemplateId)`, {
        details: { templateId: template.templateId },
      });
    }
    const tags = launchTags({
      providerName: this.options.providerName,
      providerApi: this.api,
      requestId,
      templateId: template.templateId,
      attempt,
      instanceTags: template.instanceTags,
    });
    const count = Math.ceil(units / instanceWeight(template, instanceType ?? ''));
    const params: RunInstancesCommandInput = {
      MinCount: 1,
      MaxCount: count,
      ClientToken: clientToken(requestId, attempt),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    };
    if (launchTemplate) {
      params.LaunchTemplate = {
        LaunchTemplateId: template.launchTemplateId,
        Version: template.launchTemplateVersion || '$Default',
      };
    }
    Object.assign(params, await launchSettings(this.client, template));
    const subnetId = subnetForAttempt(template.subnetIds, attempt);
    if (subnetId) params.SubnetId = subnetId;
    if (template.priceType === 'spot') {
      params.InstanceMarketOptions = {
        MarketType: 'spot',
        SpotOptions: {
          SpotInstanceType: 'one-time',
          InstanceInterruptionBehavior: 'terminate',
          ...(template.maxSpotPrice !== undefined && template.maxSpotPrice > 0 ? { MaxPrice: String(template.maxSpotPrice) } : {}),
        },
      };
    }
    return params;
  }
}

/** The request id a preflight's calls are built (and tagged) with: no HF request has it. */
export const PREFLIGHT_REQUEST_ID = 'preflight';

/**
 * The RunInstances ClientToken of one (request, attempt): `<requestId>:<attempt>` when it fits
 * EC2's 64 ASCII characters, else its sha256 hex (64 characters). Same input, same token.
 */
export function clientToken(requestId: string, attempt: number): string {
  const raw = `${requestId}:${attempt}`;
  if (raw.length <= 64 && /^[\x21-\x7e]+$/.test(raw)) return raw;
  return createHash('sha256').update(raw).digest('hex').slice(0, 64);
}

/** The attempt's RunInstances input moved to `pool`: its type (and instance count for `units`), its subnet, and `token` when given. */
function inPool(
  base: RunInstancesCommandInput,
  template: Template,
  units: number,
  pool: RunPool,
  token: string | undefined,
): RunInstancesCommandInput {
  const params: RunInstancesCommandInput = { ...base, ...(token ? { ClientToken: token } : {}) };
  if (pool.instanceType) {
    params.InstanceType = pool.instanceType as RunInstancesCommandInput['InstanceType'];
    params.MaxCount = Math.ceil(units / instanceWeight(template, pool.instanceType));
  }
  if (pool.subnetId) params.SubnetId = pool.subnetId;
  return params;
}

/** The pool token of a RunInstances call in a pool other than the template's first: sha256 of request, attempt and pool. */
function poolToken(requestId: string, attempt: number, key: string): string {
  return createHash('sha256').update(`${requestId}:${attempt}:${key}`).digest('hex').slice(0, 64);
}

/**
 * The pools an attempt tries, in order: the template's types in order, each over its subnets
 * starting at the attempt's one (round-robin); one pool with no type or subnet (the launch
 * template decides) when the template names neither.
 */
function runPools(template: Template, attempt: number): RunPool[] {
  const priceType = template.priceType === 'spot' ? 'spot' : 'ondemand';
  const types: (string | undefined)[] = templateInstanceTypes(template);
  if (types.length === 0) types.push(undefined);
  const subnets = subnetsForAttempt(template.subnetIds, attempt);
  const rotated: (string | undefined)[] = subnets.length === 0 ? [undefined] : subnets;
  return types.flatMap((instanceType) =>
    rotated.map((subnetId) => ({ instanceType, subnetId, pool: { instanceType: instanceType ?? '', location: subnetId ?? '', priceType } })),
  );
}

/** Subnet of an attempt: round-robin over the template's subnets, so retries move across AZs. */
export function subnetForAttempt(subnetIds: readonly string[], attempt: number): string | undefined {
  return subnetsForAttempt(subnetIds, attempt)[0];
}

/** The template's subnets in the order an attempt tries them: its own first ({@link subnetForAttempt}), then the ones after it, wrapping. */
function subnetsForAttempt(subnetIds: readonly string[], attempt: number): string[] {
  if (subnetIds.length === 0) return [];
  const start = (Math.max(1, Math.trunc(attempt)) - 1) % subnetIds.length;
  return [...subnetIds.slice(start), ...subnetIds.slice(0, start)];
}
