import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { HostFactoryError, isHostFactoryError, systemClock, type Clock, type LifecycleNotice } from '@open-hostfactory/core';
import { chunk } from '@open-hostfactory/aws-common';
import { awsErrorCode, mapEc2Error } from './errors';

/**
 * The narrow SQS client {@link Ec2EventNotices} depends on: only `send`. Tests hand in a fake
 * `{ send }`; the app builds a real one with `createSqsClient`.
 */
export type SqsClient = Pick<SQSClient, 'send'>;

/** EventBridge detail-types this reads. */
export const REBALANCE_RECOMMENDATION = 'EC2 Instance Rebalance Recommendation';
export const SPOT_INTERRUPTION_WARNING = 'EC2 Spot Instance Interruption Warning';
/** Seconds between EC2's spot interruption warning and the interruption. */
const SPOT_WARNING_SEC = 120;
/** Most messages SQS returns / deletes in one call. */
export const SQS_BATCH = 10;
/** Messages one {@link Ec2EventNotices.receive} reads at most, by default. */
export const DEFAULT_MAX_MESSAGES = 100;
/** Age (by event time) after which a message nobody claimed is dropped, by default. */
export const DEFAULT_MAX_AGE_SEC = 3600;

export interface Ec2EventNoticesOptions {
  /** The queue the EventBridge rule (source aws.ec2, the two detail-types above) targets. */
  readonly queueUrl: string;
  readonly clock?: Clock;
  /** Messages one `receive()` reads at most, so an HF call never hangs on a long queue (default 100). */
  readonly maxMessages?: number;
  /**
   * Events older than this (seconds, by their `time`) that no describe claimed are deleted
   * anyway, so events about instances HF never holds (the rule sees the whole region) do not
   * pile up in the queue (default 3600).
   */
  readonly maxAgeSec?: number;
}

/**
 * What one `receive()` found: the notice per instance id, and `ack` to delete the messages
 * behind it once the caller has stored what they mean.
 */
export interface ReceivedNotices {
  readonly notices: ReadonlyMap<string, LifecycleNotice>;
  /**
   * Deletes from the queue the messages about `instanceIds` (the instances whose notices the
   * caller has taken in), plus the messages that carry nothing (unparseable, other
   * detail-types, too old). Messages about other instances stay in the queue: they become
   * visible again after the queue's visibility timeout (and this object still returns them
   * from its next `receive()`). Call it only AFTER the notices are persisted or handed on:
   * a deleted message is never delivered again. A failed delete only means the message comes
   * back later; notices are idempotent. Throws a HostFactoryError when SQS fails.
   */
  ack(instanceIds: readonly string[]): Promise<void>;
}

/** The part of {@link Ec2EventNotices} that `Ec2Instances` uses (fakes implement it in tests). */
export interface EventNoticeSource {
  receive(): Promise<ReceivedNotices>;
}

/** A received message: its notice (when it carries one) and how to delete it. */
interface PendingMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly instanceId?: string;
  readonly notice?: LifecycleNotice;
  /** Event time, epoch s (when known). */
  readonly time?: number;
}

/**
 * Reads EC2 lifecycle events that an EventBridge rule routes to an SQS queue: rebalance
 * recommendations (no deadline) and spot interruption warnings (deadline: event time + 120 s).
 * EC2 announces rebalance recommendations only this way (and in the instance metadata); spot
 * interruption warnings also show in the spot request status, but events come sooner.
 *
 * Polling is short (WaitTimeSeconds 0) and bounded to `maxMessages` per `receive()`. Messages
 * stay in the queue until `ack` deletes them, so a notice is never lost between reading it and
 * storing it. Received messages that were not acked are remembered for the life of this object
 * (one HF call): several describes in the same call (one per capacity shape, all sharing this
 * object) each see them, although SQS hides them for its visibility timeout.
 */
export class Ec2EventNotices implements EventNoticeSource {
  private readonly clock: Clock;
  private readonly maxMessages: number;
  private readonly maxAgeSec: number;
  /** Received, not yet deleted, by message id. */
  private readonly pending = new Map<string, PendingMessage>();

  /** The client, made on first use (`sqs` may be a factory, so that the SQS module loads only then). */
  private client?: Promise<SqsClient>;

  constructor(
    private readonly sqs: SqsClient | (() => SqsClient | Promise<SqsClient>),
    private readonly options: Ec2EventNoticesOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxMessages = Math.max(1, Math.floor(options.maxMessages ?? DEFAULT_MAX_MESSAGES));
    this.maxAgeSec = options.maxAgeSec ?? DEFAULT_MAX_AGE_SEC;
  }

  /**
   * Reads up to `maxMessages` messages (stopping early at an empty answer) and returns the
   * notice of each instance they name (an interruption warning wins over a rebalance
   * recommendation; of two warnings, the earlier deadline) with the `ack` that deletes them.
   * Deletes nothing by itself. Throws a HostFactoryError when SQS fails (a missing queue is a
   * PROVIDER_ERROR naming the queue URL; throttling THROTTLED).
   */
  async receive(): Promise<ReceivedNotices> {
    let received = 0;
    while (received < this.maxMessages) {
      const want = Math.min(SQS_BATCH, this.maxMessages - received);
      let page;
      try {
        const [sqs, { ReceiveMessageCommand }] = await Promise.all([this.sqsClient(), import('./sqs-client.js')]);
        page = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: 0,
          }),
        );
      } catch (error) {
        throw mapSqsError(error, 'ReceiveMessage', this.options.queueUrl);
      }
      const messages = page.Messages ?? [];
      for (const message of messages) this.remember(message);
      received += messages.length;
      if (messages.length === 0) break;
    }

    const nowSec = Math.floor(this.clock.now() / 1000);
    const snapshot = [...this.pending.values()];
    const notices = new Map<string, LifecycleNotice>();
    for (const message of snapshot) {
      if (!message.instanceId || !message.notice || this.tooOld(message, nowSec)) continue;
      const known = notices.get(message.instanceId);
      notices.set(message.instanceId, known ? strongerNotice(known, message.notice) : message.notice);
    }
    return {
      notices,
      ack: (instanceIds) => {
        const claimed = new Set(instanceIds);
        // Only messages this receive() saw, still undeleted (another ack may have taken some),
        // each with its newest receipt handle.
        const current = snapshot.flatMap((m) => this.pending.get(m.messageId) ?? []);
        return this.delete(current.filter((m) => !m.instanceId || !m.notice || claimed.has(m.instanceId) || this.tooOld(m, nowSec)));
      },
    };
  }

  private remember(message: Message): void {
    if (!message.ReceiptHandle) return;
    const messageId = message.MessageId ?? message.ReceiptHandle;
    // A message received again (its visibility timeout passed) keeps only its newest handle.
    this.pending.set(messageId, { messageId, receiptHandle: message.ReceiptHandle, ...parseEvent(message.Body, this.clock) });
  }

  private sqsClient(): Promise<SqsClient> {
    this.client ??= Promise.resolve(typeof this.sqs === 'function' ? this.sqs() : this.sqs);
    return this.client;
  }

  private tooOld(message: PendingMessage, nowSec: number): boolean {
    return message.time !== undefined && nowSec - message.time > this.maxAgeSec;
  }

  private async delete(messages: readonly PendingMessage[]): Promise<void> {
    for (const batch of chunk(messages, SQS_BATCH)) {
      try {
        // Failed entries are left alone: such a message comes back and is read again.
        const [sqs, { DeleteMessageBatchCommand }] = await Promise.all([this.sqsClient(), import('./sqs-client.js')]);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: batch.map((m, index) => ({ Id: String(index), ReceiptHandle: m.receiptHandle })),
          }),
        );
      } catch (error) {
        throw mapSqsError(error, 'DeleteMessageBatch', this.options.queueUrl);
      }
      for (const m of batch) this.pending.delete(m.messageId);
    }
  }
}

/** The stronger of two notices: an interruption over a recommendation; of two, the earlier deadline. */
export function strongerNotice(a: LifecycleNotice, b: LifecycleNotice): LifecycleNotice {
  if (a.kind !== b.kind) return a.kind === 'spot-interruption' ? a : b;
  if (a.deadline === undefined) return b;
  if (b.deadline === undefined) return a;
  return a.deadline <= b.deadline ? a : b;
}

/**
 * The instance and notice an EventBridge event (the SQS body, or an SNS envelope around it)
 * carries; `{}` for anything else.
 */
export function parseEvent(body: string | undefined, clock: Clock = systemClock): { instanceId?: string; notice?: LifecycleNotice; time?: number } {
  let event = parseJson(body);
  // EventBridge -> SNS -> SQS wraps the event in an SNS notification.
  if (event && event['Type'] === 'Notification' && typeof event['Message'] === 'string') {
    event = parseJson(event['Message']);
  }
  if (!event) return {};
  const parsedTime = typeof event['time'] === 'string' ? Date.parse(event['time']) : Number.NaN;
  const time = Number.isNaN(parsedTime) ? undefined : Math.floor(parsedTime / 1000);
  const detail = event['detail'];
  const instanceId =
    typeof detail === 'object' && detail !== null && typeof (detail as Record<string, unknown>)['instance-id'] === 'string'
      ? ((detail as Record<string, unknown>)['instance-id'] as string)
      : undefined;
  const base = time === undefined ? {} : { time };
  if (!instanceId) return base;
  switch (event['detail-type']) {
    case REBALANCE_RECOMMENDATION:
      return { ...base, instanceId, notice: { kind: 'rebalance-recommendation' } };
    case SPOT_INTERRUPTION_WARNING: {
      const noticed = time ?? Math.floor(clock.now() / 1000);
      return { ...base, instanceId, notice: { kind: 'spot-interruption', deadline: noticed + SPOT_WARNING_SEC } };
    }
    default:
      return { ...base, instanceId };
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const MISSING_QUEUE = new Set(['QueueDoesNotExist', 'NonExistentQueue']);
const SQS_PREFIX = 'AWS.SimpleQueueService.';

/**
 * SQS errors onto core's codes. The SDK's SQS errors carry the JSON name (`QueueDoesNotExist`)
 * and the query code (`AWS.SimpleQueueService.NonExistentQueue`); both are looked at.
 */
export function mapSqsError(error: unknown, action: string, queueUrl: string): HostFactoryError {
  if (isHostFactoryError(error)) return error;
  const name = error instanceof Error ? error.name : '';
  const codes = [awsErrorCode(error), name].map((code) => (code.startsWith(SQS_PREFIX) ? code.slice(SQS_PREFIX.length) : code));
  const rawMessage = error instanceof Error ? error.message : String(error);
  const details = { action, queueUrl, awsErrorCode: awsErrorCode(error) };
  if (codes.some((code) => MISSING_QUEUE.has(code))) {
    return new HostFactoryError(
      'PROVIDER_ERROR',
      `SQS ${action} failed: the event queue ${queueUrl} does not exist (check the configured queue URL and region): ${rawMessage}`,
      { cause: error, details },
    );
  }
  if (codes.some((code) => /Throttl/i.test(code))) {
    return new HostFactoryError('THROTTLED', `SQS ${action} on ${queueUrl} was throttled: ${rawMessage}`, { cause: error, details });
  }
  const mapped = mapEc2Error(error, action);
  return new HostFactoryError(mapped.code, `${mapped.message.replace(/^EC2 /, 'SQS ')} (queue ${queueUrl})`, {
    cause: error,
    details: { ...mapped.details, queueUrl },
    transient: mapped.transient,
  });
}
