import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { watchThrottledAttempts } from '../../core/store-throttles';

/** A client whose HTTP layer answers each attempt with the next of `answers` (a DynamoDB error type, or OK). */
function clientAnswering(answers: string[]): DynamoDBClient {
  const remaining = [...answers];
  return new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: 'http://dynamodb.invalid',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3, // the SDK's backoff before a retried throttle makes the first test take a few seconds
    requestHandler: {
      handle: async () => {
        const answer = remaining.shift() ?? 'OK';
        const ok = answer === 'OK';
        const body = ok
          ? '{}'
          : JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer}`, message: answer });
        return {
          response: {
            statusCode: ok ? 200 : 400,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
    },
  });
}

const getItem = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } });

describe('watchThrottledAttempts', () => {
  it('reports every throttled attempt, also those the SDK then retries successfully', async () => {
    const client = clientAnswering(['ProvisionedThroughputExceededException', 'ThrottlingException', 'OK']);
    const throttled: string[] = [];
    watchThrottledAttempts(client, (operation) => throttled.push(operation));

    await client.send(getItem);

    expect(throttled).toEqual(['GetItem', 'GetItem']);
  }, 20_000);

  it('reports nothing for other errors', async () => {
    const client = clientAnswering(['ResourceNotFoundException']);
    const throttled: string[] = [];
    watchThrottledAttempts(client, (operation) => throttled.push(operation));

    await expect(client.send(getItem)).rejects.toThrow('ResourceNotFoundException');

    expect(throttled).toEqual([]);
  });
});
