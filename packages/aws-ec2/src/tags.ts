/**
 * Tags every instance (and its volumes) launched by open-hostfactory carries. They let a status
 * poll find a request's instances even when the launch call's answer was lost.
 */
export const TAG_REQUEST_ID = 'hf:request-id';
export const TAG_TEMPLATE_ID = 'hf:template-id';
export const TAG_PROVIDER_NAME = 'hf:provider-name';
/**
 * EC2's display name. Set to `hf-<providerName>-<requestId>` unless the template's
 * `instanceTags` set a `Name` of their own (the template wins).
 */
export const TAG_NAME = 'Name';

export interface Ec2Tag {
  Key: string;
  Value: string;
}

/** The tags of an instance launched for a request: the hf tags, a Name, then the template's tags. */
export function launchTags(input: {
  readonly providerName: string;
  readonly requestId: string;
  readonly templateId: string;
  readonly instanceTags: Readonly<Record<string, string>>;
}): Ec2Tag[] {
  const tags = new Map<string, string>();
  tags.set(TAG_NAME, `hf-${input.providerName}-${input.requestId}`);
  for (const [key, value] of Object.entries(input.instanceTags)) {
    // aws:* keys are reserved by AWS and rejected on create; hf:* keys are ours.
    if (key.startsWith('aws:') || key.startsWith('hf:')) continue;
    tags.set(key, value);
  }
  tags.set(TAG_REQUEST_ID, input.requestId);
  tags.set(TAG_TEMPLATE_ID, input.templateId);
  tags.set(TAG_PROVIDER_NAME, input.providerName);
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/** The value of a tag in an EC2 tag list. */
export function tagValue(tags: readonly { Key?: string; Value?: string }[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}
