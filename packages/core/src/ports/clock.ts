/** Time source. */
export interface Clock {
  /** Milliseconds since the epoch. Never throws. */
  now(): number;
}
export const Clock = Symbol.for('open-hostfactory.Clock');

export const systemClock: Clock = { now: () => Date.now() };
