export { awsClientConfig, createAwsClient, endpointUrl, handlerAgents, operationOf } from './client-config';
export type { AwsClientOptions, AwsRequestObserver, DescribeRetry, HandlerAgents, SdkClientConfig, Sender } from './client-config';
export { awsErrorCode, classifyAwsError, mapAwsError } from './errors';
export type { AwsFailure, AwsFailureKind, ServiceCodes } from './errors';
export { allItems, allPages, MAX_PAGES } from './paginate';
export { idsIn, withoutUnknownIds } from './batch';
export { bypassesProxy, loadProxyAgents, proxyAgents, proxyFor } from './proxy';
export type { ProxySettings } from './proxy';
