import type { Template } from '../domain/template/template';
import type { Clock } from '../ports/clock';
import type { StateStore } from '../ports/state-store';
import type { TemplateValidator } from '../ports/template-validator';

const KEY_PREFIX = 'template-ready:';

/**
 * Decorates a validator with the state store's cache: a template whose settings did not change
 * is checked against the cloud once per `ttlSec` across all processes (the key is a digest of
 * its settings, so any edit is checked afresh). Failures are never cached, and user data is
 * never stored (it comes from the configured template).
 */
export class CachedTemplateValidator implements TemplateValidator {
  constructor(
    private readonly inner: TemplateValidator,
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly ttlSec: number,
  ) {}

  async prepare(template: Template): Promise<Template> {
    const key = `${KEY_PREFIX}${template.templateId}:${digest(JSON.stringify(template))}`;
    const now = this.clock.now();
    const cached = await this.store.getCached(key, now).catch(() => undefined);
    if (cached !== undefined) {
      try {
        return withUserData(JSON.parse(cached) as Template, template);
      } catch {
        // a damaged entry: check again
      }
    }
    const ready = await this.inner.prepare(template);
    // User data (scripts, often with secrets in them) is never written to the store: it is taken
    // from the configured template again on every read.
    const { userData: _userData, ...stored } = ready;
    await this.store.putCached(key, JSON.stringify(stored), now + this.ttlSec * 1000).catch(() => undefined);
    return ready;
  }
}

function withUserData(ready: Template, configured: Template): Template {
  return configured.userData === undefined ? ready : { ...ready, userData: configured.userData };
}

/** 64-bit FNV-1a of a string, as 16 hex digits (a cache key, not a security measure). */
function digest(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
