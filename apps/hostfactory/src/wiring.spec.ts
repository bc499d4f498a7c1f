import { Clock, Logger, portToken, silentLogger, systemClock, type Token } from '@open-hostfactory/core';
import { Container } from 'inversify';
import { bindClass, bindFactory, bindValue, resolve } from './wiring';

class Greeter {
  constructor(
    readonly clock: Clock,
    readonly logger: Logger,
  ) {}
}

interface Greeting {
  readonly text: string;
}
const Greeting: Token<Greeting> = portToken<Greeting>('test.Greeting');

function container(): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  bindValue(c, Clock, systemClock);
  bindValue(c, Logger, silentLogger);
  return c;
}

describe('typed wiring', () => {
  it('bindClass builds the class from its sources, in order, once per container', async () => {
    const c = container();
    bindClass(c, Greeter, Greeter, [Clock, Logger]);
    const greeter = await resolve(c, Greeter);
    expect(greeter.clock).toBe(systemClock);
    expect(greeter.logger).toBe(silentLogger);
    expect(await resolve(c, Greeter)).toBe(greeter);
  });

  it('bindFactory and bindValue bind a port token to a value of its type', async () => {
    const c = container();
    bindFactory(c, Greeting, (clock: Clock) => ({ text: `at ${clock.now() > 0}` }), [Clock]);
    expect(await resolve(c, Greeting)).toEqual({ text: 'at true' });
  });
});

/**
 * Bindings that must not compile; `tsc` (the typecheck step of the test command) fails on an
 * unused `@ts-expect-error`, so each line proves a mistake is caught. Never called.
 */
export function wrongBindingsDoNotCompile(c: Container): void {
  // @ts-expect-error: two sources swapped
  bindClass(c, Greeter, Greeter, [Logger, Clock]);
  // @ts-expect-error: a source missing
  bindClass(c, Greeter, Greeter, [Clock]);
  // @ts-expect-error: a value of another port's type
  bindValue(c, Clock, silentLogger);
  // @ts-expect-error: a factory's sources do not match its parameters
  bindFactory(c, Greeting, (clock: Clock) => ({ text: String(clock.now()) }), [Logger]);
}
