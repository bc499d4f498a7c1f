import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { allItems, unique } from '@open-hostfactory/aws-common';
import {
  problemsStatus,
  templateInstanceTypes,
  templateProblemOf,
  type CapacityProvider,
  type Template,
  type TemplateProblem,
  type TemplateValidator,
} from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { mapEc2Error } from './errors';

export interface TemplateCheckResult {
  readonly templateId: string;
  readonly status: 'ok' | 'warn' | 'fail';
  /** What was checked, in order (each DryRun made, or why one was skipped). */
  readonly checked: readonly string[];
  readonly problems: readonly TemplateProblem[];
}

/**
 * The operator's check of a template against AWS, without launching: what the validator checks
 * (image, subnets, security groups, instance types, launch template exist), each instance type
 * offered in each subnet's availability zone (DescribeInstanceTypeOfferings), then the
 * template's capacity provider's `preflight`: the call its `acquire` would make, with `DryRun`
 * (RunInstances, CreateFleet, RequestSpotFleet; Auto Scaling has none), which EC2 answers
 * `DryRunOperation` when allowed (permissions, image and type compatible, key pair, profile,
 * fleet role). Read-only.
 */
export class Ec2TemplateCheck {
  constructor(
    private readonly client: Ec2Client,
    private readonly validator: TemplateValidator,
  ) {}

  async check(template: Template, provider: Pick<CapacityProvider, 'api' | 'preflight'>): Promise<TemplateCheckResult> {
    const checked = ['image, subnets, security groups, instance types and launch template exist'];
    let ready: Template;
    try {
      ready = await this.validator.prepare(template);
    } catch (error) {
      return result(template, checked, [templateProblemOf(error)]);
    }
    const problems: TemplateProblem[] = [];
    if (templateInstanceTypes(ready).length > 0 && ready.subnetIds.length > 0) {
      checked.push('instance types offered in each subnet zone');
      problems.push(...(await this.offerings(ready)));
    }
    if (provider.preflight) {
      const preflight = await provider.preflight(ready);
      checked.push(...preflight.checked);
      problems.push(...preflight.problems);
    } else {
      checked.push(`no preflight: the ${provider.api} provider has none`);
    }
    return result(template, checked, problems);
  }

  /** Each instance type in each subnet's zone: missing everywhere fails, missing somewhere warns. */
  private async offerings(template: Template): Promise<TemplateProblem[]> {
    const types = unique([...templateInstanceTypes(template), ...Object.keys(template.vmTypesOnDemand ?? {})]);
    try {
      const subnets = await allItems(
        (NextToken) => this.client.send(new DescribeSubnetsCommand({ SubnetIds: [...template.subnetIds], NextToken })),
        (page) => page.Subnets,
      );
      const zoneOf = new Map(subnets.flatMap((s) => (s.SubnetId && s.AvailabilityZone ? [[s.SubnetId, s.AvailabilityZone] as const] : [])));
      const zones = [...new Set(zoneOf.values())];
      const offered = await allItems(
        (NextToken) =>
          this.client.send(
            new DescribeInstanceTypeOfferingsCommand({
              LocationType: 'availability-zone',
              Filters: [
                { Name: 'instance-type', Values: types },
                { Name: 'location', Values: zones },
              ],
              NextToken,
            }),
          ),
        (page) => page.InstanceTypeOfferings,
      );
      const pairs = new Set(offered.map((o) => `${o.InstanceType}|${o.Location}`));
      const problems: TemplateProblem[] = [];
      const field = template.vmTypes ? 'vmTypes' : 'vmType';
      for (const type of types) {
        const missing = [...zoneOf].filter(([, zone]) => !pairs.has(`${type}|${zone}`));
        if (missing.length === 0) continue;
        const where = missing.map(([subnet, zone]) => `${zone} (${subnet})`).join(', ');
        problems.push({
          severity: missing.length === zoneOf.size ? 'fail' : 'warn',
          field,
          message: `${type} is not offered in ${where}`,
        });
      }
      return problems;
    } catch (error) {
      return [templateProblemOf(mapEc2Error(error, 'DescribeInstanceTypeOfferings'))];
    }
  }
}

function result(template: Template, checked: readonly string[], problems: readonly TemplateProblem[]): TemplateCheckResult {
  return { templateId: template.templateId, status: problemsStatus(problems), checked, problems };
}

/** The availability zones of the client's region (the operator's "is EC2 reachable" check). Read-only. */
export async function availabilityZones(client: Ec2Client): Promise<string[]> {
  try {
    const out = await client.send(new DescribeAvailabilityZonesCommand({}));
    return (out.AvailabilityZones ?? []).flatMap((zone) => (zone.ZoneName ? [zone.ZoneName] : []));
  } catch (error) {
    throw mapEc2Error(error, 'DescribeAvailabilityZones');
  }
}
