import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigurationError } from '../core/config';
import type { CounterStore } from '../core/counter-store';
import { InvalidParameterError, QUOTED_INPUT_LENGTH, quoteInput } from '../core/errors';
import type { CountReader, CustomerReader } from '../core/event-counts';
import { errorResponse, HttpError, jsonResponse, jsonTextResponse, type Logger, log } from './http';
import { OPENAPI_DOCUMENT } from './openapi-document';
import { customerListBody, eventCountsJson, type QueryParams, totalEventsBody } from './response-bodies';
import { finishResponse } from './response-encoding';
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
      `customer_id is not valid URL encoding; received ${quoteInput(segment)}`,
    );
  }
}

/** Decodes a query string name as API Gateway does: `+` is a space, then percent-decoding. */
function decodeQueryName(raw: string): string {
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The query parameters of a route that takes parameters, each given at most once. API Gateway
 * joins the values of a repeated parameter with commas, which could read as another valid value,
 * so a repeat is found in `rawQueryString` and refused with a 400 that names the parameter.
 */
function queryParameters(event: APIGatewayProxyEventV2): QueryParams {
  const counts = new Map<string, number>();
  for (const pair of (event.rawQueryString ?? '').split('&')) {
    if (pair === '') continue;
    const name = decodeQueryName(pair.split('=', 1)[0] ?? '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const [name, count] of counts) {
    if (count > 1) {
      throw new InvalidParameterError(
        name.slice(0, QUOTED_INPUT_LENGTH),
        `query parameter ${quoteInput(name)} is given ${count} times; give each parameter at most once`,
      );
    }
  }
  return event.queryStringParameters ?? {};
}

type Route = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

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
    return async (event) => jsonResponse(200, await customerListBody(reader, queryParameters(event)));
  const match = CUSTOMER_ROUTE.exec(path);
  const segment = match?.[1];
  if (segment === undefined) return undefined;
  switch (match?.[2]) {
    case 'event_counts':
      return async (event) =>
        jsonTextResponse(
          200,
          await eventCountsJson(reader, decodeCustomerId(segment), queryParameters(event)),
        );
    case 'total_events':
      return async (event) =>
        jsonResponse(200, await totalEventsBody(reader, decodeCustomerId(segment), queryParameters(event)));
    default:
      return undefined;
  }
}

/** Where the API is mounted besides the root of its stage. */
export interface RouterOptions {
  /**
   * The base path of a custom domain's API mapping (`/counts` for `https://example.com/counts/...`),
   * removed from the start of a path before routing when present; see `parseBasePath`.
   */
  basePath?: string;
}

// An API mapping key: letters, digits and $-_.+!*'(), in one or more `/`-separated segments.
const BASE_PATH = /^(?:\/[A-Za-z0-9$\-_.+!*'(),]+)+$/;

/**
 * Checks a configured base path (`BASE_PATH`, such as `counts` or `/counts/v2`) and returns it as
 * `/counts/v2`; empty or `/` is no base path.
 *
 * @throws ConfigurationError for anything that is not an API mapping key.
 */
export function parseBasePath(text: string | undefined, name = 'BASE_PATH'): string | undefined {
  const trimmed = text?.trim().replace(/\/+$/, '') ?? '';
  if (trimmed === '') return undefined;
  const path = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  if (!BASE_PATH.test(path)) {
    throw new ConfigurationError(
      `${name} must be an API mapping key such as counts or counts/v2 (letters, digits and $-_.+!*'(), ` +
        `in /-separated segments); received ${quoteInput(text)}`,
    );
  }
  return path;
}

/** `path` without `prefix` when it starts with it as whole segments (`/prod` of `/prod/v1/...` or `/prod`). */
function withoutPrefix(path: string, prefix: string): string {
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/**
 * The path the routes match: `rawPath` without the stage segment that a named stage puts in front
 * of it on the API's own URL (`/prod/v1/...`; never for `$default`), and without the configured
 * base path of a custom domain's API mapping. A path without them is matched as it is, so the same
 * function serves the default stage, a named stage and a custom domain alike.
 */
export function routePath(event: APIGatewayProxyEventV2, basePath?: string): string {
  let path = event.rawPath;
  const stage = event.requestContext.stage;
  if (stage !== undefined && stage !== '' && stage !== '$default') path = withoutPrefix(path, `/${stage}`);
  return basePath === undefined ? path : withoutPrefix(path, basePath);
}

/**
 * Why `event` is not an API Gateway HTTP API payload-2.0 event this router can read, or undefined
 * when it is. Typed events can still be anything at run time: a REST API (or an HTTP API integration
 * set to payload format 1.0) sends `httpMethod` and `path` instead of `rawPath` and
 * `requestContext.http`.
 */
export function unsupportedEventReason(event: unknown): string | undefined {
  const candidate = event as {
    version?: unknown;
    rawPath?: unknown;
    httpMethod?: unknown;
    requestContext?: { http?: { method?: unknown } };
  } | null;
  if (
    candidate?.version === '2.0' &&
    typeof candidate.rawPath === 'string' &&
    typeof candidate.requestContext?.http?.method === 'string'
  ) {
    return undefined;
  }
  if (candidate?.version === '1.0' || typeof candidate?.httpMethod === 'string') {
    return 'payload format 1.0 (a REST API, or an HTTP API integration with payloadFormatVersion 1.0); this function reads payload format 2.0';
  }
  return 'not an API Gateway HTTP API event (payload format 2.0)';
}

/**
 * Routes an API Gateway payload-2.0 event to the matching route and maps the outcome to a
 * response: 404 for unknown paths, 405 for methods other than GET, 400 for bad parameters, 404
 * `customer_not_found` when a default bound needs events the customer does not have, 503 when the
 * store is unavailable. Unexpected errors are logged through `logger`. `page` is the usage page
 * served at `/` (`createUsagePage(signIn)` when the API wants a token from browsers).
 *
 * Paths match after the stage and `options.basePath` are removed (`routePath`); a repeated query
 * parameter is a 400; an event that is not payload 2.0 is a logged 500. Every response is finished
 * by `finishResponse`: `nosniff`, `vary` and compression as the request's `Accept-Encoding` allows.
 */
export function createRouter(
  reader: ApiReader,
  logger: Logger = log,
  page: UsagePage = USAGE_PAGE,
  { basePath }: RouterOptions = {},
) {
  const answer = async (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const path = routePath(event, basePath);
      const route = findRoute(reader, page, path);
      if (route === undefined) {
        throw new HttpError(404, 'not_found', `no route for ${quoteInput(event.rawPath)}`);
      }
      const method = event.requestContext.http.method;
      if (method !== 'GET') {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use GET`, {
          allow: 'GET',
        });
      }
      return await route(event);
    } catch (error) {
      // The store has already translated DynamoDB's failures into named errors (core/errors.ts).
      return errorResponse(error, requestId, logger);
    }
  };
  return async (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const unsupported = unsupportedEventReason(event);
    if (unsupported !== undefined) {
      logger('error', 'unsupported event', { requestId, reason: unsupported });
      return finishResponse(unsupportedEventResponse(requestId), undefined);
    }
    return finishResponse(await answer(event, requestId), event.headers?.['accept-encoding']);
  };
}

/** The answer to an event of another payload format: a generic 500; the reason is in the log. */
function unsupportedEventResponse(requestId: string): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(500, {
    error: { code: 'internal_error', message: 'Something went wrong on our side.', request_id: requestId },
  });
}
