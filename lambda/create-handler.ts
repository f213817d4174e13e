import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Logger, log } from './http';
import { type ApiReader, createRouter } from './routes';

/** What the handler is built from: the store it reads and, optionally, where its log lines go. */
export interface HandlerOptions {
  /** The counters to answer from: `createCounterStore(...)` from core/, or a fake in tests. */
  store: ApiReader;
  /** Structured log lines; defaults to `log` (stdout/stderr, which CloudWatch collects). */
  logger?: Logger;
}

/** An API Gateway HTTP API (payload format 2.0) Lambda handler. */
export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Builds the API's Lambda handler from its parts: it routes each event over `store` and logs one
 * structured line per request. The Lambda entry (api-handler.ts), the local server and the tests
 * all build it this way, each from a store of their choosing.
 */
export function createHandler({ store, logger = log }: HandlerOptions): ApiHandler {
  const router = createRouter(store, logger);
  return async (event, context) => {
    const started = performance.now();
    const response = await router(event, context.awsRequestId);
    logger('info', 'request', {
      requestId: context.awsRequestId,
      apiRequestId: event.requestContext.requestId,
      method: event.requestContext.http.method,
      path: event.rawPath,
      status: response.statusCode,
      latencyMs: Math.round(performance.now() - started),
    });
    return response;
  };
}
