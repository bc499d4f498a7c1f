import { portToken, type Token } from './token';
import type { Template } from '../domain/template/template';

/** Makes a template ready to launch, checked against the cloud. */
export interface TemplateValidator {
  /**
   * The template with its references resolved (an SSM parameter path in `imageId` becomes the
   * AMI id) after checking that what it names exists (image, subnets, security groups, instance
   * types, launch template). Throws HostFactoryError `TEMPLATE_INVALID` naming the template and
   * the field (`details: { templateId, field, value }`); provider codes (`THROTTLED`,
   * `AUTH_ERROR`, `PROVIDER_ERROR`) when the cloud cannot be asked. Read-only, idempotent.
   */
  prepare(template: Template): Promise<Template>;
}
/** The injection token of {@link TemplateValidator}. */
export const TemplateValidator: Token<TemplateValidator> = portToken<TemplateValidator>('TemplateValidator');

/** Takes templates as they are (no cloud checks). */
export const acceptTemplatesAsConfigured: TemplateValidator = { prepare: async (template) => template };
