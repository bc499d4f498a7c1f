import type { Logger, StateStore } from '@open-hostfactory/core';
import type { AppConfig } from '../config';
import { persistMetrics, pushMetrics, type CallMetrics } from './metrics';

/**
 * At the end of a call: the machines gauge read from the store, the call's counters added to
 * the metrics file, and (with `monitoring.metrics_endpoint`) the file pushed to the Pushgateway.
 * Never fails the call: a problem is logged at warn.
 */
export async function recordCall(
  config: AppConfig,
  metrics: CallMetrics,
  command: string,
  outcome: string,
  startedAt: number,
  store: StateStore | undefined,
  logger: Logger,
): Promise<void> {
  try {
    let machines: Map<string, number> | undefined;
    if (store) {
      machines = new Map();
      for (const machine of await store.getMachines({ held: true })) {
        const key = `${machine.templateId}|${machine.status}`;
        machines.set(key, (machines.get(key) ?? 0) + 1);
      }
    }
    const text = persistMetrics(config.monitoring.file, metrics.delta(command, outcome, (Date.now() - startedAt) / 1000, machines));
    if (text === undefined) {
      logger.warn('metrics not updated: another call held the metrics file too long', { file: config.monitoring.file });
      return;
    }
    if (config.monitoring.pushEndpoint) {
      const problem = await pushMetrics(config.monitoring.pushEndpoint, config.providerName, text);
      if (problem) logger.warn('metrics push failed', { endpoint: config.monitoring.pushEndpoint, problem });
    }
  } catch (error) {
    logger.warn('metrics not updated', { file: config.monitoring.file, error: String(error) });
  }
}
