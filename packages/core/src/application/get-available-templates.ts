import { DEFAULT_PROVIDER_SETTINGS, type ProviderSettings } from '../ports/provider-settings';
import { templateInstanceTypes, templatePools, type Template } from '../domain/template/template';
import { describeRefusal, poolKey } from '../domain/capacity-pool';
import { noPoolMemory, type UnavailablePools } from '../ports/unavailable-pools';
import { hasMandatoryAttributes, resolveTemplateAttributes } from '../domain/template/template-attributes';
import { HostFactoryError, toHostFactoryError } from '../errors';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '../ports/instance-type-catalog';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
import { systemClock, type Clock } from '../ports/clock';
import { BootstrapGuard } from './bootstrap-guard';
import type { TemplateSource } from '../ports/template-source';
import type { AvailableTemplate } from './results';
import { availableNumber, unitsInUseByTemplate } from './template-usage';

/**
 * getAvailableTemplates: every template in configured order, with HF's mandatory attributes
 * (derived from the instance type when not configured) and how many machines can be had now.
 * Never answers with a partial list: if a template's attributes cannot be derived because the
 * cloud failed, the call fails (HF keeps what it had and asks again). A template whose instance
 * type the cloud does not know is listed with `availableNumber` 0 and the reason (logged at warn),
 * so one broken template does not hide the others.
 */
export class GetAvailableTemplates {
  constructor(
    private readonly templates: TemplateSource,
    private readonly catalog: InstanceTypeCatalog,
    private readonly store: StateStore,
    private readonly logger: Logger,
    private readonly settings: Pick<ProviderSettings, 'cpuCounting' | 'bootstrapFailureLimit' | 'bootstrapCoolOffSec'> = DEFAULT_PROVIDER_SETTINGS,
    private readonly pools: UnavailablePools = noPoolMemory,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Every configured template with the machines it can still give and why not, in configured order. */
  async execute(): Promise<AvailableTemplate[]> {
    const templates = await this.templates.list();
    const typeOf = await this.attributeTypes(templates);
    const infos = await this.instanceTypeInfos(templates, typeOf);
    const used = await unitsInUseByTemplate(
      this.store,
      templates.map((t) => t.templateId),
    );
    const blocked = await this.unavailableTemplates(templates);
    const held = await new BootstrapGuard(this.store, this.clock, this.settings).held(templates.map((t) => t.templateId));
    return templates.map((template) => {
      const type = typeOf.get(template.templateId);
      const attributes = resolveTemplateAttributes(template, type ? infos.get(type) : undefined, this.settings.cpuCounting);
      if (!hasMandatoryAttributes(attributes)) {
        // One broken template must not hide the others: it is listed, with nothing available.
        const problem = `ncpus/nram are not configured and instance type '${type ?? '(none)'}' is unknown to the cloud`;
        this.logger.warn('template cannot be offered', { templateId: template.templateId, reason: problem });
        return {
          template,
          attributes: { ncpus: ['Numeric', '0'], nram: ['Numeric', '0'], ...attributes },
          availableNumber: 0,
          problem,
        };
      }
      const unavailable = held.get(template.templateId) ?? blocked.get(template.templateId);
      if (unavailable) return { template, attributes, availableNumber: 0, problem: unavailable };
      return { template, attributes, availableNumber: availableNumber(template, used.get(template.templateId) ?? 0) };
    });
  }

  /**
   * Templates every pool of which the cloud refused lately (see {@link UnavailablePools}): offered
   * with nothing available, maxNumber unchanged, until the first of their pools is known again.
   */
  private async unavailableTemplates(templates: readonly Template[]): Promise<Map<string, string>> {
    const poolsOf = new Map(templates.map((template) => [template.templateId, templatePools(template)]));
    const known = await this.pools.find([...poolsOf.values()].flat());
    const blocked = new Map<string, string>();
    for (const [templateId, pools] of poolsOf) {
      if (pools.length === 0 || !pools.every((pool) => known.has(poolKey(pool)))) continue;
      const reasons = pools.map((pool) => describeRefusal(pool, known.get(poolKey(pool))));
      const problem = `every capacity pool was refused lately: ${reasons.join('; ')}`;
      this.logger.warn('template held back: no capacity pool available', { templateId, reason: problem });
      blocked.set(templateId, problem);
    }
    return blocked;
  }

  /**
   * The instance type each template's attributes come from: its first type; for a template that
   * selects types by attributes only (`instanceRequirements`) and does not state its attributes,
   * the smallest type that matches (asked of the catalog, cached).
   */
  private async attributeTypes(templates: readonly Template[]): Promise<Map<string, string | undefined>> {
    const types = new Map<string, string | undefined>();
    for (const template of templates) types.set(template.templateId, await attributeTypeOf(template, this.catalog));
    return types;
  }

  private async instanceTypeInfos(
    templates: readonly Template[],
    typeOf: ReadonlyMap<string, string | undefined>,
  ): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
    const needed = new Set<string>();
    for (const template of templates) {
      const type = typeOf.get(template.templateId);
      if (type && !statesAttributes(template)) needed.add(type);
    }
    if (needed.size === 0) return new Map();
    try {
      return await this.catalog.describe([...needed]);
    } catch (error) {
      const failure = toHostFactoryError(error, 'PROVIDER_ERROR');
      this.logger.warn('instance type lookup failed', { error: failure.message, code: failure.code });
      throw new HostFactoryError(failure.code, `Cannot derive template attributes (ncpus/nram) for ${[...needed].join(', ')}: ${failure.message}`, {
        cause: error,
        transient: failure.transient,
        details: failure.details,
      });
    }
  }
}

/**
 * The instance type a template's HF attributes come from: its first type; for a template that
 * selects types by attributes only (`instanceRequirements`) and does not state its attributes,
 * the smallest type that matches (asked of the catalog, which caches it); undefined when neither.
 */
export async function attributeTypeOf(template: Template, catalog: InstanceTypeCatalog): Promise<string | undefined> {
  const type = templateInstanceTypes(template)[0];
  if (type || !template.instanceRequirements || statesAttributes(template) || !catalog.smallestMatching) return type;
  return catalog.smallestMatching(template.instanceRequirements, architectureOf(template));
}

/** True when the template states every attribute HF needs (no instance type is asked). */
function statesAttributes(template: Template): boolean {
  const a = template.attributes;
  return Boolean(a['ncpus'] && a['nram'] && a['type']);
}

/** The EC2 architecture a template's `type` attribute names (`X86_64` -> `x86_64`, `ARM64` -> `arm64`); x86_64 by default. */
export function architectureOf(template: Template): string {
  const type = template.attributes['type']?.[1]?.toLowerCase();
  return type === 'arm64' || type === 'aarch64' ? 'arm64' : 'x86_64';
}
