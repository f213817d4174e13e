import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CounterStore } from '../core/counter-store';
import { InvalidParameterError } from '../core/errors';
import type { CountReader, CustomerReader } from '../core/event-counts';
import { errorResponse, HttpError, jsonResponse, type Logger, log } from './http';
import { OPENAPI_DOCUMENT } from './openapi-document';
import { customerListBody, eventCountsBody, type QueryParams, totalEventsBody } from './response-bodies';
import { USAGE_PAGE, type UsagePage } from './usage-page';

/** Everything the API reads; the DynamoDB store provides it, tests may fake it. */
export type ApiReader = CountReader & CustomerReader & Pick<CounterStore, 'listCustomers'>;

const CUSTOMER_ROUTE = /^\/v1\/customers\/([^/]+)\/([a-z_]+)$/;

function decodeCustomerId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidParameterError(
      'customer_id',
      `customer_id is not valid URL encoding; received ${segment}`,
    );
  }
}

type Route = (query: QueryParams) => Promise<APIGatewayProxyStructuredResultV2>;

const OPENAPI_JSON = JSON.stringify(OPENAPI_DOCUMENT);

/** The route for a path, or undefined when none matches. */
function findRoute(reader: ApiReader, page: UsagePage, path: string): Route | undefined {
  if (path === '/') return async () => ({ statusCode: 200, headers: page.headers, body: page.html });
  if (path === '/openapi.json') {
    return async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
      body: OPENAPI_JSON,
    });
  }
  if (path === '/v1/customers')
    return async (query) => jsonResponse(200, await customerListBody(reader, query));
  const match = CUSTOMER_ROUTE.exec(path);
  const segment = match?.[1];
  if (segment === undefined) return undefined;
  switch (match?.[2]) {
    case 'event_counts':
      return async (query) =>
        jsonResponse(200, await eventCountsBody(reader, decodeCustomerId(segment), query));
    case 'total_events':
      return async (query) =>
        jsonResponse(200, await totalEventsBody(reader, decodeCustomerId(segment), query));
    default:
      return undefined;
  }
}

/**
 * Routes an API Gateway payload-2.0 event to the matching route and maps the outcome to a
 * response: 404 for unknown paths, 405 for methods other than GET, 400 for bad parameters, 404
 * `customer_not_found` when a default bound needs events the customer does not have, 503 when the
 * store is unavailable. Unexpected errors are logged through `logger`. `page` is the usage page
 * served at `/` (`createUsagePage(signIn)` when the API wants a token from browsers).
 */
export function createRouter(reader: ApiReader, logger: Logger = log, page: UsagePage = USAGE_PAGE) {
  return async (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const route = findRoute(reader, page, event.rawPath);
      if (route === undefined) throw new HttpError(404, 'not_found', `no route for ${event.rawPath}`);
      const method = event.requestContext.http.method;
      if (method !== 'GET') {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, {
          allow: 'GET',
        });
      }
      return await route(event.queryStringParameters ?? {});
    } catch (error) {
      // The store has already translated DynamoDB's failures into named errors (core/errors.ts).
      return errorResponse(error, requestId, logger);
    }
  };
}
