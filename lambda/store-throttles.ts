import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// What DynamoDB answers when it throttles a request (the SDK retries each of them).
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * Calls `onThrottled` with the operation each time DynamoDB throttles one of `client`'s attempts,
 * those the SDK then retries successfully included. This is the API's own throttling signal: the
 * table's `ThrottledRequests` metric also counts a load's throttles, which the loader retries by
 * design and which must not page the API's on-call.
 */
export function watchThrottledAttempts(
  client: DynamoDBClient,
  onThrottled: (operation: string) => void,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && THROTTLING_ERRORS.has(error.name)) {
          onThrottled(String(context.commandName).replace(/Command$/, ''));
        }
        throw error;
      }
    },
    // Inside the retry middleware (priority high in the same step), so every attempt passes here.
    { step: 'finalizeRequest', priority: 'low', name: 'watchThrottledAttempts' },
  );
}
