import type { Token } from '@open-hostfactory/core';
import type { Container, ServiceIdentifier } from 'inversify';

/** A class (abstract or not) whose instances are of type T. */
type ClassOf<T> = abstract new (...args: never[]) => T;

/** Where a value of type T is resolved from: a port's typed token, or a class bound as itself. */
export type Source<T> = Token<T> | ClassOf<T>;

/** One source per constructor parameter, in order, each of that parameter's type. */
export type Sources<A extends readonly unknown[]> = { readonly [K in keyof A]: Source<A[K]> };

/**
 * Binds `id` to `new make(...)` of the resolved `sources`, once per container. Each source is
 * checked against its constructor parameter at compile time: a token of another port, a missing
 * one or two swapped ones do not compile. The parameter list is written once (the sources).
 */
export function bindClass<T, A extends unknown[]>(
  container: Container,
  id: Source<T>,
  make: new (...args: A) => T,
  sources: NoInfer<Sources<A>>,
): void {
  container
    .bind<T>(id as ServiceIdentifier<T>)
    .toResolvedValue((...args: unknown[]) => new make(...(args as A)), sources as unknown as ServiceIdentifier[]);
}

/** Binds the port `id` to `value`, which must be of the port's type. */
export function bindValue<T>(container: Container, id: Token<T>, value: T): void {
  container.bind<T>(id).toConstantValue(value);
}

/** Binds the port `id` to what `make` builds from the resolved `sources` (each checked as in {@link bindClass}). */
export function bindFactory<T, A extends unknown[]>(container: Container, id: Token<T>, make: (...args: A) => T, sources: NoInfer<Sources<A>>): void {
  container.bind<T>(id).toResolvedValue((...args: unknown[]) => make(...(args as A)), sources as unknown as ServiceIdentifier[]);
}

/** The value bound to `id`, typed by the token or class. */
export function resolve<T>(container: Container, id: Source<T>): Promise<T> {
  return container.getAsync<T>(id as ServiceIdentifier<T>);
}
