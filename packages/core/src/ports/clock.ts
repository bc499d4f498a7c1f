import { portToken, type Token } from './token';
/** Time source. */
export interface Clock {
  /** Milliseconds since the epoch. Never throws. */
  now(): number;
}
/** The injection token of {@link Clock}. */
export const Clock: Token<Clock> = portToken<Clock>('Clock');

/** The system's clock (`Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };
