import { newMachine, unitsOf, type Machine } from '../domain/machine/machine';
import { ACQUIRE_PREFIX, type Request } from '../domain/request/request';
import { RC_ACCOUNT_PATTERN, templateForRequest } from '../domain/template/request-template';
import type { Template } from '../domain/template/template';
import { HostFactoryError, toHostFactoryError, type ErrorCode } from '../errors';
import type { CapacityProviders } from '../ports/capacity-provider';
import type { Clock } from '../ports/clock';
import type { IdGenerator } from '../ports/id-generator';
import type { Logger } from '../ports/logger';
import { unknownProcess, type ProcessIdentity } from '../ports/process-identity';
import type { ProviderSettings } from '../ports/provider-settings';
import type { StateStore } from '../ports/state-store';
import type { TemplateSource } from '../ports/template-source';
import { acceptTemplatesAsConfigured, type TemplateValidator } from '../ports/template-validator';
import { BootstrapGuard } from './bootstrap-guard';
import { findTemplate } from './find-template';
import { machineOwner } from './machine-owner';
import type { RequestMachinesInput, RequestMachinesOutput } from './results';
import { availableNumber, unitsInUse } from './template-usage';

/**
 * requestMachines: admits the request against the template's maxNumber in one atomic step with
 * storing it (of concurrent requests exactly those that fit are admitted), *before* any cloud
 * call, with its first launch attempt claimed (a lease). Then makes that launch. A launch that
 * brings fewer machines than asked leaves the request running: later status polls top it up. A
 * launch the cloud refused ends the request `complete_with_error` and the call fails with the
 * cause. Once instances are launched the call answers the request id whatever happens next, so
 * HF polls it and the poll adopts any instance the store missed (by the request tag). A call
 * killed before it answers leaves a request HF never polls: the orphan sweep gives it back.
 */
export class RequestMachines {
  constructor(
    private readonly templates: TemplateSource,
    private readonly store: StateStore,
    private readonly providers: CapacityProviders,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly settings: ProviderSettings,
    private readonly logger: Logger,
    private readonly validator: TemplateValidator = acceptTemplatesAsConfigured,
    private readonly identity: ProcessIdentity = unknownProcess,
  ) {}

  /** Admits the request against the template's maxNumber, stores it and makes its first launch. */
  async execute(input: RequestMachinesInput): Promise<RequestMachinesOutput> {
    const configured = await findTemplate(this.templates, input.templateId);
    if (!Number.isInteger(input.machineCount) || input.machineCount < 1) {
      throw new HostFactoryError('INVALID_INPUT', `machineCount must be a positive integer, got ${input.machineCount}`, {
        details: { machineCount: input.machineCount },
      });
    }
    if (configured.maxNumber >= 0 && input.machineCount > configured.maxNumber) {
      throw exceeded(configured, input.machineCount, configured.maxNumber);
    }
    const [hold] = (await new BootstrapGuard(this.store, this.clock, this.settings, this.logger).held([configured.templateId])).values();
    if (hold !== undefined) {
      throw new HostFactoryError('INSUFFICIENT_CAPACITY', `Template '${configured.templateId}' is held back: ${hold}`, {
        transient: true,
        details: { templateId: configured.templateId },
      });
    }
    const provider = this.providers.forApi(configured.providerApi);
    if (input.rcAccount !== undefined && !RC_ACCOUNT_PATTERN.test(input.rcAccount)) {
      throw new HostFactoryError(
        'INVALID_INPUT',
        `rc_account '${input.rcAccount}' must be 1-256 characters of A-Z a-z 0-9 and _ . : / = + - @ (it becomes a tag value and a shell word in the user data)`,
        { details: { field: 'rc_account' } },
      );
    }
    // Checked against the cloud before anything is stored: a template naming a subnet that does
    // not exist fails here, naming the field, instead of as a failed request.
    const template = await this.validator.prepare(configured);
    const request = await this.admit(template, input.machineCount, input.rcAccount);
    this.logger.info('request stored', { requestId: request.requestId, templateId: template.templateId, machineCount: input.machineCount });

    let result;
    try {
      result = await provider.acquire({
        request,
        template: templateForRequest(template, request, this.settings),
        count: input.machineCount,
        attempt: 1,
        deadline: request.createdAt + this.settings.capacityTimeoutSec * 1000,
      });
    } catch (error) {
      const failure = toHostFactoryError(error, 'PROVIDER_ERROR');
      this.logger.error('launch failed', { requestId: request.requestId, code: failure.code, error: failure.message });
      const failedAt = this.clock.now();
      // Unless the cloud refused outright, the launch may have reached it: the orphan sweep gives
      // back whatever it made (instances carry the request tag, the request has ended).
      await this.store
        .write({
          requests: [
            {
              ...request,
              status: 'complete_with_error',
              message: `Launch failed: ${failure.message}`,
              failedAttempts: request.failedAttempts + 1,
              launchLease: undefined,
              ...(launchOutcomeUnknown(failure) ? {} : { closedAt: failedAt }),
              updatedAt: failedAt,
            },
          ],
        })
        .catch((storeError: unknown) =>
          this.logger.error('could not record the failed launch', { requestId: request.requestId, error: String(storeError) }),
        );
      throw failure;
    }

    const context = { now: this.clock.now(), pendingTimeoutSec: this.settings.pendingTimeoutSec };
    const owner = machineOwner(request, template);
    const machines: Machine[] = dedupe(result.machines.map((o) => newMachine(o, owner, context)));
    const launched: Request = {
      ...request,
      // Nothing launched and no reason given: a fleet or group fills later, not a failed attempt.
      failedAttempts: machines.length > 0 || result.shortfallReason === undefined ? 0 : 1,
      message: unitsOf(machines) < input.machineCount ? (result.shortfallReason ?? '') : '',
      providerData: { ...request.providerData, ...(result.providerData ?? {}) },
      launchLease: undefined,
      updatedAt: context.now,
    };
    this.logger.info('launch started', {
      requestId: request.requestId,
      machineIds: machines.map((m) => m.machineId),
      shortfall: input.machineCount - machines.length,
    });
    try {
      const written = await this.store.write({ requests: [launched], machines });
      return { request: written.requests[0] as Request, template, machines: written.machines };
    } catch (error) {
      // The request is stored and its instances carry its tag: the next status poll adopts them
      // (its lease, left by this call, is seen as dead and the attempt replayed without relaunching).
      // Failing here would hide the request id from HF and orphan what was just launched.
      this.logger.error('launched machines not recorded yet; the next poll adopts them', {
        requestId: request.requestId,
        error: toHostFactoryError(error).message,
      });
      return { request, template, machines };
    }
  }

  /**
   * Stores the request with attempt 1 claimed, if `count` fits beside what the template already
   * uses, atomically (see StateStore.admit); MAX_NUMBER_EXCEEDED otherwise.
   */
  private async admit(template: Template, count: number, rcAccount: string | undefined): Promise<Request> {
    const now = this.clock.now();
    const draft: Request = {
      requestId: this.ids.next(ACQUIRE_PREFIX),
      kind: 'acquire',
      templateId: template.templateId,
      providerApi: template.providerApi,
      machineCount: count,
      status: 'running',
      message: '',
      launchAttempts: 1,
      failedAttempts: 0,
      launchLease: { until: now + this.settings.launchLeaseSec * 1000, holder: this.identity.self, count },
      ...(rcAccount === undefined ? {} : { rcAccount }),
      providerData: {},
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    let available = template.maxNumber;
    const stored = await this.store.admit(draft, (load) => {
      if (template.maxNumber < 0) return true;
      const used = unitsInUse(load);
      available = availableNumber(template, used);
      return used + count <= template.maxNumber;
    });
    if (!stored) throw exceeded(template, count, available);
    return stored;
  }
}

/**
 * Errors with which the cloud refused the launch outright; any other failure (a timeout, a lost
 * connection, an unexpected error) may have reached the cloud, so instances may exist.
 */
const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'THROTTLED',
  'INSUFFICIENT_CAPACITY',
  'QUOTA_EXCEEDED',
  'AUTH_ERROR',
  'TEMPLATE_INVALID',
  'TEMPLATE_NOT_FOUND',
  'NOT_FOUND',
  'CONFIG_INVALID',
  'INVALID_INPUT',
]);

function launchOutcomeUnknown(failure: HostFactoryError): boolean {
  return !REFUSALS.has(failure.code);
}

function exceeded(template: Template, requested: number, available: number): HostFactoryError {
  return new HostFactoryError(
    'MAX_NUMBER_EXCEEDED',
    `Template '${template.templateId}' has ${available} machines available (maxNumber ${template.maxNumber}); ${requested} requested`,
    { details: { templateId: template.templateId, requested, availableNumber: available, maxNumber: template.maxNumber } },
  );
}

function dedupe(machines: Machine[]): Machine[] {
  const seen = new Map<string, Machine>();
  for (const machine of machines) seen.set(machine.machineId, machine);
  return [...seen.values()];
}
