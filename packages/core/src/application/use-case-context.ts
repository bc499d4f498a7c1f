import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { ProcessIdentity } from '../ports/process-identity';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';

/** What the pieces of the use cases work with: the ports, the settings, and who this process is. */
export interface UseCaseContext {
  readonly store: StateStore;
  readonly providers: CapacityProviders;
  readonly templates: TemplateSource;
  readonly clock: Clock;
  readonly settings: ProviderSettings;
  readonly logger: Logger;
  readonly identity: ProcessIdentity;
}
