import { createHash } from 'node:crypto';
import { RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import {
  HostFactoryError,
  instanceWeight,
  systemClock,
  templateInstanceTypes,
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
import { mapEc2Error } from './errors';
import { Ec2Instances } from './ec2-instances';
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
   * Launches up to `count` instances. Returns the instances EC2 started (possibly fewer, with
   * `shortfallReason`). Throws HostFactoryError (see {@link mapEc2Error}); `TEMPLATE_INVALID`
   * when the template cannot be launched by RunInstances. Idempotent per (request, attempt).
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const params = await this.buildRunInstancesInput(input.template, input.request.requestId, input.attempt, input.count);
    const wanted = params.MaxCount ?? input.count;
    if (input.replay) {
      // The attempt may have reached EC2 before its caller died: what it made carries its tags.
      const made = await this.instances.launchedBy(input.request.requestId, input.attempt);
      if (made.length > 0) return this.launched(made, wanted, input.attempt);
    }
    let response;
    try {
      response = await this.client.send(new RunInstancesCommand(params));
    } catch (error) {
      throw mapEc2Error(error, 'RunInstances');
    }
    const machines = (response.Instances ?? [])
      .map((instance) => this.instances.toObservation(instance, input.request.requestId, input.template.templateId))
      .filter((observation): observation is MachineObservation => observation !== undefined);
    return this.launched(machines, wanted, input.attempt);
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

/** Subnet of an attempt: round-robin over the template's subnets, so retries move across AZs. */
export function subnetForAttempt(subnetIds: readonly string[], attempt: number): string | undefined {
  if (subnetIds.length === 0) return undefined;
  const index = (Math.max(1, Math.trunc(attempt)) - 1) % subnetIds.length;
  return subnetIds[index];
}
