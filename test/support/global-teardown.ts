import type { RunningDynamoDbLocal } from '../../local/dynamodb-local';

/** Stops the DynamoDB Local that global-setup started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal__?: RunningDynamoDbLocal }).__dynamoDbLocal__?.stop();
}
