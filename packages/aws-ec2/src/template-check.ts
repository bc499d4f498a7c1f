import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { allItems } from '@open-hostfactory/aws-common';
import { isHostFactoryError, templateInstanceTypes, toHostFactoryError, type Template, type TemplateValidator } from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, mapEc2Error } from './errors';

/** One thing a template check found. */
export interface TemplateProblem {
  /** `fail`: HF requests from the template would fail; `warn`: some of its pools cannot serve. */
  readonly severity: 'fail' | 'warn';
  /** The template field at fault (`imageId`, `vmType`, `subnetId`, ...), or `template`. */
  readonly field: string;
  readonly message: string;
}

export interface TemplateCheckResult {
  readonly templateId: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly problems: readonly TemplateProblem[];
}

/** Field blamed for a DryRun refusal, by the AWS error code. */
const FIELD_OF_CODE: readonly [RegExp, string][] = [
  [/^InvalidAMIID/, 'imageId'],
  [/^InvalidSubnet/, 'subnetId'],
  [/^InvalidGroup|^InvalidSecurityGroup/, 'securityGroupIds'],
  [/^InvalidKeyPair/, 'keyName'],
  [/^InvalidInstanceType|^Unsupported/, 'vmType'],
  [/^InvalidLaunchTemplate/, 'launchTemplateId'],
  [/^InvalidIamInstanceProfile|^InvalidParameterValue.*iamInstanceProfile/i, 'instanceProfile'],
  [/^UnauthorizedOperation|^AuthFailure/, 'template'],
];

/**
 * The operator's check of a template against AWS, without launching: what the validator checks
 * (image, subnets, security groups, instance types, launch template exist), each instance type
 * offered in each subnet's availability zone (DescribeInstanceTypeOfferings), and a RunInstances
 * `DryRun` with the template's launch settings, which EC2 answers `DryRunOperation` when the
 * launch would be allowed (permissions, image and type compatible, key pair, profile). Read-only.
 */
export class Ec2TemplateCheck {
  constructor(
    private readonly client: Ec2Client,
    private readonly validator: TemplateValidator,
  ) {}

  async check(template: Template): Promise<TemplateCheckResult> {
    const problems: TemplateProblem[] = [];
    let ready: Template;
    try {
      ready = await this.validator.prepare(template);
    } catch (error) {
      return result(template, [failure(error)]);
    }
    problems.push(...(await this.offerings(ready)));
    problems.push(...(await this.dryRun(ready)));
    return result(template, problems);
  }

  /** Each instance type in each subnet's zone: missing everywhere fails, missing somewhere warns. */
  private async offerings(template: Template): Promise<TemplateProblem[]> {
    const types = templateInstanceTypes(template);
    if (types.length === 0 || template.subnetIds.length === 0) return [];
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
      return [failure(mapEc2Error(error, 'DescribeInstanceTypeOfferings'))];
    }
  }

  /** RunInstances with DryRun: `DryRunOperation` means the launch would be allowed. */
  private async dryRun(template: Template): Promise<TemplateProblem[]> {
    const [type] = templateInstanceTypes(template);
    const input: RunInstancesCommandInput = {
      DryRun: true,
      MinCount: 1,
      MaxCount: 1,
      ...(template.launchTemplateId
        ? { LaunchTemplate: { LaunchTemplateId: template.launchTemplateId, ...(template.launchTemplateVersion ? { Version: template.launchTemplateVersion } : {}) } }
        : {}),
      ...(template.imageId ? { ImageId: template.imageId } : {}),
      ...(type ? { InstanceType: type as _InstanceType } : {}),
      ...(template.subnetIds[0] ? { SubnetId: template.subnetIds[0] } : {}),
      ...(template.securityGroupIds.length ? { SecurityGroupIds: [...template.securityGroupIds] } : {}),
      ...(template.keyName ? { KeyName: template.keyName } : {}),
      ...(template.instanceProfile ? { IamInstanceProfile: profileOf(template.instanceProfile) } : {}),
    };
    try {
      await this.client.send(new RunInstancesCommand(input));
      // Some EC2 look-alikes ignore DryRun and launch: that is not an answer to trust.
      return [{ severity: 'warn', field: 'template', message: 'RunInstances DryRun was not answered with DryRunOperation: the endpoint ignores DryRun' }];
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'DryRunOperation') return [];
      const field = FIELD_OF_CODE.find(([pattern]) => pattern.test(code))?.[1] ?? 'template';
      return [{ severity: 'fail', field, message: `RunInstances DryRun refused: ${mapEc2Error(error, 'RunInstances').message}` }];
    }
  }
}

function profileOf(profile: string): { Arn: string } | { Name: string } {
  return profile.startsWith('arn:') ? { Arn: profile } : { Name: profile };
}

function failure(error: unknown): TemplateProblem {
  const mapped = isHostFactoryError(error) ? error : toHostFactoryError(error);
  const field = typeof mapped.details?.['field'] === 'string' ? (mapped.details['field'] as string) : 'template';
  return { severity: 'fail', field, message: mapped.message };
}

function result(template: Template, problems: readonly TemplateProblem[]): TemplateCheckResult {
  const status = problems.some((p) => p.severity === 'fail') ? 'fail' : problems.length > 0 ? 'warn' : 'ok';
  return { templateId: template.templateId, status, problems };
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
