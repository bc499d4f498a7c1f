import { PROVIDER_API_PATTERN } from '@open-hostfactory/core';
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
  readonly lease_until: number | null;
  readonly lease_holder: string | null;
  readonly lease_count: number | null;
  readonly first_polled_at: number | null;
  readonly closed_at: number | null;
  readonly rc_account: string | null;
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
  'lease_until',
  'lease_holder',
  'lease_count',
  'first_polled_at',
  'closed_at',
  'rc_account',
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
    lease_until: request.launchLease?.until ?? null,
    lease_holder: request.launchLease?.holder ?? null,
    lease_count: request.launchLease?.count ?? null,
    first_polled_at: request.firstPolledAt ?? null,
    closed_at: request.closedAt ?? null,
    rc_account: request.rcAccount ?? null,
    created_at: request.createdAt,
    updated_at: request.updatedAt,
    version: request.version,
  };
}

/** Reads a stored row back, validating every column (`STORAGE_ERROR` when it is not a valid request). */
export function requestFromRow(row: unknown): Request {
  const read = new RowReader('requests', row, 'request_id');
  const templateId = read.optionalText('template_id');
  const providerApi = read.optionalMatching('provider_api', PROVIDER_API_PATTERN);
  const leaseUntil = read.optionalNumber('lease_until');
  const launchLease =
    leaseUntil === undefined ? undefined : { until: leaseUntil, holder: read.text('lease_holder'), count: read.count('lease_count') };
  const firstPolledAt = read.optionalNumber('first_polled_at');
  const closedAt = read.optionalNumber('closed_at');
  const rcAccount = read.optionalText('rc_account');
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
    ...(launchLease === undefined ? {} : { launchLease }),
    ...(firstPolledAt === undefined ? {} : { firstPolledAt }),
    ...(closedAt === undefined ? {} : { closedAt }),
    ...(rcAccount === undefined ? {} : { rcAccount }),
    createdAt: read.number('created_at'),
    updatedAt: read.number('updated_at'),
    version: read.count('version'),
  };
}
