import type { Template } from '../domain/template/template';
import { HostFactoryError } from '../errors';
import type { TemplateSource } from '../ports/template-source';

/** The template with this id, or TEMPLATE_NOT_FOUND listing the ones that exist. */
export async function findTemplate(source: TemplateSource, templateId: string): Promise<Template> {
  const templates = await source.list();
  const template = templates.find((t) => t.templateId === templateId);
  if (!template) {
    throw new HostFactoryError('TEMPLATE_NOT_FOUND', `Template '${templateId}' not found`, {
      details: { available_templates: templates.map((t) => t.templateId) },
    });
  }
  return template;
}
