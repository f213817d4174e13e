import { createDynamoDbClient, optionalEnv, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { watchThrottledAttempts } from '../core/store-throttles';
import { createHandler } from './create-handler';
import { createLambdaObservability } from './observability';
import { readPageSignIn } from './page-sign-in';
import { METRICS_NAMESPACE, SERVICE_NAME } from './request-metrics';
import { parseBasePath } from './routes';

// Powertools: JSON logs with cold start, request and trace ids; request metrics by route and status.
const observability = createLambdaObservability({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });

// Give up on a hung connection well inside the function's 10 s timeout, so the caller gets the
// handler's JSON 503 with a request id rather than API Gateway's bare timeout.
const client = createDynamoDbClient({
  endpoint: optionalEnv('DYNAMODB_ENDPOINT'),
  maxAttempts: 3,
  requestTimeoutMs: 2_000,
});
watchThrottledAttempts(client, observability.recordStoreThrottle);

/**
 * The Lambda entry point (lib/event-counts-stack.ts bundles this file): reads its configuration
 * and creates the client once per container, outside the handler.
 */
export const handler = observability.instrument(
  createHandler({
    store: createCounterStore({ client, tableName: requireEnv('TABLE_NAME') }),
    logger: observability.logger,
    recordRequest: observability.recordRequest,
    // Set by the stack with `-c auth=jwt`: the usage page then signs people in and sends a token.
    pageSignIn: readPageSignIn(),
    // A custom domain's API mapping key (e.g. counts), when the API is served under one.
    basePath: parseBasePath(optionalEnv('BASE_PATH')),
  }),
);
