import type { Ec2Client } from '../src/ec2-client';

/** A command as the fake sees it: the SDK command class name and its input. */
export interface SentCommand {
  readonly name: string;
  readonly input: any;
}

type Handler = (input: any, call: number) => unknown;

/**
 * A fake `{ send }`: answers each command class (`RunInstancesCommand`…) with a handler and
 * records every call. A command without a handler answers `{}`.
 */
export class FakeEc2Client implements Ec2Client {
  readonly sent: SentCommand[] = [];
  private readonly handlers = new Map<string, Handler>();

  on(commandName: string, handler: Handler): this {
    this.handlers.set(commandName, handler);
    return this;
  }

  calls(commandName: string): any[] {
    return this.sent.filter((command) => command.name === commandName).map((command) => command.input);
  }

  send = (async (command: { input: unknown; constructor: { name: string } }): Promise<unknown> => {
    const name = command.constructor.name;
    this.sent.push({ name, input: command.input });
    const handler = this.handlers.get(name);
    if (!handler) return {};
    const result = handler(command.input, this.calls(name).length);
    return result instanceof Promise ? await result : result;
  }) as unknown as Ec2Client['send'];
}

/** An SDK-like service error (`name` is the AWS code). */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  const error = new Error(message) as Error & { $metadata: unknown; $fault: string };
  error.name = name;
  error.$metadata = { httpStatusCode, requestId: 'aws-req-1' };
  error.$fault = httpStatusCode >= 500 ? 'server' : 'client';
  return error;
}
