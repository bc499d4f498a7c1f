import {
  GetAvailableTemplates,
  GetRequestStatus,
  GetReturnRequests,
  RequestMachines,
  RequestReturnMachines,
  attributeTypeOf,
  resolveTemplateAttributes,
  ProviderSettings,
  type RequestReport,
} from '@open-hostfactory/core';
import { CachedCatalog } from '../container';
import { resolve } from '../wiring';
import type { Container } from 'inversify';
import {
  formatRequestMachines,
  formatRequestStatus,
  formatReturnMachines,
  formatReturnRequests,
  formatTemplates,
  parseGetAvailableTemplates,
  parseGetRequestStatus,
  parseGetReturnRequests,
  parseRequestMachines,
  parseRequestReturnMachines,
} from '../wire';

/**
 * One HF call: `parse` checks the input before anything is loaded (a bad file fails fast and
 * touches nothing), `run` executes the use case and returns the answer document.
 */
export interface Command {
  readonly name: CommandName;
  parse(doc: unknown): unknown;
  run(parsed: unknown, container: Container): Promise<unknown>;
}

export const COMMAND_NAMES = ['getAvailableTemplates', 'requestMachines', 'getRequestStatus', 'requestReturnMachines', 'getReturnRequests'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

function command<P>(name: CommandName, parse: (doc: unknown) => P, run: (parsed: P, container: Container) => Promise<unknown>): Command {
  return { name, parse, run: (parsed, container) => run(parsed as P, container) };
}

export const COMMANDS: Readonly<Record<CommandName, Command>> = {
  getAvailableTemplates: command('getAvailableTemplates', parseGetAvailableTemplates, async (_parsed, container) =>
    formatTemplates(await (await container.getAsync(GetAvailableTemplates)).execute()),
  ),
  requestMachines: command('requestMachines', parseRequestMachines, async (parsed, container) => {
    const useCase = await container.getAsync(RequestMachines);
    const out = await useCase.execute({
      templateId: parsed.templateId,
      machineCount: parsed.machineCount,
      ...(parsed.rcAccount === undefined ? {} : { rcAccount: parsed.rcAccount }),
    });
    return formatRequestMachines(out, parsed.dialect);
  }),
  getRequestStatus: command('getRequestStatus', parseGetRequestStatus, async (parsed, container) => {
    const reports = await (await container.getAsync(GetRequestStatus)).execute({ requestIds: parsed.requestIds });
    if (parsed.dialect === 'guide') return formatRequestStatus(await withResolvedAttributes(reports, container), 'guide');
    if (parsed.entries === undefined) return formatRequestStatus(reports, parsed.dialect);
    // Entries without a valid id are answered in place, complete_with_error, the rest as polled.
    let next = 0;
    const inOrder: RequestReport[] = parsed.entries.map((entry) =>
      'requestId' in entry
        ? (reports[next++] as RequestReport)
        : { requestId: '', found: false, status: 'complete_with_error', message: entry.problem, machines: [] },
    );
    return formatRequestStatus(inOrder, parsed.dialect);
  }),
  requestReturnMachines: command('requestReturnMachines', parseRequestReturnMachines, async (parsed, container) => {
    const out = await (await container.getAsync(RequestReturnMachines)).execute(parsed.input);
    const acquireId = 'requestId' in parsed.input ? parsed.input.requestId : undefined;
    return formatReturnMachines(out, parsed.dialect, acquireId);
  }),
  getReturnRequests: command('getReturnRequests', parseGetReturnRequests, async (parsed, container) =>
    formatReturnRequests(await (await container.getAsync(GetReturnRequests)).execute({ machines: parsed.machines })),
  ),
};

/**
 * The guide dialect gives each machine its template's attributes: resolved as getAvailableTemplates
 * shows them (ncpus, nram... derived from the template's first instance type, or the smallest type
 * its `instanceRequirements` match, when not configured; cached).
 */
async function withResolvedAttributes(reports: readonly RequestReport[], container: Container): Promise<RequestReport[]> {
  if (!reports.some((report) => report.template)) return [...reports];
  const catalog = await resolve(container, CachedCatalog);
  const { cpuCounting } = await resolve(container, ProviderSettings);
  const typeOf = new Map<string, string | undefined>();
  for (const { template } of reports) {
    if (template && !typeOf.has(template.templateId))
      typeOf.set(template.templateId, await attributeTypeOf(template, catalog).catch(() => undefined));
  }
  const types = [...new Set([...typeOf.values()].filter((type): type is string => type !== undefined))];
  const infos = types.length > 0 ? await catalog.describe(types).catch(() => new Map()) : new Map();
  return reports.map((report) => {
    if (!report.template) return report;
    const type = typeOf.get(report.template.templateId);
    const attributes = resolveTemplateAttributes(report.template, type ? infos.get(type) : undefined, cpuCounting);
    return { ...report, template: { ...report.template, attributes } };
  });
}

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}
