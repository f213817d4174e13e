import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What varies between the events of the tests; everything else is as API Gateway fills it in. */
export interface ApiEventOptions {
  /** The HTTP method (default GET). */
  method?: string;
  /** API Gateway's own request id (requestContext.requestId). */
  requestId?: string;
  /** The stage (default `$default`); a named stage's segment is then part of `rawPath`, as in AWS. */
  stage?: string;
  /** Request headers besides `host` and `user-agent` (lower-case names, as API Gateway passes them). */
  headers?: Record<string, string>;
  /** The raw query string when it is not the one `query` makes (a repeated parameter, say). */
  rawQueryString?: string;
}

/**
 * A request as API Gateway's HTTP API hands it to the function (payload format 2.0): `rawPath` as
 * sent (still percent-encoded), and no `queryStringParameters` at all when there is no query.
 */
export function apiEvent(
  rawPath: string,
  query: Record<string, string> = {},
  {
    method = 'GET',
    requestId = 'api-gateway-request',
    stage = '$default',
    headers = {},
    rawQueryString = new URLSearchParams(query).toString(),
  }: ApiEventOptions = {},
): APIGatewayProxyEventV2 {
  const hasQuery = Object.keys(query).length > 0;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { host: 'api.example.com', 'user-agent': 'jest', ...headers },
    queryStringParameters: hasQuery ? query : undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId,
      routeKey: '$default',
      stage,
      time: '01/Mar/2021:04:00:00 +0000',
      timeEpoch: Date.parse('2021-03-01T04:00:00Z'),
    },
  };
}

/** The event for a path with its query string, e.g. `/v1/customers?limit=10`. */
export function apiEventFor(target: string, options: ApiEventOptions = {}): APIGatewayProxyEventV2 {
  const queryStart = target.indexOf('?');
  if (queryStart < 0) return apiEvent(target, {}, options);
  const query = Object.fromEntries(new URLSearchParams(target.slice(queryStart + 1)));
  return apiEvent(target.slice(0, queryStart), query, options);
}
