/** Makes request ids. */
export interface IdGenerator {
  /** A new unique id starting with `prefix` (`req-` or `ret-`). Never throws. */
  next(prefix: 'req-' | 'ret-'): string;
}
export const IdGenerator = Symbol.for('open-hostfactory.IdGenerator');
