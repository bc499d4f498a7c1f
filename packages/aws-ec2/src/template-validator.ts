import {
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { HostFactoryError, templateInstanceTypes, type Template, type TemplateValidator } from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, mapEc2Error } from './errors';

/** The narrow SSM client the validator needs (tests hand in a fake). */
export type SsmClient = Pick<SSMClient, 'send'>;

/** `imageId` values that name an SSM parameter rather than an AMI. */
const SSM_PREFIX = 'resolve:ssm:';

/** True when `imageId` is an SSM parameter (`/aws/service/...`, any `/path`, or `resolve:ssm:/path`). */
export function isSsmImageParameter(imageId: string): boolean {
  return imageId.startsWith('/') || imageId.startsWith(SSM_PREFIX);
}

/**
 * Checks a template against EC2 before anything is launched for it: resolves an SSM parameter
 * path in `imageId` to the AMI id (the SSM client is made only when a template needs it) and
 * checks that the image, subnets, security groups, instance types and launch template exist.
 * A missing one is `TEMPLATE_INVALID` naming the template and the field, with
 * `details: { templateId, field, value }`. Caching is the caller's (core's CachedTemplateValidator).
 */
export class Ec2TemplateValidator implements TemplateValidator {
  private ssm?: Promise<SsmClient>;

  constructor(
    private readonly client: Ec2Client,
    private readonly makeSsmClient: () => SsmClient | Promise<SsmClient>,
  ) {}

  async prepare(template: Template): Promise<Template> {
    const imageId = template.imageId ? await this.resolveImage(template) : template.imageId;
    const ready: Template = { ...template, imageId };
    const types = templateInstanceTypes(ready);
    await Promise.all([
      imageId ? this.check(ready, 'imageId', [imageId], (ids) => new DescribeImagesCommand({ ImageIds: ids }), 'Images') : undefined,
      ready.subnetIds.length
        ? this.check(ready, 'subnetId', ready.subnetIds, (ids) => new DescribeSubnetsCommand({ SubnetIds: ids }), 'Subnets')
        : undefined,
      ready.securityGroupIds.length
        ? this.check(
            ready,
            'securityGroupIds',
            ready.securityGroupIds,
            (ids) => new DescribeSecurityGroupsCommand({ GroupIds: ids }),
            'SecurityGroups',
          )
        : undefined,
      types.length
        ? this.check(
            ready,
            ready.vmTypes ? 'vmTypes' : 'vmType',
            types,
            (ids) => new DescribeInstanceTypesCommand({ InstanceTypes: ids as _InstanceType[] }),
            'InstanceTypes',
          )
        : undefined,
      ready.vmTypesOnDemand
        ? this.check(
            ready,
            'vmTypesOnDemand',
            Object.keys(ready.vmTypesOnDemand),
            (ids) => new DescribeInstanceTypesCommand({ InstanceTypes: ids as _InstanceType[] }),
            'InstanceTypes',
          )
        : undefined,
      ready.launchTemplateId
        ? this.check(
            ready,
            'launchTemplateId',
            [ready.launchTemplateId],
            (ids) => new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ids }),
            'LaunchTemplates',
          )
        : undefined,
    ]);
    return ready;
  }

  private async resolveImage(template: Template): Promise<string> {
    if (!isSsmImageParameter(template.imageId)) return template.imageId;
    const name = template.imageId.startsWith(SSM_PREFIX) ? template.imageId.slice(SSM_PREFIX.length) : template.imageId;
    this.ssm ??= Promise.resolve(this.makeSsmClient());
    let value: string | undefined;
    try {
      // The SSM module loads with the first SSM image parameter, not with every call.
      const [ssm, { GetParameterCommand }] = await Promise.all([this.ssm, import('./ssm-client.js')]);
      value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if (awsErrorCode(error) === 'ParameterNotFound') throw invalid(template, 'imageId', template.imageId, 'SSM parameter not found', error);
      throw mapEc2Error(error, 'GetParameter');
    }
    if (!value || !value.startsWith('ami-')) {
      throw invalid(template, 'imageId', template.imageId, `SSM parameter does not hold an AMI id (${value ?? 'empty'})`);
    }
    return value;
  }

  /**
   * One Describe call for the named resources; EC2 answers unknown ids with a *.NotFound error
   * (or, for some, fewer results): either way the field is invalid.
   */
  private async check(template: Template, field: string, ids: readonly string[], command: (ids: string[]) => object, listKey: string): Promise<void> {
    const unique = [...new Set(ids)];
    let response: Record<string, unknown>;
    try {
      response = (await this.client.send(command(unique) as never)) as unknown as Record<string, unknown>;
    } catch (error) {
      const code = awsErrorCode(error) ?? '';
      if (/NotFound|Malformed|InvalidInstanceType|InvalidAMIID|InvalidSubnetID|InvalidGroup|InvalidLaunchTemplateId/.test(code)) {
        throw invalid(template, field, unique.join(','), `does not exist (${code})`, error);
      }
      throw mapEc2Error(error, `checking ${field}`);
    }
    const found = response[listKey];
    if (!Array.isArray(found) || found.length < unique.length) throw invalid(template, field, unique.join(','), 'does not exist');
  }
}

function invalid(template: Template, field: string, value: string, reason: string, cause?: unknown): HostFactoryError {
  return new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}': ${field} '${value}' ${reason}`, {
    details: { templateId: template.templateId, field, value },
    ...(cause === undefined ? {} : { cause }),
  });
}
