import { resourceTags, type ResourceTagsInput } from '@open-hostfactory/core';

export interface Ec2Tag {
  Key: string;
  Value: string;
}

/**
 * The tags of a resource made for a request (instance, volume, fleet, Spot Fleet request):
 * core's tag contract (`resourceTags`) in EC2's shape.
 */
export function launchTags(input: ResourceTagsInput): Ec2Tag[] {
  return resourceTags(input).map(([Key, Value]) => ({ Key, Value }));
}

/** The value of a tag in an EC2 tag list. */
export function tagValue(tags: readonly { Key?: string; Value?: string }[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}
