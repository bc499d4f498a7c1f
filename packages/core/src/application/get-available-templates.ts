import { DEFAULT_PROVIDER_SETTINGS, type ProviderSettings } from '../ports/provider-settings';
import { templateInstanceTypes, type Template } from '../domain/template/template';
import { hasMandatoryAttributes, resolveTemplateAttributes } from '../domain/template/template-attributes';
import { HostFactoryError, toHostFactoryError } from '../errors';
import type { InstanceTypeCatalog, InstanceTypeInfo } from '../ports/instance-type-catalog';
import type { Logger } from '../ports/logger';
import type { StateStore } from '../ports/state-store';
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
    private readonly settings: Pick<ProviderSettings, 'cpuCounting'> = DEFAULT_PROVIDER_SETTINGS,
  ) {}

  /** Every configured template with the machines it can still give and why not, in configured order. */
  async execute(): Promise<AvailableTemplate[]> {
    const templates = await this.templates.list();
    const infos = await this.instanceTypeInfos(templates);
    const used = await unitsInUseByTemplate(
      this.store,
      templates.map((t) => t.templateId),
    );
    return templates.map((template) => {
      const type = templateInstanceTypes(template)[0];
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
      return { template, attributes, availableNumber: availableNumber(template, used.get(template.templateId) ?? 0) };
    });
  }

  private async instanceTypeInfos(templates: readonly Template[]): Promise<ReadonlyMap<string, InstanceTypeInfo>> {
    const needed = new Set<string>();
    for (const template of templates) {
      const a = template.attributes;
      const type = templateInstanceTypes(template)[0];
      if (type && !(a['ncpus'] && a['nram'] && a['type'])) needed.add(type);
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
