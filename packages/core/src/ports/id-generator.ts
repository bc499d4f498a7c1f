import { portToken, type Token } from './token';
/** Makes request ids. */
export interface IdGenerator {
  /** A new unique id starting with `prefix` (`req-` or `ret-`). Never throws. */
  next(prefix: 'req-' | 'ret-'): string;
}
/** The injection token of {@link IdGenerator}. */
export const IdGenerator: Token<IdGenerator> = portToken<IdGenerator>('IdGenerator');
