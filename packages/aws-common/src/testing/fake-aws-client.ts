import { operationOf } from '../client-config';

/** Any SDK client's `send` (overloaded in the SDK; a fake answers all of them). */
export interface AnySender {
  send(...args: any[]): Promise<any>;
}

/** A command as the fake saw it: its class name (`RunInstancesCommand`), operation (`RunInstances`) and input. */
export interface SentCommand {
  readonly name: string;
  readonly action: string;
  readonly input: any;
}

/** Answers one command: its input and how many of that command came before, this one included. */
export type CommandHandler<I = any> = (input: I, call: number) => unknown;

/** Answers any command without its own handler. */
export type FallbackHandler = (action: string, input: any, sent: readonly SentCommand[]) => unknown;

/** An SDK command class, for typed handlers: `on(RunInstancesCommand, (input) => …)` types `input`. */
export type CommandClass<I> = abstract new (input: I) => { readonly input: I };

/**
 * The one fake AWS client of the adapters' unit tests: a `{ send }` typed as the client `C` it
 * stands in for, answering each command with its handler (by class, or by class name), else the
 * fallback, else `{}`, and recording every command sent. A handler that throws (see
 * {@link awsError}) fails the call as the SDK would.
 */
export class FakeAwsClient<C extends object = AnySender> {
  readonly sent: SentCommand[] = [];
  private readonly handlers = new Map<string, CommandHandler>();
  private fallback: FallbackHandler | undefined;

  on(command: string, handler: CommandHandler): this;
  on<I>(command: CommandClass<I>, handler: CommandHandler<I>): this;
  on(command: CommandClass<unknown> | string, handler: CommandHandler): this {
    this.handlers.set(typeof command === 'string' ? command : command.name, handler);
    return this;
  }

  /** The handler of every command that has none of its own. */
  otherwise(handler: FallbackHandler): this {
    this.fallback = handler;
    return this;
  }

  /** Inputs of every `commandName` sent (`'RunInstancesCommand'` or the class), in order. */
  calls(command: CommandClass<unknown> | string): any[] {
    const name = typeof command === 'string' ? command : command.name;
    return this.sent.filter((sent) => sent.name === name).map((sent) => sent.input);
  }

  /** Command class names in the order sent. */
  names(): string[] {
    return this.sent.map((sent) => sent.name);
  }

  /** Operations (`PutItem`…) in the order sent. */
  actions(): string[] {
    return this.sent.map((sent) => sent.action);
  }

  /** The fake as the client it stands in for. */
  get client(): C {
    return this as unknown as C;
  }

  readonly send = (async (command: { input: unknown; constructor: { name: string } }): Promise<unknown> => {
    const name = command.constructor.name;
    this.sent.push({ name, action: operationOf(command), input: command.input });
    const handler = this.handlers.get(name);
    if (handler) return await handler(command.input, this.calls(name).length);
    if (this.fallback) return await this.fallback(operationOf(command), command.input, this.sent);
    return {};
  }) as unknown as C extends { send: infer S } ? S : never;
}

/** An error shaped like the SDK's service exceptions (`name` is the AWS code). */
export function awsError(name: string, message = name, httpStatusCode = 400, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'aws-req-1' },
    ...extra,
  });
}
