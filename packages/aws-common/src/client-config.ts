import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { classifyAwsError } from './errors';
import { proxyAgents, type ProxySettings } from './proxy';

/** Credentials as the SDK takes them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/**
 * The settings every AWS SDK client of the plugin is built from (EC2, SSM, SQS, Auto Scaling,
 * DynamoDB): one place, so that a timeout, a proxy or a pool limit is the same on every client.
 */
export interface AwsClientOptions {
  readonly region: string;
  /** Another endpoint (moto_server in tests, a VPC endpoint in production). */
  readonly endpoint?: string | undefined;
  /** SDK attempts per request, retries included (SDK default 3): AWS_REQUEST_RETRY_ATTEMPTS + 1. */
  readonly maxAttempts?: number | undefined;
  /** TCP connect timeout, ms (default 5000). */
  readonly connectionTimeoutMs?: number | undefined;
  /** Socket idle timeout per request, ms (default 20000); it really fails the request. */
  readonly requestTimeoutMs?: number | undefined;
  /** Sockets per endpoint, kept alive (SDK default 50): AWS_CONNECTION_POOL_SIZE. */
  readonly maxSockets?: number | undefined;
  /** A named profile of the shared AWS config files. */
  readonly profile?: string | undefined;
  /** Explicit credentials (tests against moto), or a provider of them (AWS_CREDENTIAL_SCRIPT); otherwise the default provider chain. */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>) | undefined;
  /** The forward proxy to reach AWS through, and the hosts that bypass it. */
  readonly proxy?: ProxySettings | undefined;
  /** Told of every request's outcome and every throttled attempt (metrics). */
  readonly observer?: AwsRequestObserver | undefined;
}

/** What a client tells about its requests: one call per request (retries inside it not counted), one per throttled attempt. */
export interface AwsRequestObserver {
  /** `outcome`: `ok`, or the AWS error code of the final failure (a network code when there was no answer). */
  onRequest(event: { readonly operation: string; readonly outcome: string }): void;
  onThrottle(operation: string): void;
}

/** How Describe* requests retry (AWS_DESCRIBE_REQUEST_RETRY_ATTEMPTS, AWS_DESCRIBE_REQUEST_INTERVAL). */
export interface DescribeRetry {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Fixed wait between attempts, ms; 0 keeps the SDK's exponential backoff with jitter. */
  readonly intervalMs: number;
}

/** The part of an SDK client's configuration this package decides. */
export interface SdkClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  retryStrategy?: ConfiguredRetryStrategy;
  profile?: string;
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    throwOnRequestTimeout: boolean;
    httpAgent?: HttpAgent;
    httpsAgent?: HttpsAgent;
  };
}

/** The sockets of a client: through the proxy when one applies, bounded when a pool size is set. */
export interface HandlerAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/**
 * The agents for the service's endpoint: proxy agents when a proxy applies to it (see proxy.ts),
 * else kept-alive agents bounded to `maxSockets`, else undefined (the SDK's own agents). Shared
 * by every client built for one service, so the pool limit holds across them.
 */
export function handlerAgents(service: string, options: AwsClientOptions): HandlerAgents | undefined {
  const proxied = options.proxy ? proxyAgents(endpointUrl(service, options), options.proxy, options.maxSockets) : undefined;
  if (proxied) return proxied;
  if (!options.maxSockets) return undefined;
  const pool = { keepAlive: true, maxSockets: options.maxSockets };
  return { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
}

/**
 * The configuration of one SDK client of `service` (its endpoint prefix: `ec2`, `ssm`, `sqs`,
 * `autoscaling`, `dynamodb`). The request handler is given in its object form (the SDK builds
 * NodeHttpHandler from it); a proxy, when one applies to the service's endpoint, comes as the
 * handler's agents.
 */
export function awsClientConfig(
  service: string,
  options: AwsClientOptions,
  extra: { readonly describeRetry?: DescribeRetry; readonly agents?: HandlerAgents | undefined } = {},
): SdkClientConfig {
  const { describeRetry } = extra;
  const agents = 'agents' in extra ? extra.agents : handlerAgents(service, options);
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...retrySettings(options, describeRetry),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.credentials ? { credentials: typeof options.credentials === 'function' ? options.credentials : { ...options.credentials } } : {}),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 20000,
      // Without it the handler only warns when a request outlives requestTimeout: a stalled
      // endpoint would hold the call until HF kills it.
      throwOnRequestTimeout: true,
      ...(agents ? { httpAgent: agents.http, httpsAgent: agents.https } : {}),
    },
  };
}

/**
 * Attempts of a request: Describe* ones by `describeRetry` when given (a fixed interval, or the
 * SDK's exponential backoff with jitter when the interval is 0), others by `maxAttempts`. Either
 * way only what the SDK classifies as throttling or transient is retried.
 */
function retrySettings(options: AwsClientOptions, describeRetry: DescribeRetry | undefined): Pick<SdkClientConfig, 'maxAttempts' | 'retryStrategy'> {
  if (!describeRetry) return options.maxAttempts ? { maxAttempts: options.maxAttempts } : {};
  const attempts = describeRetry.retries + 1;
  return describeRetry.intervalMs > 0
    ? { retryStrategy: new ConfiguredRetryStrategy(attempts, describeRetry.intervalMs) }
    : { maxAttempts: attempts };
}

/** The URL the service's client talks to: the configured endpoint, else AWS's regional one. */
export function endpointUrl(service: string, options: Pick<AwsClientOptions, 'endpoint' | 'region'>): URL {
  if (options.endpoint) return new URL(options.endpoint);
  const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service}.${options.region}.${suffix}`);
}

/** The narrow `{ send }` of an SDK client: what every adapter depends on. */
export interface Sender {
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The operation a command runs (`DescribeInstances`), read off the command's schema or class. */
export function operationOf(command: unknown): string {
  const schema = (command as { schema?: unknown } | null)?.schema;
  if (Array.isArray(schema) && typeof schema[2] === 'string') return schema[2];
  const name = (command as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' ? name.replace(/Command$/, '') : '';
}

/**
 * One client of `service` whose Describe* requests retry as `describeRetry` says, and every
 * other request as `maxAttempts` says: `make(config)` builds an SDK client from a configuration.
 * When the two differ, a second SDK client serves Describe* requests, built on its first use,
 * on the same sockets (so the pool limit and the proxy hold across both). The returned value has
 * the main client's members; only `send` (and `destroy`) route.
 */
export function createAwsClient<C extends object>(
  make: (config: SdkClientConfig) => C,
  service: string,
  options: AwsClientOptions,
  describeRetry?: DescribeRetry,
): C {
  const agents = handlerAgents(service, options);
  const build = (config: SdkClientConfig): C => {
    const client = make(config);
    if (options.observer) observe(client, options.observer);
    return client;
  };
  const main = build(awsClientConfig(service, options, { agents }));
  const sameAsOthers = describeRetry && describeRetry.intervalMs === 0 && describeRetry.retries + 1 === (options.maxAttempts ?? 3);
  if (!describeRetry || sameAsOthers) return main;
  let describing: C | undefined;
  return new Proxy(main, {
    get(target, property, receiver): unknown {
      if (property === 'send') {
        return (command: never, sendOptions?: { abortSignal?: AbortSignal }) => {
          const client = operationOf(command).startsWith('Describe')
            ? (describing ??= build(awsClientConfig(service, options, { describeRetry, agents })))
            : target;
          return (client as unknown as Sender).send(command, sendOptions);
        };
      }
      if (property === 'destroy') {
        return () => {
          (describing as { destroy?: () => void } | undefined)?.destroy?.();
          (target as { destroy?: () => void }).destroy?.();
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareStackLike {
  add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: Record<string, unknown>): void;
}

/**
 * Two SDK middlewares on the client: around the whole request (retries inside), its outcome;
 * around each attempt's deserializer, whether AWS throttled it. Counting here, not in the
 * adapters, sees every request of every adapter.
 */
function observe(client: object, observer: AwsRequestObserver): void {
  const stack = (client as { middlewareStack?: MiddlewareStackLike }).middlewareStack;
  if (!stack) return;
  const operationOfContext = (context: { commandName?: string }): string => (context.commandName ?? '').replace(/Command$/, '');
  stack.add(
    (next, context) => async (args) => {
      const operation = operationOfContext(context);
      try {
        const output = await next(args);
        observer.onRequest({ operation, outcome: 'ok' });
        return output;
      } catch (error) {
        const failure = classifyAwsError(error);
        observer.onRequest({ operation, outcome: failure.awsCode || failure.networkCode || 'error' });
        throw error;
      }
    },
    { step: 'initialize', name: 'openHostfactoryRequestObserver', override: true },
  );
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (classifyAwsError(error).kind === 'throttled') observer.onThrottle(operationOfContext(context));
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'openHostfactoryThrottleObserver', override: true },
  );
}
