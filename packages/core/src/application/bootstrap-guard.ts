import type { Machine } from '../domain/machine/machine';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';

const COUNT_PREFIX = 'bootstrap-failures:';
const HOLD_PREFIX = 'bootstrap-hold:';
/** How long a failure count is kept without a new outcome. */
const COUNT_TTL_MS = 24 * 3600 * 1000;

/** The settings the guard reads. */
export type BootstrapSettings = Pick<ProviderSettings, 'bootstrapFailureLimit' | 'bootstrapCoolOffSec'>;

/**
 * Bootstrap protection (ParallelCluster's protected mode): when `bootstrapFailureLimit` machines
 * of a template in a row fail before they are ready (ended at launch, gone, or pending past the
 * pending timeout), the template is held back for `bootstrapCoolOffSec`: offered with nothing
 * available and refused by requestMachines, the reason logged at warn. A machine that becomes
 * ready resets the count. Kept in the state store's cache, so every process counts together.
 * A limit of 0 turns it off. Never fails a call: a cache that cannot be read holds nothing back.
 */
export class BootstrapGuard {
  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly settings: BootstrapSettings,
    private readonly logger?: Logger,
  ) {}

  /** Counts the bootstrap outcomes of one poll: machines of `before` whose result settled in `after`. */
  async record(templateId: string, before: readonly Machine[], after: readonly Machine[]): Promise<void> {
    if (this.settings.bootstrapFailureLimit <= 0) return;
    const was = new Map(before.map((machine) => [machine.machineId, machine.result]));
    const settled = after.filter((machine) => (was.get(machine.machineId) ?? 'executing') === 'executing' && machine.result !== 'executing');
    if (settled.length === 0) return;
    const now = this.clock.now();
    try {
      let count = Number((await this.store.getCached(COUNT_PREFIX + templateId, now)) ?? '0') || 0;
      let last = '';
      for (const machine of settled) {
        if (machine.result === 'succeed') {
          count = 0;
          continue;
        }
        count += 1;
        last = machine.message;
      }
      if (count >= this.settings.bootstrapFailureLimit) {
        const until = now + this.settings.bootstrapCoolOffSec * 1000;
        const reason = `${count} machines in a row failed before they were ready (last: ${last || 'no reason given'}); held back until ${new Date(until).toISOString()}`;
        await this.store.putCached(HOLD_PREFIX + templateId, reason, until);
        this.logger?.warn('template held back: bootstrap failures', { templateId, reason });
        count = 0;
      }
      await this.store.putCached(COUNT_PREFIX + templateId, String(count), now + COUNT_TTL_MS);
    } catch {
      // Bookkeeping only: a poll never fails for it.
    }
  }

  /** The templates among `templateIds` held back now, with why. */
  async held(templateIds: readonly string[]): Promise<Map<string, string>> {
    const held = new Map<string, string>();
    if (this.settings.bootstrapFailureLimit <= 0) return held;
    const now = this.clock.now();
    for (const templateId of new Set(templateIds)) {
      const reason = await this.store.getCached(HOLD_PREFIX + templateId, now).catch(() => undefined);
      if (reason !== undefined) held.set(templateId, reason);
    }
    return held;
  }
}
