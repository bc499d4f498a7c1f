import { isMachineFinished, type Machine, type ObservationContext } from '../domain/machine/machine';
import { deriveAcquireStatus, maySeekCapacity, type AcquirePolicy, type Request } from '../domain/request/request';
import type { ProcessIdentity } from '../ports/process-identity';
import type { ProviderSettings } from '../ports/provider-settings';

/** The rules an acquire request lives by now, from the settings. */
export function acquirePolicy(settings: ProviderSettings, now: number): AcquirePolicy {
  return { now, maxFailedAttempts: settings.maxFailedLaunchAttempts, capacityTimeoutMs: settings.capacityTimeoutSec * 1000 };
}

export function observationContext(settings: ProviderSettings, now: number): ObservationContext {
  return { now, pendingTimeoutSec: settings.pendingTimeoutSec };
}

/** True while a claimed launch of the request may still be in flight somewhere. */
export function launchInFlight(request: Request, now: number, identity: ProcessIdentity): boolean {
  const lease = request.launchLease;
  return lease !== undefined && lease.until > now && identity.mayBeAlive(lease.holder);
}

/**
 * The request with its status derived from its machines (the same object when nothing changes).
 * A launch in flight keeps it running whatever else holds: its outcome is not known yet. A request
 * that ends with every machine finished is closed at once.
 */
export function withStatus(request: Request, machines: readonly Machine[], policy: AcquirePolicy, identity: ProcessIdentity): Request {
  const seeking = maySeekCapacity(request, policy) || launchInFlight(request, policy.now, identity);
  const progress = deriveAcquireStatus(request, machines, seeking, request.message || undefined);
  if (progress.status === request.status && (progress.status === 'running' || progress.message === request.message)) {
    return request;
  }
  const ended = progress.status !== 'running';
  const closed = ended && machines.every(isMachineFinished) ? { closedAt: policy.now } : {};
  // A dead caller's claim ends with the request; a live one is ended by its caller.
  const lease = ended && !launchInFlight(request, policy.now, identity) ? { launchLease: undefined } : {};
  return { ...request, status: progress.status, message: progress.message, ...closed, ...lease };
}
