import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDynamoDbClient, optionalEnv, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { log } from './http';
import { createRouter } from './routes';

// Read configuration and create the client once per container, outside the handler.
const router = createRouter(
  createCounterStore({
    // Give up on a hung connection well inside the function's 10 s timeout, so the caller gets
    // this handler's JSON 503 with a request id rather than API Gateway's bare timeout.
    client: createDynamoDbClient({
      endpoint: optionalEnv('DYNAMODB_ENDPOINT'),
      maxAttempts: 3,
      requestTimeoutMs: 2_000,
    }),
    tableName: requireEnv('TABLE_NAME'),
  }),
);

/** API Gateway HTTP API (payload format 2.0) entry point; logs one structured line per request. */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  const response = await router(event, context.awsRequestId);
  log('info', 'request', {
    requestId: context.awsRequestId,
    apiRequestId: event.requestContext.requestId,
    method: event.requestContext.http.method,
    path: event.rawPath,
    status: response.statusCode,
    latencyMs: Math.round(performance.now() - started),
  });
  return response;
}
