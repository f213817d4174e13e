import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { freePort } from './free-port';

/**
 * Starts one in-memory DynamoDB Local for the whole run, unless DYNAMODB_ENDPOINT points at one
 * already. Workers inherit the endpoint through the environment.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DYNAMODB_ENDPOINT) return;
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamoDbLocal__?: typeof dynamo }).__dynamoDbLocal__ = dynamo;
}
