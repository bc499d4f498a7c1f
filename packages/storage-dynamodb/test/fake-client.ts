// A fake `{ send }` for unit tests: records every command and answers with a handler.
import type { DynamoDbClientLike } from '../src/dynamo-db-client';

export interface SentCommand {
  /** The command's class name without `Command` (`PutItem`, `CreateTable`…). */
  readonly action: string;
  readonly input: Record<string, unknown>;
}

export type Handler = (action: string, input: Record<string, unknown>, calls: readonly SentCommand[]) => unknown;

export interface FakeClient {
  readonly client: DynamoDbClientLike;
  readonly calls: SentCommand[];
  /** Actions in call order. */
  actions(): string[];
}

export function fakeClient(handler: Handler): FakeClient {
  const calls: SentCommand[] = [];
  const send = async (command: { input: unknown; constructor: { name: string } }): Promise<unknown> => {
    const action = command.constructor.name.replace(/Command$/, '');
    const input = command.input as Record<string, unknown>;
    calls.push({ action, input });
    return handler(action, input, calls);
  };
  return {
    client: { send } as unknown as DynamoDbClientLike,
    calls,
    actions: () => calls.map((c) => c.action),
  };
}

/** An error shaped like the SDK's service exceptions. */
export function awsError(name: string, message = name, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'req-aws-1' },
    ...extra,
  });
}

/** A DescribeTable answer for a table made exactly as `createTableInput` asks. */
export function describedAs(input: Record<string, unknown>, status = 'ACTIVE'): unknown {
  const gsis = (input['GlobalSecondaryIndexes'] as Record<string, unknown>[] | undefined)?.map((gsi) => ({
    ...gsi,
    IndexStatus: status,
  }));
  return {
    Table: {
      TableName: input['TableName'],
      TableStatus: status,
      KeySchema: input['KeySchema'],
      AttributeDefinitions: input['AttributeDefinitions'],
      ...(gsis ? { GlobalSecondaryIndexes: gsis } : {}),
    },
  };
}
