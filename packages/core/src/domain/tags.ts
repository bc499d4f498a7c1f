import type { ProviderApi } from './template/template';

/**
 * The tag contract of every capacity provider: what each cloud resource made for a request
 * (instance, volume, fleet, group) carries, so that a poll finds a request's instances whatever
 * crashed, and the orphan sweep finds everything of a provider instance the store does not hold.
 */
/** The acquire request a resource was made for. */
export const TAG_REQUEST_ID = 'hf:request-id';
/** The template a resource was made from. */
export const TAG_TEMPLATE_ID = 'hf:template-id';
/** The provider instance (HF_PROVIDER_NAME) that made the resource: what the orphan sweep looks for. */
export const TAG_PROVIDER_NAME = 'hf:provider-name';
/** The capacity API that made the resource (`RunInstances`, `EC2Fleet`, `SpotFleet`, `ASG`). */
export const TAG_PROVIDER_API = 'hf:provider-api';
/** The launch attempt that made the resource: a replayed attempt looks for it before launching. */
export const TAG_LAUNCH_ATTEMPT = 'hf:launch-attempt';
/** The cloud's display name: `hf-<providerName>-<requestId>` unless the template's tags set one. */
export const TAG_NAME = 'Name';

/** What the tags of one resource are made from (see `resourceTags`). */
export interface ResourceTagsInput {
  readonly providerName: string;
  readonly providerApi: ProviderApi;
  readonly templateId: string;
  /** Absent for resources shared by every request of a template (a launch template). */
  readonly requestId?: string;
  readonly attempt?: number;
  /** The template's `instanceTags`; `aws:*` (reserved by the cloud) and `hf:*` (ours) keys are dropped. */
  readonly instanceTags: Readonly<Record<string, string>>;
}

/**
 * The tags of a resource, in order: a Name (for a request's resources), the template's own tags
 * (a Name of theirs wins), then the `hf:*` tags, which always win.
 */
export function resourceTags(input: ResourceTagsInput): [string, string][] {
  const tags = new Map<string, string>();
  if (input.requestId !== undefined) tags.set(TAG_NAME, `hf-${input.providerName}-${input.requestId}`);
  for (const [key, value] of Object.entries(input.instanceTags)) {
    if (key.startsWith('aws:') || key.startsWith('hf:')) continue;
    tags.set(key, value);
  }
  if (input.requestId !== undefined) tags.set(TAG_REQUEST_ID, input.requestId);
  tags.set(TAG_TEMPLATE_ID, input.templateId);
  tags.set(TAG_PROVIDER_NAME, input.providerName);
  tags.set(TAG_PROVIDER_API, input.providerApi);
  if (input.attempt !== undefined) tags.set(TAG_LAUNCH_ATTEMPT, String(input.attempt));
  return [...tags];
}
