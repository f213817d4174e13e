import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDynamoDbClient, optionalEnv, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { createRouter } from './routes';

// Read configuration and create the client once per container, outside the handler.
const router = createRouter(
  createCounterStore({
    client: createDynamoDbClient({ endpoint: optionalEnv('DYNAMODB_ENDPOINT') }),
    tableName: requireEnv('TABLE_NAME'),
  }),
);

/** API Gateway HTTP API (payload format 2.0) entry point. */
export function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  return router(event, context.awsRequestId);
}
