import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  CapacityProviders,
  Clock,
  GetAvailableTemplates,
  HostFactoryError,
  Logger,
  problemsStatus,
  OrphanSweep,
  ProcessIdentity,
  RetentionPurge,
  ProviderSettings,
  StateStore,
  TemplateSource,
  type Machine,
  type Request,
  type RequestStatus,
  type SweepReport,
  type UseCaseContext,
} from '@open-hostfactory/core';
import type { Container } from 'inversify';
import { exportState, importState } from '../commands/storage-transfer';
import { loadConfig, type AppConfig } from '../config';
import { resolve } from '../wiring';
import { AwsAdapters } from '../aws-capacity';
import { createContainer, type Overrides } from '../container';
import { createFileLogger } from '../logging';
import { exitCodeFor, formatError, serialize } from '../wire';
import { effectiveSettings } from './config-view';
import { runHealth } from './health';
import { isoTime, table } from './table';

/** How the operator command line meets the world (the tests hand in their own). */
export interface OperatorIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Human tables on a terminal; `--json` always prints one JSON document. */
  readonly isTTY: boolean;
  readonly overrides?: Overrides;
  /** The release version (the root package's), stamped into the bundle. */
  readonly version: string;
}

/** Exit codes of `hostfactory.sh` (docs/operations.md). */
export const OPERATOR_EXIT = {
  ok: 0,
  /** A check found a problem (health, config validate, templates). */
  checkFailed: 1,
  /** Bad usage: unknown subcommand or option, a missing argument. */
  usage: 2,
} as const;

const USAGE = `usage: hostfactory.sh <command> [options]

Run with the provider instance's HF environment (HF_PROVIDER_NAME, HF_PROVIDER_CONFDIR, ...).

commands:
  health [--json]                         check config, templates, storage, credentials, EC2
  config show [--json]                    every setting: value and where it came from
  config validate                         load and check the configuration only
  templates list [--json]                 templates with their available number
  templates check [ID] [--json]           check templates against AWS without launching
  requests list [--status S] [--template T] [--json]
                                          requests (S: running, complete, complete_with_error)
  requests show ID [--json]               one request and its machines
  machines list [--template T] [--json]   machines HF holds or may hold
  machines show ID [--json]               one machine
  reconcile [--dry-run] [--json]          run the orphan sweep now (no grace period)
  storage export -o FILE                  write every request and machine as JSON lines
  storage import -f FILE                  load such a file into the configured store
  storage purge [--older-than DAYS]       delete requests closed more than DAYS days ago
                                          (default storage.retention_days) with their machines

options:
  --json      one JSON document on stdout (the default when stdout is not a terminal)
  --help, -h  this help, or a command's
  --version   the release version

exit status: 0 ok; 1 a check failed; 2 bad usage or unknown id; 3 invalid configuration;
4 the cloud failed; 5 the store failed.`;

const HELP: Readonly<Record<string, string>> = {
  health:
    'usage: hostfactory.sh health [--json]\n\nChecks config, templates, storage, credentials (STS GetCallerIdentity) and ec2 (reachable): one line each, ok/warn/fail with the reason. Exit 1 when any check fails.',
  config:
    'usage: hostfactory.sh config show [--json] | config validate\n\nshow: every setting with its effective value (passwords masked) and its source: default, the file and key, or env:VARIABLE.\nvalidate: loads the configuration; exit 3 naming the file and key when it is invalid.',
  templates:
    "usage: hostfactory.sh templates list [--json] | templates check [ID] [--json]\n\nlist: the templates HF sees (getAvailableTemplates), with the reason a template is not offered.\ncheck: each template (or ID) against AWS without launching: image, subnets, security groups, launch template and instance types exist, each type is offered in each subnet's zone, and the call its requests would make (RunInstances, CreateFleet, RequestSpotFleet) is allowed with DryRun; Auto Scaling has no DryRun. Creates nothing. Exit 1 naming the template and field when one fails.",
  requests:
    'usage: hostfactory.sh requests list [--status running|complete|complete_with_error] [--template T] [--json]\n       hostfactory.sh requests show ID [--json]',
  machines: 'usage: hostfactory.sh machines list [--template T] [--json]\n       hostfactory.sh machines show ID [--json]',
  reconcile:
    'usage: hostfactory.sh reconcile [--dry-run] [--json]\n\nRuns the orphan sweep now, without the grace period that protects the automatic sweep, and lists what it found and did. --dry-run only reports. AWS_ORPHAN_ACTION report never changes anything either.',
  storage:
    'usage: hostfactory.sh storage export -o FILE | storage import -f FILE | storage purge [--older-than DAYS]\n\npurge: deletes requests closed (ended, nothing of theirs alive) more than DAYS days ago, default storage.retention_days, with their machines; never a request that may hold a live machine. DynamoDB expires them by TTL instead.',
};

const STATUSES: readonly RequestStatus[] = ['running', 'complete', 'complete_with_error'];

function usageError(message: string): HostFactoryError {
  return new HostFactoryError('INVALID_INPUT', `${message}\n\n${USAGE}`);
}

interface Parsed {
  readonly words: string[];
  readonly json: boolean;
  readonly help: boolean;
  readonly version: boolean;
  readonly dryRun: boolean;
  readonly status?: string;
  readonly template?: string;
  readonly out?: string;
  readonly file?: string;
  readonly olderThan?: string;
}

function parse(argv: readonly string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        status: { type: 'string' },
        template: { type: 'string' },
        out: { type: 'string', short: 'o' },
        file: { type: 'string', short: 'f' },
        'older-than': { type: 'string' },
      },
    });
    return {
      words: positionals,
      json: values.json ?? false,
      help: values.help ?? false,
      version: values.version ?? false,
      dryRun: values['dry-run'] ?? false,
      ...(values.status === undefined ? {} : { status: values.status }),
      ...(values.template === undefined ? {} : { template: values.template }),
      ...(values.out === undefined ? {} : { out: values.out }),
      ...(values.file === undefined ? {} : { file: values.file }),
      ...(values['older-than'] === undefined ? {} : { olderThan: values['older-than'] }),
    };
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
}

/** What a subcommand prints: a JSON document, and the human text of it. */
interface Outcome {
  readonly document: unknown;
  readonly text: string;
  readonly exitCode?: number;
}

/**
 * `hostfactory.sh`: the operator's command line, beside the five HF scripts and with their
 * environment and configuration. Returns the exit status.
 */
export async function runOperator(argv: readonly string[], io: OperatorIo): Promise<number> {
  let json = !io.isTTY;
  let container: Container | undefined;
  try {
    const args = parse(argv);
    json = args.json || !io.isTTY;
    if (args.version) {
      io.stdout(json ? serialize({ version: io.version }) : `${io.version}\n`);
      return OPERATOR_EXIT.ok;
    }
    const [command, ...rest] = args.words;
    if (args.help || command === 'help') {
      const topic = command === 'help' ? rest[0] : command;
      io.stdout(`${(topic && HELP[topic]) || USAGE}\n`);
      return OPERATOR_EXIT.ok;
    }
    if (!command) throw usageError('a command is required');
    if (command === 'health') return print(io, json, await runHealth(io));
    const config = loadConfig({ env: io.env, cwd: io.cwd });
    if (command === 'config') return print(io, json, configCommand(rest[0], config));
    const logger = createFileLogger({ ...config.logging, context: { provider: config.providerName, command: `hostfactory ${command}` } });
    container = await createContainer(config, logger, io.overrides);
    return print(io, json, await dispatch(command, rest, args, container, config));
  } catch (error) {
    const document = formatError(error);
    if (json) io.stdout(serialize(document));
    else io.stderr(`hostfactory: ${document.message}\n`);
    return exitCodeFor(error);
  } finally {
    if (container) {
      const store = await resolve(container, StateStore).catch(() => undefined);
      await store?.close().catch(() => undefined);
    }
  }
}

function print(io: OperatorIo, json: boolean, outcome: Outcome): number {
  io.stdout(json ? serialize(outcome.document) : `${outcome.text}\n`);
  return outcome.exitCode ?? OPERATOR_EXIT.ok;
}

function configCommand(action: string | undefined, config: AppConfig): Outcome {
  if (action === 'validate') {
    const text = `configuration valid: ${config.templates.length} template(s)${config.notices.map((n) => `\nwarning: ${n}`).join('')}`;
    return { document: { valid: true, templates: config.templates.length, notices: config.notices }, text };
  }
  if (action !== 'show') throw usageError(`unknown config command '${action ?? ''}' (show|validate)`);
  const settings = effectiveSettings(config);
  const document = Object.fromEntries(settings.map((s) => [s.fileKey, { value: s.value ?? null, source: s.source }]));
  const text = table(
    ['KEY', 'VALUE', 'SOURCE'],
    settings.map((s) => [s.fileKey, s.value === undefined ? '-' : String(s.value), s.source]),
  );
  return { document, text };
}

async function dispatch(command: string, rest: readonly string[], args: Parsed, container: Container, config: AppConfig): Promise<Outcome> {
  const store = await resolve(container, StateStore);
  const [action, id] = rest;
  switch (command) {
    case 'templates': {
      if (action === 'check') return checkTemplates(container, config, id);
      if (action !== 'list') throw usageError(`unknown templates command '${action ?? ''}' (list|check)`);
      const list = await (await container.getAsync(GetAvailableTemplates)).execute();
      const document = {
        templates: list.map((t) => ({
          templateId: t.template.templateId,
          providerApi: t.template.providerApi,
          maxNumber: t.template.maxNumber,
          availableNumber: t.availableNumber,
          ...(t.problem ? { problem: t.problem } : {}),
        })),
      };
      const text = table(
        ['TEMPLATE', 'API', 'MAX', 'AVAILABLE', 'PROBLEM'],
        document.templates.map((t) => [t.templateId, t.providerApi, String(t.maxNumber), String(t.availableNumber), t.problem ?? '']),
      );
      return { document, text };
    }
    case 'requests': {
      if (action === 'list') {
        if (args.status !== undefined && !(STATUSES as readonly string[]).includes(args.status)) {
          throw usageError(`unknown status '${args.status}' (${STATUSES.join('|')})`);
        }
        const requests = await store.listRequests({
          ...(args.status ? { statuses: [args.status as RequestStatus] } : {}),
          ...(args.template ? { templateId: args.template } : {}),
        });
        requests.sort((a, b) => a.createdAt - b.createdAt);
        return {
          document: { requests: requests.map(requestView) },
          text: table(
            ['REQUEST', 'KIND', 'TEMPLATE', 'STATUS', 'COUNT', 'CREATED', 'MESSAGE'],
            requests.map((r) => [r.requestId, r.kind, r.templateId ?? '-', r.status, String(r.machineCount), isoTime(r.createdAt), r.message]),
          ),
        };
      }
      if (action === 'show') {
        if (!id) throw usageError('requests show needs a request id');
        const [request] = await store.getRequests([id]);
        if (!request) throw new HostFactoryError('REQUEST_NOT_FOUND', `no request ${id} in the store`, { details: { requestId: id } });
        const machines = await store.getMachines(request.kind === 'return' ? { returnRequestIds: [id] } : { requestIds: [id] });
        const view = requestView(request);
        const text = [
          ...Object.entries(view).map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`),
          '',
          machinesTable(machines),
        ].join('\n');
        return { document: { request: view, machines: machines.map(machineView) }, text };
      }
      throw usageError(`unknown requests command '${action ?? ''}' (list|show)`);
    }
    case 'machines': {
      if (action === 'list') {
        const machines = (await store.getMachines({ held: true })).filter((m) => !args.template || m.templateId === args.template);
        return { document: { machines: machines.map(machineView) }, text: machinesTable(machines) };
      }
      if (action === 'show') {
        if (!id) throw usageError('machines show needs a machine id');
        const [machine] = await store.getMachines({ machineIds: [id] });
        if (!machine) throw new HostFactoryError('INVALID_INPUT', `no machine ${id} in the store`, { details: { machineId: id } });
        const view = machineView(machine);
        return {
          document: { machine: view },
          text: Object.entries(view)
            .map(([key, value]) => `${key}: ${String(value)}`)
            .join('\n'),
        };
      }
      throw usageError(`unknown machines command '${action ?? ''}' (list|show)`);
    }
    case 'reconcile':
      return reconcile(container, args.dryRun, config);
    case 'storage':
      if (action === 'purge') return purge(container, args, config);
      return storage(action, args, store);
    default:
      throw usageError(`unknown command '${command}'`);
  }
}

/** What core's pieces work with, from the container (the orphan sweep, the retention purge). */
async function useCaseContext(container: Container): Promise<UseCaseContext> {
  return {
    store: await resolve(container, StateStore),
    providers: await resolve(container, CapacityProviders),
    templates: await resolve(container, TemplateSource),
    clock: await resolve(container, Clock),
    settings: await resolve(container, ProviderSettings),
    logger: await resolve(container, Logger),
    identity: await resolve(container, ProcessIdentity),
  };
}

async function checkTemplates(container: Container, config: AppConfig, templateId: string | undefined): Promise<Outcome> {
  const templates = templateId === undefined ? config.templates : config.templates.filter((t) => t.templateId === templateId);
  if (templateId !== undefined && templates.length === 0) {
    throw new HostFactoryError('TEMPLATE_NOT_FOUND', `no template ${templateId} in the configuration`, { details: { templateId } });
  }
  const adapters = await container.getAsync(AwsAdapters);
  const results = [];
  const providers = await resolve(container, CapacityProviders);
  for (const template of templates) {
    if (config.registry.isAws(template.providerApi)) {
      results.push(await adapters.checkTemplate(template));
      continue;
    }
    // A plugin provider's template: its settings were checked when the configuration loaded; its preflight says the rest.
    const preflight = await providers.forApi(template.providerApi).preflight?.(template);
    const problems = preflight?.problems ?? [];
    results.push({
      templateId: template.templateId,
      status: problemsStatus(problems),
      checked: ['providerSettings (when the configuration loaded)', ...(preflight?.checked ?? [])],
      problems,
    });
  }
  const failed = results.some((r) => r.status === 'fail');
  const text = table(
    ['TEMPLATE', 'STATUS', 'FIELD', 'PROBLEM'],
    results.flatMap((r) =>
      r.problems.length === 0 ? [[r.templateId, r.status, '', '']] : r.problems.map((p) => [r.templateId, p.severity, p.field, p.message]),
    ),
  );
  return { document: { status: failed ? 'fail' : 'ok', templates: results }, text, exitCode: failed ? OPERATOR_EXIT.checkFailed : OPERATOR_EXIT.ok };
}

async function reconcile(container: Container, dryRun: boolean, config: AppConfig): Promise<Outcome> {
  const sweep = new OrphanSweep(await useCaseContext(container));
  const report: SweepReport = await sweep.run({ dryRun, immediate: true });
  const reportOnly = dryRun || config.provider.orphanAction === 'report';
  const heading =
    report.findings.length === 0
      ? 'nothing to reconcile'
      : `${report.findings.length} finding(s)${reportOnly ? ' (reported only, nothing changed)' : ''}`;
  const text = [
    heading,
    ...(report.findings.length === 0
      ? []
      : [
          table(
            ['KIND', 'ID', 'REQUEST', 'ACTION', 'REASON'],
            report.findings.map((f) => [f.kind, f.id, f.requestId ?? '-', f.action, f.reason]),
          ),
        ]),
  ].join('\n');
  return { document: { dryRun: reportOnly, complete: report.complete, findings: report.findings }, text };
}

async function purge(container: Container, args: Parsed, config: AppConfig): Promise<Outcome> {
  const days = args.olderThan === undefined ? config.storage.retentionDays : Number(args.olderThan);
  if (!Number.isInteger(days) || days < 0) throw usageError(`--older-than must be a whole number of days >= 0 (got '${args.olderThan}')`);
  const retention = new RetentionPurge(await useCaseContext(container));
  const result = await retention.run(days);
  const text = result.expiresItself
    ? `nothing purged: ${config.storage.type} expires closed requests by itself (TTL, ${config.storage.retentionDays} days)`
    : `purged ${result.requests} request(s) and ${result.machines} machine(s) closed more than ${days} day(s) ago`;
  return {
    document: {
      message: 'State purged.',
      olderThanDays: days,
      purged: { requests: result.requests, machines: result.machines },
      ...(result.expiresItself ? { expiresItself: true } : {}),
    },
    text,
  };
}

async function storage(action: string | undefined, args: Parsed, store: StateStore): Promise<Outcome> {
  if (action === 'export') {
    if (!args.out) throw usageError('storage export needs -o FILE');
    const lines: string[] = [];
    const counts = await exportState(store, (line) => lines.push(line));
    writeFileSync(args.out, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
    return { document: { message: 'State exported.', file: args.out, exported: counts }, text: `exported ${JSON.stringify(counts)} to ${args.out}` };
  }
  if (action === 'import') {
    if (!args.file) throw usageError('storage import needs -f FILE');
    const summary = await importState(store, readFileSync(args.file, 'utf8').split('\n'));
    return { document: { message: 'State imported.', file: args.file, ...summary }, text: `imported from ${args.file}: ${JSON.stringify(summary)}` };
  }
  throw usageError(`unknown storage command '${action ?? ''}' (export|import|purge)`);
}

function requestView(request: Request): Record<string, unknown> {
  return {
    requestId: request.requestId,
    kind: request.kind,
    ...(request.templateId ? { templateId: request.templateId } : {}),
    ...(request.providerApi ? { providerApi: request.providerApi } : {}),
    status: request.status,
    machineCount: request.machineCount,
    message: request.message,
    launchAttempts: request.launchAttempts,
    createdAt: isoTime(request.createdAt),
    updatedAt: isoTime(request.updatedAt),
    ...(request.firstPolledAt ? { firstPolledAt: isoTime(request.firstPolledAt) } : {}),
    ...(request.closedAt ? { closedAt: isoTime(request.closedAt) } : {}),
    ...(request.rcAccount ? { rcAccount: request.rcAccount } : {}),
    ...(Object.keys(request.providerData).length ? { providerData: request.providerData } : {}),
  };
}

function machineView(machine: Machine): Record<string, unknown> {
  return {
    machineId: machine.machineId,
    name: machine.name,
    requestId: machine.requestId,
    ...(machine.returnRequestId ? { returnRequestId: machine.returnRequestId } : {}),
    templateId: machine.templateId,
    providerApi: machine.providerApi,
    status: machine.status,
    result: machine.result,
    instanceType: machine.instanceType,
    priceType: machine.priceType,
    privateIpAddress: machine.privateIpAddress,
    launchTime: isoTime(machine.launchTime * 1000),
    ...(machine.message ? { message: machine.message } : {}),
  };
}

function machinesTable(machines: readonly Machine[]): string {
  return table(
    ['MACHINE', 'NAME', 'TEMPLATE', 'STATUS', 'RESULT', 'REQUEST', 'RETURN'],
    machines.map((m) => [m.machineId, m.name || '-', m.templateId, m.status, m.result, m.requestId, m.returnRequestId ?? '-']),
  );
}
