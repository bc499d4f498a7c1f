export { FakeAwsClient, awsError } from './fake-aws-client';
export type { AnySender, CommandClass, CommandHandler, FallbackHandler, SentCommand } from './fake-aws-client';
