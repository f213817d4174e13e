import { createServer } from 'node:net';
import { startDynamoDbLocal } from '../../local/dynamodb-local';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

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
