import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { THROTTLING_ERROR_NAMES } from './retry';

/**
 * Calls `onThrottled` with the operation each time DynamoDB throttles one of `client`'s attempts
 * (at the SDK boundary, like core/store-errors.ts: nothing above it looks at SDK error names),
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
        if (error instanceof Error && THROTTLING_ERROR_NAMES.has(error.name)) {
          onThrottled(String(context.commandName).replace(/Command$/, ''));
        }
        throw error;
      }
    },
    // Inside the retry middleware (priority high in the same step), so every attempt passes here.
    { step: 'finalizeRequest', priority: 'low', name: 'watchThrottledAttempts' },
  );
}
