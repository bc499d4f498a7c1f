import { portToken, type Token } from './token';
import type { Template } from '../domain/template/template';

/** Where templates come from (a file, a database…). */
export interface TemplateSource {
  /**
   * All templates, in the configured order (HF provisions in that order).
   * Throws HostFactoryError `CONFIG_INVALID` / `TEMPLATE_INVALID` when they cannot be read.
   * Idempotent.
   */
  list(): Promise<readonly Template[]>;
}
/** The injection token of {@link TemplateSource}. */
export const TemplateSource: Token<TemplateSource> = portToken<TemplateSource>('TemplateSource');
