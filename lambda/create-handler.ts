import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createEdgeCache, DEFAULT_EDGE_CACHE_BYTES } from '../core/edge-cache';
import { DeadlineExceededError } from '../core/errors';
import { answerWithin, DEFAULT_DEADLINE_MS, invocationDeadlineMs } from './deadline';
import { errorResponse, type Logger, log } from './http';
import type { PageSignIn } from './page-sign-in';
import { type RecordRequest, routeName } from './request-metrics';
import { finishResponse } from './response-encoding';
import { type ApiReader, createRouter } from './routes';
import { createUsagePage, USAGE_PAGE } from './usage-page';

/** What the handler is built from: the store it reads and, optionally, where its logs and metrics go. */
export interface HandlerOptions {
  /** The counters to answer from: `createCounterStore(...)` from core/, or a fake in tests. */
  store: ApiReader;
  /**
   * Structured log lines; defaults to `log` (one JSON line on stdout/stderr). The Lambda passes
   * Powertools Logger behind this same function type (lambda/observability.ts).
   */
  logger?: Logger;
  /** Receives each request's route, status and latency; the Lambda passes Powertools Metrics. */
  recordRequest?: RecordRequest;
  /** How the usage page signs people in when the API wants a token from browsers (`-c auth=jwt`). */
  pageSignIn?: PageSignIn;
  /**
   * The base path of a custom domain's API mapping (`/counts`), checked by `parseBasePath`; the
   * Lambda entry reads it from `BASE_PATH`. A named stage's segment is removed without it.
   */
  basePath?: string;
  /**
   * Answer 503 (with `retry-after` and the request id) when the store has not answered within this
   * time; default 4 s, and always 1 s inside the function's remaining time.
   */
  deadlineMs?: number;
  /**
   * Bytes of edge-hour time index reads kept in the container (core/edge-cache.ts), validated by
   * each request's own counter Query; default 16 MiB, 0 turns the cache off. Used only with a store
   * that has `readHourIndex` (the DynamoDB store).
   */
  edgeCacheBytes?: number;
}

/**
 * `store` with an edge cache of `edgeCacheBytes` (0: `store` itself), one per handler and so per
 * container; also for callers that build a router without a handler. The reader inherits from
 * `store` rather than copying it, so its methods are looked up at each call.
 *
 * @throws RangeError when `edgeCacheBytes` is not a whole number >= 0.
 */
export function withEdgeCache(store: ApiReader, edgeCacheBytes: number): ApiReader {
  if (edgeCacheBytes === 0) return store;
  const edgeCache = createEdgeCache(edgeCacheBytes);
  if (store.readHourIndex === undefined) return store;
  return Object.assign(Object.create(store) as ApiReader, { edgeCache });
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
export function createHandler({
  store,
  logger = log,
  recordRequest,
  pageSignIn,
  basePath,
  deadlineMs = DEFAULT_DEADLINE_MS,
  edgeCacheBytes = DEFAULT_EDGE_CACHE_BYTES,
}: HandlerOptions): ApiHandler {
  const page = pageSignIn === undefined ? USAGE_PAGE : createUsagePage(pageSignIn);
  const router = createRouter(withEdgeCache(store, edgeCacheBytes), logger, page, { basePath });
  return async (event, context) => {
    const started = performance.now();
    const deadline = invocationDeadlineMs(deadlineMs, context);
    const response = await answerWithin(router(event, context.awsRequestId), deadline, () =>
      finishResponse(
        errorResponse(new DeadlineExceededError(deadline), context.awsRequestId, logger),
        event.headers?.['accept-encoding'],
      ),
    );
    const latencyMs = Math.round(performance.now() - started);
    const route = routeName(event.rawPath);
    const status = response.statusCode ?? 200;
    logger('info', 'request', {
      requestId: context.awsRequestId,
      // Optional: an event of another payload format (answered 500 by the router) lacks them.
      apiRequestId: event.requestContext?.requestId,
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      route,
      status,
      latencyMs,
    });
    recordRequest?.({ route, status, latencyMs });
    return response;
  };
}
