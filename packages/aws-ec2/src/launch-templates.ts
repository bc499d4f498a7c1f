import { createHash } from 'node:crypto';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  type LaunchTemplateVersion,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  HostFactoryError,
  TAG_PROVIDER_NAME,
  templateInstanceTypes,
  templateProblemOf,
  type PreflightResult,
  type Template,
} from '@open-hostfactory/core';
import { allItems } from '@open-hostfactory/aws-common';
import { dryRun } from './dry-run';
import type { Ec2Client } from './ec2-client';
import { awsErrorCode, mapEc2Error } from './errors';
import { launchSettings } from './launch-settings';
import { launchTags, type Ec2Tag } from './tags';

/** The launch template (and exact version) a fleet or group launches with. */
export interface LaunchTemplateRef {
  readonly launchTemplateId: string;
  /** A version number (`"3"`), or for a template's own launch template its configured version / `$Default`. */
  readonly version: string;
}

export interface LaunchTemplatesOptions {
  /** The HF provider instance name: part of the launch template name and of its tags. */
  readonly providerName: string;
}

/** Prefix of the VersionDescription that holds the hash of a version's launch settings. */
export const SETTINGS_HASH_PREFIX = 'hf-settings:';
/** Page size of DescribeLaunchTemplateVersions (EC2 allows 1..200). */
const VERSIONS_PAGE_SIZE = 200;

/**
 * One EC2 launch template per HF template, shared by the fleet and group capacity shapes.
 *
 * The template is named `hf-<providerName>-<templateId>` and holds the template's launch settings
 * (image, first instance type, key, security groups, instance profile, user data, root volume,
 * placement, and instance/volume tags `hf:template-id`, `hf:provider-name`, `hf:provider-api`
 * plus the template's `instanceTags` — never a request id: a version serves every request of
 * the template). A new
 * version is made only when the settings change: each version's VersionDescription carries a
 * hash of its settings, and a version whose hash matches is reused. Creation calls carry a
 * ClientToken derived from the name and hash, so concurrent callers do not make two; a name race
 * (`AlreadyExists`) is resolved by describing the winner's template.
 *
 * A template that names its own `launchTemplateId` is used as it is, with its
 * `launchTemplateVersion` or `$Default`: we never write to a launch template we do not own.
 */
export class LaunchTemplates {
  /** Settings hash -> ref, per launch template name, for this process. */
  private readonly known = new Map<string, LaunchTemplateRef>();

  constructor(
    private readonly client: Ec2Client,
    private readonly options: LaunchTemplatesOptions,
  ) {}

  /** `hf-<providerName>-<templateId>` (EC2 allows 3..128 characters of `[A-Za-z0-9().\-/_]`). */
  launchTemplateName(template: Template): string {
    const name = `hf-${this.options.providerName}-${template.templateId}`.replace(/[^A-Za-z0-9().\-/_]/g, '_');
    return name.length <= 128 ? name : `${name.slice(0, 111)}-${sha256(name).slice(0, 16)}`;
  }

  /**
   * The launch template and exact version to launch `template` with, creating the launch
   * template or a new version when its settings changed. Idempotent. Throws HostFactoryError:
   * `TEMPLATE_INVALID` when the template has neither image nor instance type, or EC2 rejects the
   * settings; otherwise as {@link mapEc2Error}.
   */
  async ensure(template: Template): Promise<LaunchTemplateRef> {
    if (template.launchTemplateId) {
      return { launchTemplateId: template.launchTemplateId, version: template.launchTemplateVersion || '$Default' };
    }
    const name = this.launchTemplateName(template);
    const data = await this.launchTemplateData(template);
    const hash = settingsHash(data);
    const cacheKey = `${name}\n${hash}`;
    const cached = this.known.get(cacheKey);
    if (cached) return cached;
    const description = `${SETTINGS_HASH_PREFIX}${hash}`;
    const token = sha256(`${name}:${hash}`).slice(0, 64);

    let launchTemplateId = await this.findLaunchTemplateId(name);
    if (!launchTemplateId) {
      const created = await this.createLaunchTemplate(name, description, data, token);
      if (created) {
        const ref = { launchTemplateId: created.launchTemplateId, version: created.version };
        this.known.set(cacheKey, ref);
        return ref;
      }
      // Another process created it first: carry on with theirs.
      launchTemplateId = await this.findLaunchTemplateId(name);
      if (!launchTemplateId) {
        throw new HostFactoryError('PROVIDER_ERROR', `EC2 launch template '${name}' exists but cannot be described`, {
          transient: true,
          details: { launchTemplateName: name },
        });
      }
    }
    const version = (await this.findVersion(launchTemplateId, description)) ?? (await this.createVersion(launchTemplateId, description, data, token));
    const ref = { launchTemplateId, version };
    this.known.set(cacheKey, ref);
    return ref;
  }

  /**
   * Read-only twin of {@link ensure} for a preflight: the launch template version a launch would
   * use when it exists already (a template's own launch template, or ours with these settings);
   * otherwise the CreateLaunchTemplate (or CreateLaunchTemplateVersion) the first request will
   * make, sent with `DryRun`, and `ref` undefined.
   */
  async preflight(template: Template): Promise<{ ref?: LaunchTemplateRef } & PreflightResult> {
    if (template.launchTemplateId) return { ref: await this.ensure(template), checked: [], problems: [] };
    const name = this.launchTemplateName(template);
    let data: RequestLaunchTemplateData;
    let launchTemplateId: string | undefined;
    let description: string;
    try {
      data = await this.launchTemplateData(template);
      description = `${SETTINGS_HASH_PREFIX}${settingsHash(data)}`;
      launchTemplateId = await this.findLaunchTemplateId(name);
      const version = launchTemplateId ? await this.findVersion(launchTemplateId, description) : undefined;
      if (launchTemplateId && version)
        return { ref: { launchTemplateId, version }, checked: [`launch template ${name} version ${version}`], problems: [] };
    } catch (error) {
      return { checked: [`launch template ${name}`], problems: [templateProblemOf(error)] };
    }
    const existing = launchTemplateId;
    const operation = existing ? 'CreateLaunchTemplateVersion' : 'CreateLaunchTemplate';
    const outcome = await dryRun(operation, () =>
      existing
        ? this.client.send(
            new CreateLaunchTemplateVersionCommand({
              DryRun: true,
              LaunchTemplateId: existing,
              VersionDescription: description,
              LaunchTemplateData: data,
            }),
          )
        : this.client.send(
            new CreateLaunchTemplateCommand({
              DryRun: true,
              LaunchTemplateName: name,
              VersionDescription: description,
              LaunchTemplateData: data,
              TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: TAG_PROVIDER_NAME, Value: this.options.providerName }] }],
            }),
          ),
    );
    // A look-alike that ignored DryRun made it: it is ours, named and hashed as ensure makes it, and is kept.
    return { checked: [`${operation} DryRun (${name}: the first request makes it)`], problems: outcome.problems };
  }

  /** The launch settings of a template, as a launch template version holds them (see {@link launchSettings}). */
  async launchTemplateData(template: Template): Promise<RequestLaunchTemplateData> {
    if (!template.imageId || (templateInstanceTypes(template).length === 0 && !template.instanceRequirements)) {
      throw new HostFactoryError('TEMPLATE_INVALID', `Template '${template.templateId}' needs imageId and vmType/vmTypes (or a launchTemplateId)`, {
        details: { templateId: template.templateId },
      });
    }
    const data: RequestLaunchTemplateData = { ...(await launchSettings(this.client, template)) };
    const tags = this.templateTags(template);
    data.TagSpecifications = [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ];
    return data;
  }

  /**
   * The template's tags (aws:* and hf:* keys of `instanceTags` dropped), then hf:template-id,
   * hf:provider-name and hf:provider-api: never a request id (a version serves every request).
   */
  private templateTags(template: Template): Ec2Tag[] {
    return launchTags({
      providerName: this.options.providerName,
      providerApi: template.providerApi,
      templateId: template.templateId,
      instanceTags: template.instanceTags,
    });
  }

  private async findLaunchTemplateId(name: string): Promise<string | undefined> {
    try {
      // A filter (not LaunchTemplateNames) so that a missing name answers empty instead of failing.
      const response = await this.client.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] }));
      return response.LaunchTemplates?.find((lt) => lt.LaunchTemplateName === name)?.LaunchTemplateId;
    } catch (error) {
      throw mapEc2Error(error, 'DescribeLaunchTemplates');
    }
  }

  /** Creates the launch template (version 1); undefined when another caller created the name first. */
  private async createLaunchTemplate(
    name: string,
    description: string,
    data: RequestLaunchTemplateData,
    token: string,
  ): Promise<LaunchTemplateRef | undefined> {
    try {
      const response = await this.client.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          VersionDescription: description,
          LaunchTemplateData: data,
          ClientToken: token,
          TagSpecifications: [
            {
              ResourceType: 'launch-template',
              Tags: [{ Key: TAG_PROVIDER_NAME, Value: this.options.providerName }],
            },
          ],
        }),
      );
      const created = response.LaunchTemplate;
      if (!created?.LaunchTemplateId) {
        throw new HostFactoryError('PROVIDER_ERROR', `EC2 CreateLaunchTemplate returned no launch template for '${name}'`);
      }
      return { launchTemplateId: created.LaunchTemplateId, version: String(created.LatestVersionNumber ?? 1) };
    } catch (error) {
      if (isAlreadyExists(error)) return undefined;
      throw mapEc2Error(error, 'CreateLaunchTemplate');
    }
  }

  /**
   * The number of a version whose description is `description`: `$Latest` first (the usual
   * case: settings unchanged since the last change), then all versions, newest match wins.
   */
  private async findVersion(launchTemplateId: string, description: string): Promise<string | undefined> {
    const latest = await this.describeVersions(launchTemplateId, ['$Latest']);
    const hit = latest.find((version) => version.VersionDescription === description);
    if (hit?.VersionNumber !== undefined) return String(hit.VersionNumber);
    let best: number | undefined;
    for (const version of await this.describeVersions(launchTemplateId, undefined)) {
      if (version.VersionDescription !== description || version.VersionNumber === undefined) continue;
      if (best === undefined || version.VersionNumber > best) best = version.VersionNumber;
    }
    return best === undefined ? undefined : String(best);
  }

  private async describeVersions(launchTemplateId: string, versions: string[] | undefined): Promise<LaunchTemplateVersion[]> {
    return allItems(
      (NextToken) =>
        this.client
          .send(
            new DescribeLaunchTemplateVersionsCommand({
              LaunchTemplateId: launchTemplateId,
              ...(versions ? { Versions: versions } : { MaxResults: VERSIONS_PAGE_SIZE }),
              NextToken,
            }),
          )
          .catch((error: unknown) => {
            throw mapEc2Error(error, 'DescribeLaunchTemplateVersions');
          }),
      (page) => page.LaunchTemplateVersions,
    );
  }

  private async createVersion(launchTemplateId: string, description: string, data: RequestLaunchTemplateData, token: string): Promise<string> {
    let response;
    try {
      response = await this.client.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: launchTemplateId,
          VersionDescription: description,
          LaunchTemplateData: data,
          ClientToken: token,
        }),
      );
    } catch (error) {
      throw mapEc2Error(error, 'CreateLaunchTemplateVersion');
    }
    const number = response.LaunchTemplateVersion?.VersionNumber;
    if (number === undefined) {
      throw new HostFactoryError('PROVIDER_ERROR', `EC2 CreateLaunchTemplateVersion returned no version for ${launchTemplateId}`);
    }
    return String(number);
  }
}

/** Hash of launch settings: sha256 of their canonical JSON (keys sorted), 32 hex characters. */
export function settingsHash(data: RequestLaunchTemplateData): string {
  return sha256(canonicalJson(data)).slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isAlreadyExists(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === 'InvalidLaunchTemplateName.AlreadyExistsException' || code === 'AlreadyExistsException';
}
