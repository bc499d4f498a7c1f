import { DescribeImagesCommand, type BlockDeviceMapping, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { templateInstanceTypes, type Template } from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { mapEc2Error } from './errors';
import { isSsmImageParameter } from './template-validator';

/** Device name used when the AMI's root device cannot be looked up. */
export const DEFAULT_ROOT_DEVICE = '/dev/xvda';

/**
 * A template's launch settings, in the field names RunInstances and a launch template version
 * share: image, first instance type, key pair, security groups, instance profile, user data
 * (base64), the root volume on the AMI's root device, placement group and tenancy. Only what the
 * template states is set.
 */
export type LaunchSettings = Pick<
  RunInstancesCommandInput,
  | 'ImageId'
  | 'InstanceType'
  | 'KeyName'
  | 'SecurityGroupIds'
  | 'IamInstanceProfile'
  | 'UserData'
  | 'BlockDeviceMappings'
  | 'Placement'
  | 'CapacityReservationSpecification'
  | 'InstanceMarketOptions'
>;

/**
 * The launch settings of `template`, the one source of both RunInstances and the launch
 * templates the fleets and groups launch with. An SSM image parameter is kept as a parameter
 * (`resolve:ssm:/path`, which EC2 resolves at launch) and its root device is the default one; an
 * AMI's root device name is looked up (DescribeImages), falling back to the default when EC2
 * will not say (RunInstances then judges the image itself); a throttled lookup is thrown.
 */
export async function launchSettings(client: Ec2Client, template: Template): Promise<LaunchSettings> {
  const settings: LaunchSettings = {};
  const ssmImage = template.imageId ? isSsmImageParameter(template.imageId) : false;
  if (template.imageId)
    settings.ImageId = ssmImage && !template.imageId.startsWith('resolve:ssm:') ? `resolve:ssm:${template.imageId}` : template.imageId;
  const instanceType = templateInstanceTypes(template)[0];
  if (instanceType) settings.InstanceType = instanceType as LaunchSettings['InstanceType'];
  if (template.keyName) settings.KeyName = template.keyName;
  if (template.securityGroupIds.length > 0) settings.SecurityGroupIds = [...template.securityGroupIds];
  if (template.instanceProfile) {
    settings.IamInstanceProfile = template.instanceProfile.startsWith('arn:')
      ? { Arn: template.instanceProfile }
      : { Name: template.instanceProfile };
  }
  if (template.userData) settings.UserData = toBase64UserData(template.userData);
  if (template.rootDeviceVolumeSize !== undefined || template.volumeType || template.iops !== undefined) {
    const deviceName = !template.imageId || ssmImage ? DEFAULT_ROOT_DEVICE : await rootDeviceName(client, template.imageId);
    const mapping: BlockDeviceMapping = {
      DeviceName: deviceName,
      Ebs: {
        DeleteOnTermination: true,
        ...(template.rootDeviceVolumeSize !== undefined ? { VolumeSize: template.rootDeviceVolumeSize } : {}),
        ...(template.volumeType ? { VolumeType: template.volumeType as NonNullable<BlockDeviceMapping['Ebs']>['VolumeType'] } : {}),
        ...(template.iops !== undefined ? { Iops: template.iops } : {}),
      },
    };
    settings.BlockDeviceMappings = [mapping];
  }
  const reservation = capacityReservation(template);
  if (reservation) settings.CapacityReservationSpecification = reservation;
  // A Capacity Block is bought as its own market: the instances launch into the block.
  if (template.capacityBlockId) settings.InstanceMarketOptions = { MarketType: 'capacity-block' };
  if (template.placementGroupName || template.tenancy) {
    settings.Placement = {
      ...(template.placementGroupName ? { GroupName: template.placementGroupName } : {}),
      ...(template.tenancy ? { Tenancy: template.tenancy as NonNullable<LaunchSettings['Placement']>['Tenancy'] } : {}),
    };
  }
  return settings;
}

/**
 * The template's Capacity Reservation settings as RunInstances and launch templates take them: a
 * target (`capacityBlockId`, `capacityReservationId` or `capacityReservationResourceGroupArn`)
 * and/or a preference (`open`, `none`, `capacity-reservations-only`); undefined when it states none.
 */
export function capacityReservation(template: Template): LaunchSettings['CapacityReservationSpecification'] {
  const id = template.capacityBlockId ?? template.capacityReservationId;
  const target = id
    ? { CapacityReservationId: id }
    : template.capacityReservationResourceGroupArn
      ? { CapacityReservationResourceGroupArn: template.capacityReservationResourceGroupArn }
      : undefined;
  const preference = template.capacityReservationPreference as
    NonNullable<LaunchSettings['CapacityReservationSpecification']>['CapacityReservationPreference'] | undefined;
  if (!target && !preference) return undefined;
  return { ...(preference ? { CapacityReservationPreference: preference } : {}), ...(target ? { CapacityReservationTarget: target } : {}) };
}

async function rootDeviceName(client: Ec2Client, imageId: string): Promise<string> {
  try {
    const response = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return response.Images?.[0]?.RootDeviceName || DEFAULT_ROOT_DEVICE;
  } catch (error) {
    const mapped = mapEc2Error(error, 'DescribeImages');
    // Passing failures are retried by the caller; anything else (unknown image, no permission
    // to describe it) leaves the verdict to the launch itself.
    if (mapped.transient) throw mapped;
    return DEFAULT_ROOT_DEVICE;
  }
}

/** User data as EC2 takes it: base64 that round-trips is passed as it is, anything else is encoded. */
export function toBase64UserData(userData: string): string {
  const compact = userData.replace(/\s+/g, '');
  if (compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    if (Buffer.from(compact, 'base64').toString('base64') === compact) return compact;
  }
  return Buffer.from(userData, 'utf8').toString('base64');
}
