declare const portType: unique symbol;

/**
 * The injection token of a port: a `Symbol.for('open-hostfactory.<Name>')` that carries the
 * port's interface type, so that typed wiring (the app's `bindClass`) refuses, at compile time, a
 * token where another port is expected. At run time it is just the symbol.
 */
export type Token<T> = symbol & { readonly [portType]?: T };

/** The token of the port named `name`: `Symbol.for('open-hostfactory.<name>')`, typed as `Token<T>`. */
export function portToken<T>(name: string): Token<T> {
  return Symbol.for(`open-hostfactory.${name}`) as Token<T>;
}
