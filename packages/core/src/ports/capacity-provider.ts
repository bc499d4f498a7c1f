import { toHostFactoryError } from '../errors';
import { portToken, type Token } from './token';
import type { Machine, MachineObservation } from '../domain/machine/machine';
import type { Request } from '../domain/request/request';
import type { ProviderApi, Template } from '../domain/template/template';

/** What `acquire` is asked to launch. */
export interface AcquireInput {
  readonly request: Request;
  readonly template: Template;
  /**
   * Capacity to launch in this attempt (>= 1): machines, or units when the template weighs its
   * instance types (`vmTypes`); the provider turns units into instances.
   */
  readonly count: number;
  /**
   * The attempt number claimed for this launch (1, 2, …). Together with the request id it makes
   * the idempotency token: the same (request, attempt) never launches twice.
   */
  readonly attempt: number;
  /**
   * Epoch ms after which the request seeks no more capacity: a fleet or group must not launch
   * for it after this (e.g. a fleet's ValidUntil).
   */
  readonly deadline: number;
  /**
   * True when this attempt was claimed before by a call that never recorded its outcome (it
   * crashed or was killed mid-launch): the provider first looks for what that call made (by the
   * request and attempt tags) and returns it, and launches only when it finds nothing, with the
   * same idempotency token and `count` as the first try.
   */
  readonly replay?: boolean;
}

/** What `acquire` launched. */
export interface AcquireResult {
  /** Instances launched (may be fewer than asked, even none). */
  readonly machines: readonly MachineObservation[];
  /** Adapter bookkeeping to keep on the request (merged into `Request.providerData`). */
  readonly providerData?: Readonly<Record<string, string>>;
  /** Why fewer than asked were launched, when the cloud said. */
  readonly shortfallReason?: string;
}

/** What `describe` is asked to look at. */
export interface DescribeInput {
  /** Acquire requests whose instances to find (by the request tag), launched or not yet seen. */
  readonly requests: readonly Request[];
  /** Known machines to look at. */
  readonly machines: readonly Machine[];
}

/** Whether the cloud is still working on a request's capacity (a fleet or group filling up). */
export interface Fulfilment {
  /**
   * `fulfilling`: the cloud keeps launching by itself, so core waits and launches nothing more;
   * `settled`: the cloud does nothing more for this request, so core may make another attempt
   * (`acquire` with the next attempt number) for what is missing.
   */
  readonly state: 'fulfilling' | 'settled';
  /** Why capacity is missing, when the cloud said (e.g. a fleet's launch errors). */
  readonly reason?: string;
}

/** What `describe` saw. */
export interface DescribeResult {
  /** What the cloud sees of the asked machines and of every instance of the asked requests. */
  readonly observations: readonly MachineObservation[];
  /** Ids of asked machines the cloud does not know any more. */
  readonly missing: readonly string[];
  /**
   * Per asked request id, when the provider's capacity is filled by the cloud over time.
   * Absent (RunInstances, instant fleets): `settled`.
   */
  readonly fulfilment?: ReadonlyMap<string, Fulfilment>;
}

/** One thing a preflight found wrong with a template. */
export interface TemplateProblem {
  /** `fail`: requests from the template would fail; `warn`: some of its pools cannot serve. */
  readonly severity: 'fail' | 'warn';
  /** The template field at fault (`imageId`, `vmType`, `subnetId`, `fleetRole`, ...), or `template`. */
  readonly field: string;
  readonly message: string;
}

/**
 * The `fail` problem an error stands for: its message, and the template field its details name
 * (`details.field`, as TEMPLATE_INVALID errors carry it), else `field`.
 */
export function templateProblemOf(error: unknown, field = 'template'): TemplateProblem {
  const mapped = toHostFactoryError(error);
  const named = mapped.details['field'];
  return { severity: 'fail', field: typeof named === 'string' ? named : field, message: mapped.message };
}

/** A template's check verdict from its problems: `fail` when one fails, `warn` when there are only warnings, else `ok`. */
export function problemsStatus(problems: readonly TemplateProblem[]): 'ok' | 'warn' | 'fail' {
  return problems.some((p) => p.severity === 'fail') ? 'fail' : problems.length > 0 ? 'warn' : 'ok';
}

/** What a provider's preflight checked (for people: each DryRun made, or why one was skipped), and found. */
export interface PreflightResult {
  readonly checked: readonly string[];
  readonly problems: readonly TemplateProblem[];
}

/** What holds capacity for a request besides its instances: a fleet, a Spot Fleet request, a group. */
export interface CapacityHolder {
  readonly api: ProviderApi;
  /** What it is, for people (`EC2 Fleet`, `Spot Fleet request`, `Auto Scaling group`). */
  readonly kind: string;
  readonly id: string;
  /** The acquire request it was made for (its request tag), when it carries one. */
  readonly requestId?: string;
  /** Ids of the instances it holds now. */
  readonly instanceIds: readonly string[];
}

/** Everything a provider instance has in the cloud, found by its tags (whatever the store says). */
export interface CloudInventory {
  /** Instances tagged with this provider instance's name that are not shutting down or terminated. */
  readonly instances: readonly MachineObservation[];
  /** Holders tagged with this provider instance's name that may still launch (live). */
  readonly holders: readonly CapacityHolder[];
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
  /**
   * Gives machines back to the cloud so that it does not replace them (a maintained fleet or a
   * group is shrunk first), and removes a fleet or group once it holds nothing. `requests` are the
   * acquire requests the machines were launched for (their `providerData`). Idempotent; ignores
   * machines already gone.
   */
  release(machines: readonly Machine[], requests: readonly Request[]): Promise<void>;
  /**
   * Optional: the request ended with less than it asked for; stop the cloud from launching more
   * for it (cancel a fleet request, shrink a group to the machines it has). Machines are kept.
   * Idempotent. Providers whose launches are one-shot (RunInstances) need not implement it.
   */
  abandon?(request: Request, machines: readonly Machine[]): Promise<void>;
  /**
   * Optional (without it the orphan sweep cannot see this provider's resources): every instance
   * and holder of this provider instance in the cloud, by its tags. Read-only, paginated.
   * Providers that share one instance view may each report the same instances.
   */
  inventory?(): Promise<CloudInventory>;
  /** Optional, with `inventory`: removes holders together with their instances. Idempotent. */
  dispose?(holders: readonly CapacityHolder[]): Promise<void>;
  /**
   * Optional: the instances among `machineIds` that this provider instance launched (its tags),
   * whether the store knows them or not (a wiped or restored work dir). Read-only.
   */
  lookup?(machineIds: readonly string[]): Promise<MachineObservation[]>;
  /**
   * Optional: would `acquire` from this template be allowed? Asked of the cloud without launching
   * anything (EC2's `DryRun`), the way `acquire` would ask. Creates nothing; what a look-alike
   * endpoint makes despite the DryRun flag is given back at once and reported as a warning.
   */
  preflight?(template: Template): Promise<PreflightResult>;
}

/** The capacity providers of one installation, by API. */
export interface CapacityProviders {
  /** Throws `TEMPLATE_INVALID` when no provider for the API is configured. */
  forApi(api: ProviderApi): CapacityProvider;
}
/** The injection token of {@link CapacityProviders}. */
export const CapacityProviders: Token<CapacityProviders> = portToken<CapacityProviders>('CapacityProviders');
