import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type Filter,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { MACHINE_STATES, instanceWeight, type Machine, type MachineObservation, type MachineState, type Template } from '@open-hostfactory/core';
import { createAutoScalingClient } from '../src/asg-client';
import type { InstanceAccess, LaunchTemplateSource } from '../src/asg-provider';

/** moto's default images include this Amazon AMI. */
export const MOTO_AMI = 'ami-12c6146b';

function endpoint(): string {
  const value = process.env['MOTO_ENDPOINT'];
  if (!value) throw new Error('MOTO_ENDPOINT is not set: run with packages/aws-asg/jest.config.js (globalSetup starts moto_server)');
  return value;
}

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Auto Scaling and EC2 clients for the moto_server of this jest run. */
export function motoClients(): { asg: AutoScalingClient; ec2: EC2Client } {
  return {
    asg: createAutoScalingClient({ region: 'us-east-1', endpoint: endpoint(), maxAttempts: 1, credentials: CREDENTIALS }),
    ec2: new EC2Client({ region: 'us-east-1', endpoint: endpoint(), maxAttempts: 1, credentials: CREDENTIALS }),
  };
}

export interface MotoNetwork {
  readonly subnetIds: string[];
  readonly securityGroupId: string;
}

/** A VPC with a subnet in each of two AZs and a security group. */
export async function createNetwork(ec2: EC2Client): Promise<MotoNetwork> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnetIds: string[] = [];
  for (const [index, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.30.${index}.0/24`, AvailabilityZone: zone }));
    subnetIds.push(subnet.Subnet!.SubnetId!);
  }
  const group = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: `hf-asg-${Date.now()}-${Math.random().toString(16).slice(2)}`,
      Description: 'open-hostfactory test',
    }),
  );
  return { subnetIds, securityGroupId: group.GroupId! };
}

/**
 * Test stand-in for aws-ec2's LaunchTemplates (adapters never import each other): one launch
 * template per HF template, made on first use with the image and first instance type.
 */
export class MotoLaunchTemplates implements LaunchTemplateSource {
  private readonly made = new Map<string, { launchTemplateId: string; version: string }>();
  constructor(private readonly ec2: EC2Client) {}

  async ensure(template: Template): Promise<{ launchTemplateId: string; version: string }> {
    const known = this.made.get(template.templateId);
    if (known) return known;
    const created = await this.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `hf-test-${template.templateId}-${Date.now().toString(16)}-${Math.random().toString(16).slice(2, 8)}`,
        LaunchTemplateData: {
          ImageId: template.imageId,
          InstanceType: (template.vmType ?? Object.keys(template.vmTypes ?? {})[0]) as never,
          SecurityGroupIds: [...template.securityGroupIds],
        },
      }),
    );
    const ref = { launchTemplateId: created.LaunchTemplate!.LaunchTemplateId!, version: String(created.LaunchTemplate!.LatestVersionNumber ?? 1) };
    this.made.set(template.templateId, ref);
    return ref;
  }

  async preflight(template: Template): Promise<{ ref?: { launchTemplateId: string; version: string }; checked: string[]; problems: [] }> {
    const known = this.made.get(template.templateId);
    return { ...(known ? { ref: known } : {}), checked: [], problems: [] };
  }
}

/** Test stand-in for aws-ec2's Ec2Instances: describe by `hf:request-id` tag and by instance id, giveBack by TerminateInstances. */
export class MotoInstances implements InstanceAccess {
  constructor(private readonly ec2: EC2Client) {}

  async describe(requestIds: readonly string[], machineIds: readonly string[]): Promise<{ observations: MachineObservation[]; missing: string[] }> {
    const filters: Filter[] = [];
    if (requestIds.length > 0) filters.push({ Name: 'tag:hf:request-id', Values: [...requestIds] });
    if (machineIds.length > 0) filters.push({ Name: 'instance-id', Values: [...machineIds] });
    const found = new Map<string, MachineObservation>();
    for (const filter of filters) {
      const page = await this.ec2.send(new DescribeInstancesCommand({ Filters: [filter] }));
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const observation = toObservation(instance);
        if (observation) found.set(observation.machineId, observation);
      }
    }
    return { observations: [...found.values()], missing: machineIds.filter((id) => !found.has(id)) };
  }

  async tagged(providerName: string): Promise<MachineObservation[]> {
    return this.filtered([
      { Name: 'tag:hf:provider-name', Values: [providerName] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
  }

  async lookup(providerName: string, machineIds: readonly string[]): Promise<MachineObservation[]> {
    return this.filtered([
      { Name: 'tag:hf:provider-name', Values: [providerName] },
      { Name: 'instance-id', Values: [...machineIds] },
    ]);
  }

  async giveBack(machines: readonly Machine[]): Promise<void> {
    if (machines.length === 0) return;
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: machines.map((machine) => machine.machineId) }));
  }

  private async filtered(filters: Filter[]): Promise<MachineObservation[]> {
    const page = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters }));
    return (page.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .flatMap((i) => {
        const observation = toObservation(i);
        return observation ? [observation] : [];
      });
  }
}

function toObservation(instance: Instance): MachineObservation | undefined {
  if (!instance.InstanceId) return undefined;
  const tag = (key: string): string | undefined => instance.Tags?.find((t) => t.Key === key)?.Value;
  const state = (MACHINE_STATES as readonly string[]).includes(instance.State?.Name ?? '') ? (instance.State!.Name as MachineState) : 'pending';
  const requestId = tag('hf:request-id');
  const templateId = tag('hf:template-id');
  return {
    machineId: instance.InstanceId,
    name: instance.PrivateDnsName || instance.PrivateIpAddress || '',
    privateIpAddress: instance.PrivateIpAddress ?? '',
    publicIpAddress: instance.PublicIpAddress ?? '',
    launchTime: instance.LaunchTime ? Math.floor(instance.LaunchTime.getTime() / 1000) : Math.floor(Date.now() / 1000),
    state,
    instanceType: instance.InstanceType ?? '',
    priceType: instance.InstanceLifecycle === 'spot' ? 'spot' : 'ondemand',
    ...(requestId ? { requestId } : {}),
    ...(templateId ? { templateId } : {}),
  };
}

/** Capacity units of observations under a template's weights. */
export function unitsOfObservations(template: Template, observations: readonly MachineObservation[]): number {
  return observations.reduce((sum, o) => sum + instanceWeight(template, o.instanceType), 0);
}
