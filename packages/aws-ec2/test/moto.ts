import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../src/ec2-client';

/** moto's default images include this Amazon AMI (root device /dev/sda1). */
export const MOTO_AMI = 'ami-12c6146b';

/** A client for the moto_server of this jest run (tools/moto/jest-global-setup.js). */
export function motoClient(): EC2Client {
  const endpoint = process.env['MOTO_ENDPOINT'];
  if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run with packages/aws-ec2/jest.config.js (globalSetup starts moto_server)');
  return createEc2Client({
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

export interface MotoNetwork {
  readonly subnetIds: string[];
  readonly securityGroupId: string;
}

/** A VPC with a subnet in each of two AZs and a security group. */
export async function createNetwork(client: EC2Client): Promise<MotoNetwork> {
  const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnetIds: string[] = [];
  for (const [index, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const subnet = await client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${index}.0/24`, AvailabilityZone: zone }));
    subnetIds.push(subnet.Subnet!.SubnetId!);
  }
  const group = await client.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `hf-${Date.now()}`, Description: 'open-hostfactory test' }),
  );
  return { subnetIds, securityGroupId: group.GroupId! };
}
