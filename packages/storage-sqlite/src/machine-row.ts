import { MACHINE_STATES, PROVIDER_API_PATTERN } from '@open-hostfactory/core';
import type { LifecycleNotice, Machine, MachinePriceType, MachineResult } from '@open-hostfactory/core';
import { RowReader } from './row-reader';

/** One row of the `machines` table, as better-sqlite3 binds and returns it. */
export interface MachineRow {
  readonly machine_id: string;
  readonly request_id: string;
  readonly template_id: string;
  readonly provider_api: string;
  readonly return_request_id: string | null;
  readonly name: string;
  readonly private_ip_address: string;
  readonly public_ip_address: string;
  readonly launch_time: number;
  readonly status: string;
  readonly result: string;
  readonly message: string;
  readonly price_type: string;
  readonly instance_type: string;
  readonly instance_tags: string;
  readonly cloud_host_id: string | null;
  readonly weight: number;
  /** 0 or 1. */
  readonly gone: number;
  readonly notice_kind: string | null;
  readonly notice_deadline: number | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly version: number;
}

export const MACHINE_COLUMNS: readonly (keyof MachineRow)[] = [
  'machine_id',
  'request_id',
  'template_id',
  'provider_api',
  'return_request_id',
  'name',
  'private_ip_address',
  'public_ip_address',
  'launch_time',
  'status',
  'result',
  'message',
  'price_type',
  'instance_type',
  'instance_tags',
  'cloud_host_id',
  'weight',
  'gone',
  'notice_kind',
  'notice_deadline',
  'created_at',
  'updated_at',
  'version',
];

const RESULTS: readonly MachineResult[] = ['executing', 'succeed', 'fail'];
const PRICE_TYPES: readonly MachinePriceType[] = ['ondemand', 'spot'];
const NOTICE_KINDS: readonly LifecycleNotice['kind'][] = ['spot-interruption', 'rebalance-recommendation'];

export function machineToRow(machine: Machine): MachineRow {
  return {
    machine_id: machine.machineId,
    request_id: machine.requestId,
    template_id: machine.templateId,
    provider_api: machine.providerApi,
    return_request_id: machine.returnRequestId ?? null,
    name: machine.name,
    private_ip_address: machine.privateIpAddress,
    public_ip_address: machine.publicIpAddress,
    launch_time: machine.launchTime,
    status: machine.status,
    result: machine.result,
    message: machine.message,
    price_type: machine.priceType,
    instance_type: machine.instanceType,
    instance_tags: machine.instanceTags,
    cloud_host_id: machine.cloudHostId ?? null,
    weight: machine.weight,
    gone: machine.gone ? 1 : 0,
    notice_kind: machine.notice?.kind ?? null,
    notice_deadline: machine.notice?.deadline ?? null,
    created_at: machine.createdAt,
    updated_at: machine.updatedAt,
    version: machine.version,
  };
}

/** Reads a stored row back, validating every column (`STORAGE_ERROR` when it is not a valid machine). */
export function machineFromRow(row: unknown): Machine {
  const read = new RowReader('machines', row, 'machine_id');
  const returnRequestId = read.optionalText('return_request_id');
  const cloudHostId = read.optionalText('cloud_host_id');
  const noticeKind = read.optionalOneOf('notice_kind', NOTICE_KINDS);
  const noticeDeadline = read.optionalNumber('notice_deadline');
  if (noticeKind === undefined && noticeDeadline !== undefined) read.oneOf('notice_kind', NOTICE_KINDS);
  const notice: LifecycleNotice | undefined =
    noticeKind === undefined ? undefined : noticeDeadline === undefined ? { kind: noticeKind } : { kind: noticeKind, deadline: noticeDeadline };
  return {
    machineId: read.nonEmptyText('machine_id'),
    requestId: read.text('request_id'),
    templateId: read.text('template_id'),
    providerApi: read.matching('provider_api', PROVIDER_API_PATTERN),
    ...(returnRequestId === undefined ? {} : { returnRequestId }),
    name: read.text('name'),
    privateIpAddress: read.text('private_ip_address'),
    publicIpAddress: read.text('public_ip_address'),
    launchTime: read.number('launch_time'),
    status: read.oneOf('status', MACHINE_STATES),
    result: read.oneOf('result', RESULTS),
    message: read.text('message'),
    priceType: read.oneOf('price_type', PRICE_TYPES),
    instanceType: read.text('instance_type'),
    instanceTags: read.text('instance_tags'),
    ...(cloudHostId === undefined ? {} : { cloudHostId }),
    weight: read.positive('weight'),
    gone: read.boolean('gone'),
    ...(notice === undefined ? {} : { notice }),
    createdAt: read.number('created_at'),
    updatedAt: read.number('updated_at'),
    version: read.count('version'),
  };
}
