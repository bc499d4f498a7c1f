import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * The narrow EC2 client the adapters depend on: only `send`. Tests hand in a fake
 * `{ send: async (command) => … }`; the app builds a real one with {@link createEc2Client}.
 */
export type Ec2Client = Pick<EC2Client, 'send'>;

export interface Ec2ClientOptions {
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
 * The client configuration every SDK client of this package shares (EC2, SSM, SQS): region,
 * endpoint, attempts, profile or credentials, and bounded timeouts so that one HF call (tens of
 * seconds) never hangs on an unreachable endpoint. The request handler is given in its object
 * form (the SDK builds NodeHttpHandler from it), so no direct @smithy dependency is needed.
 */
export function sdkClientConfig(options: Ec2ClientOptions): {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    throwOnRequestTimeout: boolean;
    httpAgent?: { maxSockets: number };
    httpsAgent?: { maxSockets: number };
  };
} {
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 20000,
      // Without it the handler only warns when a request outlives requestTimeout: a stalled
      // endpoint would hold the call until HF kills it.
      throwOnRequestTimeout: true,
      // The handler's agents keep connections alive; this bounds their sockets.
      ...(options.maxSockets ? { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } : {}),
    },
  };
}

/** Builds the EC2 client for one region (see {@link sdkClientConfig}). */
export function createEc2Client(options: Ec2ClientOptions): EC2Client {
  return new EC2Client(sdkClientConfig(options));
}

/** The SSM client of a region, for resolving `imageId` parameters; same options as EC2's. */
export function createSsmClient(options: Ec2ClientOptions): SSMClient {
  return new SSMClient(sdkClientConfig(options));
}
