import type { Tag } from '@aws-sdk/client-auto-scaling';
import { TAG_LAUNCH_ATTEMPT, resourceTags } from '@open-hostfactory/core';

export interface GroupTagsInput {
  readonly groupName: string;
  readonly providerName: string;
  readonly requestId: string;
  readonly templateId: string;
  readonly instanceTags: Readonly<Record<string, string>>;
  readonly attempt: number;
}

/**
 * The group's tags: core's tag contract for the request (the hf tags, a Name and the template's
 * tags), all propagated to the instances at launch; plus the group-only launch attempt marker.
 */
export function groupTags(input: GroupTagsInput): Tag[] {
  const resource = { ResourceId: input.groupName, ResourceType: 'auto-scaling-group' };
  const propagated = resourceTags({
    providerName: input.providerName,
    providerApi: 'ASG',
    requestId: input.requestId,
    templateId: input.templateId,
    instanceTags: input.instanceTags,
  });
  return [...propagated.map(([Key, Value]) => ({ ...resource, Key, Value, PropagateAtLaunch: true })), attemptTag(input.groupName, input.attempt)];
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
