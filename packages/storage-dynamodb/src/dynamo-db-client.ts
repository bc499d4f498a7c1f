import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The narrow DynamoDB client the store depends on: only `send`. Tests hand in a fake
 * `{ send: async (command) => … }`; the app builds a real one with {@link createDynamoDbClient}.
 */
export type DynamoDbClientLike = Pick<DynamoDBClient, 'send'>;

export interface DynamoDbClientOptions {
  readonly region: string;
  /** Another endpoint (moto_server in tests, a VPC endpoint in production). */
  readonly endpoint?: string;
  /** SDK attempts per call, retries included (SDK default 3). */
  readonly maxAttempts?: number;
  /** TCP connect timeout, ms (default 5000). */
  readonly connectionTimeoutMs?: number;
  /** Socket idle timeout per request, ms (default 20000). */
  readonly requestTimeoutMs?: number;
  /** Sockets per endpoint (keep-alive; SDK default 50): AWS_CONNECTION_POOL_SIZE. */
  readonly maxSockets?: number;
  /** A named profile of the shared AWS config files. */
  readonly profile?: string;
  /** Explicit credentials (tests against moto); otherwise the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/**
 * Builds the DynamoDB client for one region. Timeouts are bounded so that one HF call (tens of
 * seconds) never hangs on an unreachable endpoint. The caller owns it (`client.destroy()`).
 */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    // Object form of NodeHttpHandler's options (the SDK builds the handler from it), so this
    // package needs no direct dependency on @smithy/node-http-handler.
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 20000,
      // Without it the handler only warns when a request outlives requestTimeout: a stalled
      // endpoint would hold the call until HF kills it.
      throwOnRequestTimeout: true,
      // The handler's agents keep connections alive; this bounds their sockets.
      ...(options.maxSockets ? { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } : {}),
    },
  });
}
