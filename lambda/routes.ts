import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidParameterError, StoreUnavailableError } from '../core/errors';
import { type CountReader, queryHourlyCounts, queryTotalEvents } from '../core/event-counts';
import { parseHourlyCountsInput, parseTotalEventsInput } from '../core/query-input';
import { isRetryableError } from '../core/retry';
import { formatTimestamp } from '../core/time';
import { errorResponse, HttpError, jsonResponse } from './http';

type QueryParams = Record<string, string | undefined>;
type Route = (customerId: string, query: QueryParams) => Promise<unknown>;

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

/** The routes of the API, each a validation step, one query and a response body. */
function createRoutes(reader: CountReader): Record<string, Route> {
  return {
    async event_counts(customerId, query) {
      rejectUnknownParameters(query, ['starting_at', 'ending_before']);
      const input = parseHourlyCountsInput({
        customerId,
        startingAt: query.starting_at,
        endingBefore: query.ending_before,
      });
      const result = await queryHourlyCounts(reader, input.customerId, input.range);
      return {
        customer_id: result.customerId,
        starting_at: formatTimestamp(result.range.start),
        ending_before: formatTimestamp(result.range.end),
        window_size: 'hour',
        total: result.total,
        buckets: result.buckets.map((bucket) => ({
          starting_at: formatTimestamp(bucket.start),
          ending_before: formatTimestamp(bucket.end),
          count: bucket.count,
        })),
      };
    },
    async total_events(customerId, query) {
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
    },
  };
}

/**
 * Routes an API Gateway payload-2.0 event to the matching route and maps the outcome to a JSON
 * response: 404 for unknown paths, 405 for methods other than GET, 400 for bad parameters.
 */
export function createRouter(reader: CountReader) {
  const routes = createRoutes(reader);
  return async (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const match = CUSTOMER_ROUTE.exec(event.rawPath);
      const route = match?.[2] === undefined ? undefined : routes[match[2]];
      if (match?.[1] === undefined || route === undefined) {
        throw new HttpError(404, 'not_found', `no route for ${event.rawPath}`);
      }
      const method = event.requestContext.http.method;
      if (method !== 'GET') {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, {
          allow: 'GET',
        });
      }
      const body = await route(decodeCustomerId(match[1]), event.queryStringParameters ?? {});
      return jsonResponse(200, body);
    } catch (error) {
      return errorResponse(
        isRetryableError(error) ? new StoreUnavailableError('DynamoDB', { cause: error }) : error,
        requestId,
      );
    }
  };
}
