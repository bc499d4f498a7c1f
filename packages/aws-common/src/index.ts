// Public API of @open-hostfactory/aws-common: what the adapters and the app use. Explicit re-exports only.
export { createAwsClient } from './client-config';
export type { AwsClientOptions, AwsCredentials, AwsRequestObserver, DescribeRetry, Sender } from './client-config';
export { awsErrorCode, classifyAwsError, mapAwsError } from './errors';
export type { ServiceCodes } from './errors';
export { apiShape } from './api-shape';
export { allItems } from './paginate';
export { chunk, idsIn, unique, withoutUnknownIds } from './batch';
export { loadProxyAgents } from './proxy';
export type { ProxySettings } from './proxy';
