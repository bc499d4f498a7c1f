import type { Machine, MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi, Template } from '../domain/template/template';

export interface AcquireInput {
  readonly request: Request;
  readonly template: Template;
  /** How many machines to launch in this attempt (>= 1). */
  readonly count: number;
  /**
   * The attempt number claimed for this launch (1, 2, …). Together with the request id it makes
   * the idempotency token: the same (request, attempt) never launches twice.
   */
  readonly attempt: number;
}

export interface AcquireResult {
  /** Instances launched (may be fewer than asked, even none). */
  readonly machines: readonly MachineObservation[];
  /** Adapter bookkeeping to keep on the request (merged into `Request.providerData`). */
  readonly providerData?: Readonly<Record<string, string>>;
  /** Why fewer than asked were launched, when the cloud said. */
  readonly shortfallReason?: string;
}

export interface DescribeInput {
  /** Acquire requests whose instances to find (by the request tag), launched or not yet seen. */
  readonly requests: readonly Request[];
  /** Known machines to look at. */
  readonly machines: readonly Machine[];
}

export interface DescribeResult {
  /** What the cloud sees of the asked machines and of every instance of the asked requests. */
  readonly observations: readonly MachineObservation[];
  /** Ids of asked machines the cloud does not know any more. */
  readonly missing: readonly string[];
}

/**
 * One way of buying capacity (EC2 RunInstances, EC2 Fleet, Spot Fleet, an Auto Scaling group).
 * Every instance it starts carries the request id, template id and provider name as tags.
 *
 * Errors: HostFactoryError with `INSUFFICIENT_CAPACITY`, `QUOTA_EXCEEDED`, `THROTTLED`
 * (transient), `AUTH_ERROR`, `TEMPLATE_INVALID`, `NOT_FOUND` or `PROVIDER_ERROR`; the SDK error
 * is the `cause`.
 */
export interface CapacityProvider {
  readonly api: ProviderApi;
  /** Starts launching; never waits for instances to boot. Idempotent per (request, attempt). */
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Batched, paginated look at machines and requests. Read-only. */
  describe(input: DescribeInput): Promise<DescribeResult>;
  /** Gives machines back to the cloud so that it does not replace them. Idempotent; ignores ones already gone. */
  release(machines: readonly Machine[]): Promise<void>;
}
export const CapacityProvider = Symbol.for('open-hostfactory.CapacityProvider');

/** The capacity providers of one installation, by API. */
export interface CapacityProviders {
  /** Throws `TEMPLATE_INVALID` when no provider for the API is configured. */
  forApi(api: ProviderApi): CapacityProvider;
}
export const CapacityProviders = Symbol.for('open-hostfactory.CapacityProviders');
