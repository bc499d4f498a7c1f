import type { Request } from '../request/request';
import type { Template } from './template';

/** The tag IBM's provider puts HF's `rc_account` in, on everything launched for a request. */
export const TAG_RC_ACCOUNT = 'RC_ACCOUNT';
/** Where IBM's user data takes the request's exports (`export rc_account=...;export template_id=...;`). */
export const EXPORT_USER_DATA_PLACEHOLDER = '%EXPORT_USER_DATA%';
/**
 * What an `rc_account` may be: 1-256 characters an EC2 tag value takes that are also one word to
 * a shell, since IBM's user data exports it (`export rc_account=<value>;`).
 */
export const RC_ACCOUNT_PATTERN = /^[A-Za-z0-9_.:/=+@-]{1,256}$/;

/** The installation facts the user-data exports name besides the request's own. */
export interface UserDataContext {
  /** HF_PROVIDER_NAME, exported as `providerName`. */
  readonly providerName: string;
  /** The cluster's name, exported as `clustername` when configured. */
  readonly clusterName?: string;
}

/**
 * The template as one request launches it, as IBM's provider does:
 *
 * - with the request's `rc_account`, the tag `RC_ACCOUNT=<value>` added to `instanceTags` (so it
 *   goes wherever the template's tags go: instances, volumes, fleets, groups);
 * - every `%EXPORT_USER_DATA%` in the user data replaced by
 *   `export rc_account=<v>;export template_id=<id>;export clustername=<c>;export providerName=<p>;`
 *   (each part only when its value is known).
 *
 * Returns `template` itself when neither applies. Values are safe as shell words:
 * `rc_account` is checked with {@link RC_ACCOUNT_PATTERN}, template ids are `[A-Za-z0-9_-]`, and
 * the cluster and provider names are quoted when they hold anything else.
 */
export function templateForRequest(template: Template, request: Pick<Request, 'rcAccount'>, context: UserDataContext): Template {
  const account = request.rcAccount;
  const placeholder = template.userData?.includes(EXPORT_USER_DATA_PLACEHOLDER) ?? false;
  if (account === undefined && !placeholder) return template;
  let result: Template = template;
  if (account !== undefined) result = { ...result, instanceTags: { ...template.instanceTags, [TAG_RC_ACCOUNT]: account } };
  if (placeholder && template.userData !== undefined) {
    const exports = [
      account === undefined ? '' : `export rc_account=${account};`,
      `export template_id=${template.templateId};`,
      context.clusterName ? `export clustername=${shellWord(context.clusterName)};` : '',
      `export providerName=${shellWord(context.providerName)};`,
    ].join('');
    result = { ...result, userData: template.userData.split(EXPORT_USER_DATA_PLACEHOLDER).join(exports) };
  }
  return result;
}

/** `value` as one shell word: as it is when plain, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_.:/=+@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
