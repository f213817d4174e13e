import { createDynamoDbClient, optionalEnv, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { createHandler } from './create-handler';

/**
 * The Lambda entry point (lib/event-counts-stack.ts bundles this file): reads its configuration
 * and creates the client once per container, outside the handler.
 */
export const handler = createHandler({
  store: createCounterStore({
    // Give up on a hung connection well inside the function's 10 s timeout, so the caller gets
    // the handler's JSON 503 with a request id rather than API Gateway's bare timeout.
    client: createDynamoDbClient({
      endpoint: optionalEnv('DYNAMODB_ENDPOINT'),
      maxAttempts: 3,
      requestTimeoutMs: 2_000,
    }),
    tableName: requireEnv('TABLE_NAME'),
  }),
});
