import { portToken, type Token } from './token';
/** Who holds a lease: this process's name, and whether the process another name stands for may still run. */
export interface ProcessIdentity {
  /** This process (e.g. `host:pid:start`). Never throws. */
  readonly self: string;
  /**
   * False only when the named process has certainly ended (e.g. it ran on this host and is gone),
   * so that its lease need not be waited out; true when it may still run or cannot be told.
   */
  mayBeAlive(holder: string): boolean;
}
/** The injection token of {@link ProcessIdentity}. */
export const ProcessIdentity: Token<ProcessIdentity> = portToken<ProcessIdentity>('ProcessIdentity');

/** Knows nothing of other processes: every lease is waited out. */
export const unknownProcess: ProcessIdentity = { self: 'unknown', mayBeAlive: () => true };
