import { PROVIDER_APIS } from '@open-hostfactory/core';
import type { Request, RequestKind, RequestStatus } from '@open-hostfactory/core';
import { RowReader } from './row-reader';

/** One row of the `requests` table, as better-sqlite3 binds and returns it. */
export interface RequestRow {
  readonly request_id: string;
  readonly kind: string;
  readonly template_id: string | null;
  readonly provider_api: string | null;
  readonly machine_count: number;
  readonly status: string;
  readonly message: string;
  readonly launch_attempts: number;
  readonly failed_attempts: number;
  /** JSON object of strings. */
  readonly provider_data: string;
  readonly orphan_check_until: number | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly version: number;
}

export const REQUEST_COLUMNS: readonly (keyof RequestRow)[] = [
  'request_id',
  'kind',
  'template_id',
  'provider_api',
  'machine_count',
  'status',
  'message',
  'launch_attempts',
  'failed_attempts',
  'provider_data',
  'orphan_check_until',
  'created_at',
  'updated_at',
  'version',
];

const KINDS: readonly RequestKind[] = ['acquire', 'return'];
const STATUSES: readonly RequestStatus[] = ['running', 'complete', 'complete_with_error'];

export function requestToRow(request: Request): RequestRow {
  return {
    request_id: request.requestId,
    kind: request.kind,
    template_id: request.templateId ?? null,
    provider_api: request.providerApi ?? null,
    machine_count: request.machineCount,
    status: request.status,
    message: request.message,
    launch_attempts: request.launchAttempts,
    failed_attempts: request.failedAttempts,
    provider_data: JSON.stringify(request.providerData ?? {}),
    orphan_check_until: request.orphanCheckUntil ?? null,
    created_at: request.createdAt,
    updated_at: request.updatedAt,
    version: request.version,
  };
}

/** Reads a stored row back, validating every column (`STORAGE_ERROR` when it is not a valid request). */
export function requestFromRow(row: unknown): Request {
  const read = new RowReader('requests', row, 'request_id');
  const templateId = read.optionalText('template_id');
  const providerApi = read.optionalOneOf('provider_api', PROVIDER_APIS);
  const orphanCheckUntil = read.optionalNumber('orphan_check_until');
  return {
    requestId: read.nonEmptyText('request_id'),
    kind: read.oneOf('kind', KINDS),
    ...(templateId === undefined ? {} : { templateId }),
    ...(providerApi === undefined ? {} : { providerApi }),
    machineCount: read.count('machine_count'),
    status: read.oneOf('status', STATUSES),
    message: read.text('message'),
    launchAttempts: read.count('launch_attempts'),
    failedAttempts: read.count('failed_attempts'),
    providerData: read.stringMap('provider_data'),
    ...(orphanCheckUntil === undefined ? {} : { orphanCheckUntil }),
    createdAt: read.number('created_at'),
    updatedAt: read.number('updated_at'),
    version: read.count('version'),
  };
}
