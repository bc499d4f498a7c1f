import { MACHINE_STATES, PROVIDER_API_PATTERN, countsAgainstQuota, isMachineFinished, isMachineHeld } from '@open-hostfactory/core';
import type { LifecycleNotice, Machine, MachinePriceType, MachineResult } from '@open-hostfactory/core';
import { ItemReader, KEY_ATTRIBUTE, num, text, type Item } from './item-reader';
import { expiryOf, type ItemContext } from './request-item';
import { MACHINE_INDEXES, SORT_ATTRIBUTE, TTL_ATTRIBUTE, scopedKey } from './table-design';

const RESULTS: readonly MachineResult[] = ['executing', 'succeed', 'fail'];
const PRICE_TYPES: readonly MachinePriceType[] = ['ondemand', 'spot'];
const NOTICE_KINDS: readonly LifecycleNotice['kind'][] = ['spot-interruption', 'rebalance-recommendation'];

/**
 * The item of a machine, with its index keys: `requestKey`, `nameKey` always, `returnRequestKey`
 * once returned, `templateKey` only while it counts against its template's maxNumber (the sparse
 * `byTemplate` index: quota reads never see history), `heldKey` only while held (the sparse
 * `held` index), and the TTL attribute `expiresAt` once finished (see `isMachineFinished`).
 */
export function machineToItem(machine: Machine, context: ItemContext): Item {
  const provider = context.providerName;
  const item: Item = {
    [KEY_ATTRIBUTE]: text(scopedKey(provider, machine.machineId)),
    provider: text(provider),
    machineId: text(machine.machineId),
    requestId: text(machine.requestId),
    templateId: text(machine.templateId),
    providerApi: text(machine.providerApi),
    name: text(machine.name),
    privateIpAddress: text(machine.privateIpAddress),
    publicIpAddress: text(machine.publicIpAddress),
    launchTime: num(machine.launchTime),
    status: text(machine.status),
    result: text(machine.result),
    message: text(machine.message),
    priceType: text(machine.priceType),
    instanceType: text(machine.instanceType),
    instanceTags: text(machine.instanceTags),
    weight: num(machine.weight),
    gone: { BOOL: machine.gone },
    [SORT_ATTRIBUTE]: num(machine.createdAt),
    updatedAt: num(machine.updatedAt),
    version: num(machine.version),
    [MACHINE_INDEXES.byRequest.keyAttribute]: text(scopedKey(provider, machine.requestId)),
    [MACHINE_INDEXES.byName.keyAttribute]: text(scopedKey(provider, machine.name)),
  };
  if (countsAgainstQuota(machine)) item[MACHINE_INDEXES.byTemplate.keyAttribute] = text(scopedKey(provider, machine.templateId));
  if (machine.returnRequestId !== undefined) {
    item['returnRequestId'] = text(machine.returnRequestId);
    item[MACHINE_INDEXES.byReturnRequest.keyAttribute] = text(scopedKey(provider, machine.returnRequestId));
  }
  if (isMachineHeld(machine)) item[MACHINE_INDEXES.held.keyAttribute] = text(provider);
  if (machine.cloudHostId !== undefined) item['cloudHostId'] = text(machine.cloudHostId);
  if (machine.notice !== undefined) {
    item['noticeKind'] = text(machine.notice.kind);
    if (machine.notice.deadline !== undefined) item['noticeDeadline'] = num(machine.notice.deadline);
  }
  if (isMachineFinished(machine)) item[TTL_ATTRIBUTE] = num(expiryOf(machine.updatedAt, context.retentionSeconds));
  return item;
}

/**
 * Reads a stored item back, validating every attribute (`STORAGE_ERROR` naming the table, the key
 * and the attribute when it is not a valid machine of this provider).
 */
export function machineFromItem(item: unknown, table: string, providerName: string): Machine {
  const read = new ItemReader(table, item);
  const machineId = read.nonEmptyText('machineId');
  read.expectKey(scopedKey(providerName, machineId));
  const returnRequestId = read.optionalText('returnRequestId');
  const cloudHostId = read.optionalText('cloudHostId');
  const noticeKind = read.optionalOneOf('noticeKind', NOTICE_KINDS);
  const noticeDeadline = read.optionalNumber('noticeDeadline');
  if (noticeKind === undefined && noticeDeadline !== undefined) throw read.corrupt('noticeKind');
  const notice: LifecycleNotice | undefined =
    noticeKind === undefined ? undefined : noticeDeadline === undefined ? { kind: noticeKind } : { kind: noticeKind, deadline: noticeDeadline };
  return {
    machineId,
    requestId: read.text('requestId'),
    templateId: read.text('templateId'),
    providerApi: read.matching('providerApi', PROVIDER_API_PATTERN),
    ...(returnRequestId === undefined ? {} : { returnRequestId }),
    name: read.text('name'),
    privateIpAddress: read.text('privateIpAddress'),
    publicIpAddress: read.text('publicIpAddress'),
    launchTime: read.number('launchTime'),
    status: read.oneOf('status', MACHINE_STATES),
    result: read.oneOf('result', RESULTS),
    message: read.text('message'),
    priceType: read.oneOf('priceType', PRICE_TYPES),
    instanceType: read.text('instanceType'),
    instanceTags: read.text('instanceTags'),
    ...(cloudHostId === undefined ? {} : { cloudHostId }),
    weight: read.positive('weight'),
    gone: read.boolean('gone'),
    ...(notice === undefined ? {} : { notice }),
    createdAt: read.number(SORT_ATTRIBUTE),
    updatedAt: read.number('updatedAt'),
    version: read.count('version'),
  };
}
