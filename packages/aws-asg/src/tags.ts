import type { Tag } from '@aws-sdk/client-auto-scaling';

/**
 * Tags of a group and (propagated at launch) of its instances. The keys match the EC2 adapters'
 * (`hf:request-id` etc.), so tag lookups and orphan sweeps find group instances the same way.
 */
export const TAG_REQUEST_ID = 'hf:request-id';
export const TAG_TEMPLATE_ID = 'hf:template-id';
export const TAG_PROVIDER_NAME = 'hf:provider-name';
/** Group-only tag (not propagated): the last launch attempt applied to the group. */
export const TAG_LAUNCH_ATTEMPT = 'hf:launch-attempt';
/** EC2's display name: `hf-<providerName>-<requestId>` unless the template's `instanceTags` set one. */
export const TAG_NAME = 'Name';

export interface GroupTagsInput {
  readonly groupName: string;
  readonly providerName: string;
  readonly requestId: string;
  readonly templateId: string;
  readonly instanceTags: Readonly<Record<string, string>>;
  readonly attempt: number;
}

/**
 * The group's tags: the hf tags, a Name and the template's tags, all propagated to the
 * instances at launch; plus the group-only launch attempt marker.
 */
export function groupTags(input: GroupTagsInput): Tag[] {
  const propagated = new Map<string, string>();
  propagated.set(TAG_NAME, `hf-${input.providerName}-${input.requestId}`);
  for (const [key, value] of Object.entries(input.instanceTags)) {
    // aws:* keys are reserved by AWS and rejected on create; hf:* keys are ours.
    if (key.startsWith('aws:') || key.startsWith('hf:')) continue;
    propagated.set(key, value);
  }
  propagated.set(TAG_REQUEST_ID, input.requestId);
  propagated.set(TAG_TEMPLATE_ID, input.templateId);
  propagated.set(TAG_PROVIDER_NAME, input.providerName);
  const resource = { ResourceId: input.groupName, ResourceType: 'auto-scaling-group' };
  return [
    ...[...propagated].map(([Key, Value]) => ({ ...resource, Key, Value, PropagateAtLaunch: true })),
    attemptTag(input.groupName, input.attempt),
  ];
}

/** The group-only tag recording the last launch attempt applied to the group. */
export function attemptTag(groupName: string, attempt: number): Tag {
  return {
    ResourceId: groupName,
    ResourceType: 'auto-scaling-group',
    Key: TAG_LAUNCH_ATTEMPT,
    Value: String(attempt),
    PropagateAtLaunch: false,
  };
}
