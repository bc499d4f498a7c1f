import type { Sender } from '@open-hostfactory/aws-common';
import { HostFactoryError, type ErrorCode } from '@open-hostfactory/core';

/**
 * The time one HF call may take. HF kills a call at its action timeout
 * (`HF_PROVIDER_ACTION_TIMEOUT`), so every AWS request of the call is aborted at the budget's
 * deadline, a margin before that: the call then answers with what it knows (a status poll reports
 * the request running with the reason; a call that cannot do its job fails with a JSON body) and
 * exits by itself instead of being killed.
 */
export interface CallBudget {
  /** Epoch ms at which every AWS request still in flight is aborted. */
  readonly deadline: number;
  /** Aborted at the deadline. */
  readonly signal: AbortSignal;
  /** Stops the timer (the call is over). */
  dispose(): void;
}

/** What is kept back from the action timeout for writing the outcome and answering: 10%, 1 s to 30 s. */
export function budgetMarginMs(actionTimeoutMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.round(actionTimeoutMs * 0.1)));
}

export function startCallBudget(actionTimeoutSec: number, startedAt: number, now: number = Date.now()): CallBudget {
  const totalMs = actionTimeoutSec * 1000;
  const deadline = startedAt + totalMs - budgetMarginMs(totalMs);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - now));
  timer.unref(); // never keeps a finished call alive
  return { deadline, signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/**
 * The client with every `send` bound by the budget: a request (retries included) still in flight
 * at the deadline is aborted, and one made after it fails at once, with `code` and a message
 * naming the budget. The client's other members are left as they are.
 */
export function withinBudget<C extends object>(client: C, budget: CallBudget, code: ErrorCode, service: string): C {
  const sender = client as unknown as Sender;
  return new Proxy(client, {
    get(target, property, receiver): unknown {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown> => {
        const outOfTime = (cause?: unknown): HostFactoryError =>
          new HostFactoryError(
            code,
            `${service} request not answered within the call's time budget (the action timeout, HF_PROVIDER_ACTION_TIMEOUT or AWS_ACTION_TIMEOUT_SEC, less a margin)`,
            {
              cause,
              transient: true,
              details: { deadline: new Date(budget.deadline).toISOString() },
            },
          );
        if (budget.signal.aborted) throw outOfTime();
        try {
          return await sender.send.call(target, command, { ...options, abortSignal: options?.abortSignal ?? budget.signal });
        } catch (error) {
          if (budget.signal.aborted) throw outOfTime(error);
          throw error;
        }
      };
    },
  });
}
