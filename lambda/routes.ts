import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WindowSize } from '../core/buckets';
import type { CounterStore } from '../core/counter-store';
import { InvalidParameterError, StoreUnavailableError } from '../core/errors';
import {
  type CountReader,
  type CustomerReader,
  queryEventCounts,
  queryTotalEvents,
  resolveRange,
} from '../core/event-counts';
import {
  encodeCustomerPageToken,
  parseCustomerListInput,
  parseEventCountsInput,
  parseTotalEventsInput,
} from '../core/query-input';
import { isRetryableError } from '../core/retry';
import { formatTimestamp } from '../core/time';
import { errorResponse, HttpError, jsonResponse } from './http';
import { OPENAPI_DOCUMENT } from './openapi-document';
import { USAGE_PAGE_HEADERS, USAGE_PAGE_HTML } from './usage-page';

/** Everything the API reads; the DynamoDB store provides it, tests may fake it. */
export type ApiReader = CountReader & CustomerReader & Pick<CounterStore, 'listCustomers'>;

/** Query string parameters as API Gateway passes them. */
export type QueryParams = Record<string, string | undefined>;

/** The JSON body of `GET /v1/customers/{customer_id}/event_counts`. */
export interface EventCountsBody {
  customer_id: string;
  starting_at: string;
  ending_before: string;
  window_size: WindowSize;
  total: number;
  buckets: { starting_at: string; ending_before: string; count: number }[];
}

/** The JSON body of `GET /v1/customers`. */
export interface CustomerListBody {
  customers: { customer_id: string; first_event_at: string; last_event_at: string; total_events: number }[];
  next_page: string | null;
}

const CUSTOMER_ROUTE = /^\/v1\/customers\/([^/]+)\/([a-z_]+)$/;

function rejectUnknownParameters(query: QueryParams, allowed: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) {
      throw new InvalidParameterError(
        name,
        `unknown query parameter ${name}; expected only ${allowed.join(', ')}`,
      );
    }
  }
}

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

/**
 * The body of an event counts answer, from the query parameters of the API (the query CLI prints
 * this very body with `--json`).
 */
export async function eventCountsBody(
  reader: CountReader & CustomerReader,
  customerId: string,
  query: QueryParams,
): Promise<EventCountsBody> {
  rejectUnknownParameters(query, ['starting_at', 'ending_before', 'window_size']);
  const input = parseEventCountsInput({
    customerId,
    startingAt: query.starting_at,
    endingBefore: query.ending_before,
    windowSize: query.window_size,
  });
  const range = await resolveRange(reader, input);
  const result = await queryEventCounts(reader, input.customerId, range, input.windowSize);
  return {
    customer_id: result.customerId,
    starting_at: formatTimestamp(result.range.start),
    ending_before: formatTimestamp(result.range.end),
    window_size: result.windowSize,
    total: result.total,
    buckets: result.buckets.map((bucket) => ({
      starting_at: formatTimestamp(bucket.start),
      ending_before: formatTimestamp(bucket.end),
      count: bucket.count,
    })),
  };
}

async function totalEventsBody(reader: CountReader, customerId: string, query: QueryParams) {
  rejectUnknownParameters(query, ['starting_at', 'ending_before']);
  const input = parseTotalEventsInput({
    customerId,
    startingAt: query.starting_at,
    endingBefore: query.ending_before,
  });
  const total = await queryTotalEvents(reader, input.customerId, input);
  return {
    customer_id: input.customerId,
    starting_at: input.start === undefined ? null : formatTimestamp(input.start),
    ending_before: input.end === undefined ? null : formatTimestamp(input.end),
    total_events: total,
  };
}

/** The body of one customer list page (the customers CLI prints these customers too). */
export async function customerListBody(
  reader: Pick<CounterStore, 'listCustomers'>,
  query: QueryParams,
): Promise<CustomerListBody> {
  rejectUnknownParameters(query, ['limit', 'next_page']);
  const input = parseCustomerListInput({ limit: query.limit, nextPage: query.next_page });
  const page = await reader.listCustomers(input);
  return {
    customers: page.customers.map((customer) => ({
      customer_id: customer.customerId,
      first_event_at: formatTimestamp(customer.firstEventAt),
      last_event_at: formatTimestamp(customer.lastEventAt),
      total_events: customer.totalEvents,
    })),
    next_page: page.lastCustomerId === undefined ? null : encodeCustomerPageToken(page.lastCustomerId),
  };
}

type Route = (query: QueryParams) => Promise<APIGatewayProxyStructuredResultV2>;

const OPENAPI_JSON = JSON.stringify(OPENAPI_DOCUMENT);

/** The route for a path, or undefined when none matches. */
function findRoute(reader: ApiReader, path: string): Route | undefined {
  if (path === '/')
    return async () => ({ statusCode: 200, headers: USAGE_PAGE_HEADERS, body: USAGE_PAGE_HTML });
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
 * `customer_not_found` when a default bound needs events the customer does not have.
 */
export function createRouter(reader: ApiReader) {
  return async (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const route = findRoute(reader, event.rawPath);
      if (route === undefined) throw new HttpError(404, 'not_found', `no route for ${event.rawPath}`);
      const method = event.requestContext.http.method;
      if (method !== 'GET') {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, {
          allow: 'GET',
        });
      }
      return await route(event.queryStringParameters ?? {});
    } catch (error) {
      return errorResponse(
        isRetryableError(error) ? new StoreUnavailableError('DynamoDB', { cause: error }) : error,
        requestId,
      );
    }
  };
}
