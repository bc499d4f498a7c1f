import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';

/**
 * The narrow Auto Scaling client the provider depends on: only `send`. Tests hand in a fake
 * `{ send: async (command) => … }`; the app builds a real one with {@link createAutoScalingClient}.
 */
export type AutoScalingClientLike = Pick<AutoScalingClient, 'send'>;

export interface AutoScalingClientOptions {
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
 * Builds the Auto Scaling client for one region. Timeouts are bounded so that one HF call (tens
 * of seconds) never hangs on an unreachable endpoint.
 */
export function createAutoScalingClient(options: AutoScalingClientOptions): AutoScalingClient {
  return new AutoScalingClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    // Object form of NodeHttpHandler's options, so no direct @smithy/node-http-handler dependency.
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
