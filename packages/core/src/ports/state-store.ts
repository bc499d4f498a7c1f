import { portToken, type Token } from './token';
import type { Machine } from '../domain/machine/machine';
import type { Request, RequestKind, RequestStatus } from '../domain/request/request';

/** Which requests `listRequests` returns; every field narrows, none means all. */
export interface RequestQuery {
  readonly kind?: RequestKind;
  readonly statuses?: readonly RequestStatus[];
  readonly templateId?: string;
  /** Only requests not closed yet (`closedAt` unset): running ones, and ended ones still holding something. */
  readonly open?: boolean;
}

/** Machines matching any of the given keys (a union); an empty query matches nothing. */
export interface MachineQuery {
  readonly machineIds?: readonly string[];
  readonly names?: readonly string[];
  readonly requestIds?: readonly string[];
  readonly returnRequestIds?: readonly string[];
  /** Every machine HF holds or may hold (result not `fail`, not returned, not gone). */
  readonly held?: boolean;
}

/** One atomic write: records with version 0 are inserted, others updated if their version matches. */
export interface StateChanges {
  readonly requests?: readonly Request[];
  readonly machines?: readonly Machine[];
}

/** What `write` stored. */
export interface StoredChanges {
  /** The written records with their new versions. */
  readonly requests: readonly Request[];
  readonly machines: readonly Machine[];
}

/**
 * What a template's `maxNumber` is measured against, read from live-only indexes (its cost never
 * grows with history): the machines that count against it and the running acquire requests.
 */
export interface TemplateLoad {
  readonly templateId: string;
  /** Machines of the template that count against its maxNumber (see `countsAgainstQuota`). */
  readonly machines: readonly Machine[];
  /** The template's running acquire requests. */
  readonly requests: readonly Request[];
  /** Every machine of those requests, whatever its state (for their shortfall). */
  readonly requestMachines: readonly Machine[];
}

/**
 * Durable state of one provider instance (HF_PROVIDER_NAME): requests, machines and a small
 * cache. Every write is versioned: a record read at version n can only be written back as n+1,
 * so two processes updating the same record cannot lose each other's change.
 *
 * Errors: `CONFLICT` (transient) when a version does not match or an inserted id exists;
 * `STORAGE_ERROR` when the store cannot be read or written. A failed `write` changes nothing.
 */
export interface StateStore {
  /** Atomic, all-or-nothing. Not idempotent (a replay conflicts on versions). */
  write(changes: StateChanges): Promise<StoredChanges>;
  /** The requests with these ids that exist, in the given order. Read-only. */
  getRequests(requestIds: readonly string[]): Promise<Request[]>;
  /** Requests matching the query, oldest first. Read-only. */
  listRequests(query: RequestQuery): Promise<Request[]>;
  /** Machines matching the query, each once, by creation time. Read-only. */
  getMachines(query: MachineQuery): Promise<Machine[]>;
  /** The load of each template, in the given order. Read-only. */
  loadOf(templateIds: readonly string[]): Promise<TemplateLoad[]>;
  /**
   * Inserts a new acquire request (version 0) when `accepts` approves the load of its template,
   * read in the same atomic step as the insert: of concurrent admissions for one template each
   * sees every request admitted before it, so exactly those that fit are admitted. Returns the
   * stored request, or undefined when refused (nothing written). `accepts` must be synchronous
   * and free of side effects (it may run more than once). `CONFLICT` when the id exists.
   */
  admit(request: Request, accepts: (load: TemplateLoad) => boolean): Promise<Request | undefined>;
  /**
   * Takes the lease `name` for `holder` until `until` (epoch ms) when nobody holds it at `now`.
   * True when taken. Atomic across processes; a lease is never given back early.
   */
  takeLease(name: string, holder: string, until: number, now: number): Promise<boolean>;
  /** A cached value, or undefined when absent or expired at `now` (epoch ms). */
  getCached(key: string, now: number): Promise<string | undefined>;
  /** Sets a cached value until `expiresAt` (epoch ms). Idempotent. */
  putCached(key: string, value: string, expiresAt: number): Promise<void>;
  /** Releases the connection. Idempotent. */
  /**
   * Retention: deletes requests closed (`closedAt`) before `closedBefore` (epoch ms), with the
   * machines they launched, at most `limit` requests a call. A request that is not closed (it
   * may still hold a live machine) is never deleted. Returns what was deleted; a store whose
   * records expire by themselves (DynamoDB TTL) may delete nothing and say so in `expiresItself`.
   */
  purge(closedBefore: number, limit: number): Promise<PurgeResult>;
  /**
   * What an operator's health check should know about the store itself (a file's schema version,
   * tables with their backup and expiry state). Optional: a store without it is checked by a
   * read and a write only. Read-only.
   */
  inspect?(): Promise<StoreInspection>;
  /** Releases the store's resources (file handles, clients). Idempotent. */
  close(): Promise<void>;
}
/** The injection token of {@link StateStore}. */
export const StateStore: Token<StateStore> = portToken<StateStore>('StateStore');

/** What `inspect` tells an operator about the store. */
export interface StoreInspection {
  /** One line: what the store is and its state (`SQLite /w/awsinst.db, schema 4, 120 KiB`). */
  readonly summary: string;
  /** Settings that are not as configured or advisable (PITR off although backup_enabled, TTL off). */
  readonly warnings: readonly string[];
}

/** What `purge` removed. */
export interface PurgeResult {
  readonly requests: number;
  readonly machines: number;
  /** True when the store expires closed records itself (DynamoDB TTL) and purge deletes nothing. */
  readonly expiresItself?: boolean;
}
