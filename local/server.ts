import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { optionalEnv } from '../core/config';

/** The handler signature the local server calls: the Lambda's router, fed API Gateway events. */
export type ApiEventHandler = (
  event: APIGatewayProxyEventV2,
  requestId: string,
) => Promise<APIGatewayProxyStructuredResultV2>;

// The path and query of an absolute-form target (`http://host/path?query`, as sent to a proxy).
const ABSOLUTE_TARGET = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)(?:\?([^#]*))?/;

/**
 * The raw path and query string of a request target, exactly as sent: no dot segments resolved
 * (`/a/../b` stays, as API Gateway leaves it), no percent-encoding undone. A target that is neither
 * a path nor an absolute URL (`*`, `host:port`) throws.
 */
export function splitRequestTarget(target: string): { rawPath: string; rawQueryString: string } {
  if (target.startsWith('/')) {
    const withoutFragment = target.split('#', 1)[0] ?? '';
    const queryStart = withoutFragment.indexOf('?');
    return queryStart < 0
      ? { rawPath: withoutFragment, rawQueryString: '' }
      : {
          rawPath: withoutFragment.slice(0, queryStart),
          rawQueryString: withoutFragment.slice(queryStart + 1),
        };
  }
  new URL(target); // throws for what is not a URL at all
  const match = ABSOLUTE_TARGET.exec(target);
  if (match === null) throw new TypeError('the request target is neither a path nor an absolute URL');
  return { rawPath: match[1] || '/', rawQueryString: match[2] ?? '' };
}

/**
 * Turns a Node HTTP request into an API Gateway HTTP API payload-2.0 event, as API Gateway (or
 * `sam local start-api`) would: raw path, decoded query parameters with repeats joined by commas.
 */
export function toApiGatewayEvent(request: IncomingMessage, requestId: string): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString } = splitRequestTarget(request.url ?? '/');
  // A Map, not an object: names such as `constructor` or `__proto__` must stay plain parameters.
  const query = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const earlier = query.get(name);
    query.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const method = request.method ?? 'GET';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    queryStringParameters: query.size === 0 ? undefined : Object.fromEntries(query),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

const errorResult = (
  statusCode: number,
  error: Record<string, string>,
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' },
  body: JSON.stringify({ error }),
});

/** The JSON error for a request Node's HTTP parser refused before any handler could see it. */
export function clientErrorAnswer(code: string | undefined): {
  status: number;
  error: { code: string; message: string };
  headers?: Record<string, string>;
} {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        error: { code: 'headers_too_large', message: 'the request headers are larger than 16 KB' },
      };
    case 'HPE_INVALID_METHOD':
      return {
        status: 405,
        error: { code: 'method_not_allowed', message: 'the request method is not allowed here; use GET' },
        headers: { allow: 'GET' },
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        error: { code: 'request_timeout', message: 'the request took too long to arrive' },
      };
    case 'HPE_INVALID_URL':
      return {
        status: 400,
        error: {
          code: 'bad_request',
          message:
            'the request target has a character that must be percent-encoded (a space, a non-ASCII byte...)',
        },
      };
    default:
      return { status: 400, error: { code: 'bad_request', message: 'the request is not valid HTTP/1.1' } };
  }
}

/**
 * Answers a request the HTTP parser refused (Node's default is a bare status line without a body)
 * with the same kind of JSON error as every other answer, then closes the connection.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, error: body, headers = {} } = clientErrorAnswer(error.code);
  const text = JSON.stringify({ error: body });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    'x-content-type-options: nosniff',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/**
 * Decides whether a request reaches the handler, as an API Gateway authorizer does: undefined lets
 * it through, a result is answered instead (local/jwt-auth.ts checks bearer JWTs this way).
 */
export type ApiAuthorizer = (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

/** What the local server may put in front of the handler. */
export interface LocalServerOptions {
  /** Checks each request before the handler runs; absent, every request goes through (`-c auth=none`). */
  authorize?: ApiAuthorizer;
}

async function runHandler(
  handler: ApiEventHandler,
  request: IncomingMessage,
  requestId: string,
  { authorize }: LocalServerOptions,
): Promise<APIGatewayProxyStructuredResultV2> {
  let event: APIGatewayProxyEventV2;
  try {
    event = toApiGatewayEvent(request, requestId);
  } catch {
    return errorResult(400, { code: 'bad_request', message: 'the request target is not a valid URL' });
  }
  try {
    return (await authorize?.(event)) ?? (await handler(event, requestId));
  } catch {
    // The handler maps its own errors; this only guards the server against a broken handler.
    const message = 'Something went wrong on our side.';
    return errorResult(500, { code: 'internal_error', message, request_id: requestId });
  }
}

async function respond(
  handler: ApiEventHandler,
  options: LocalServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const requestId = randomUUID();
  const result = await runHandler(handler, request, requestId, options);
  const body =
    result.isBase64Encoded === true ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  response.writeHead(result.statusCode ?? 200, { ...result.headers, 'x-request-id': requestId });
  response.end(body);
}

/** An HTTP server that runs every request through `handler`, the local stand-in for API Gateway. */
export function createLocalServer(handler: ApiEventHandler, options: LocalServerOptions = {}): Server {
  const server = createServer((request, response) => {
    // Drain any request body: the API has none, and an unread body would stall keep-alive.
    request.resume();
    request.on('end', () => void respond(handler, options, request, response));
  });
  server.on('clientError', answerClientError);
  return server;
}

/** The interface the local servers listen on unless `HOST` says otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Reads the interface to listen on from the environment (`HOST`): an IP address such as
 * `127.0.0.1` (the default) or `0.0.0.0` (every interface, as a container needs), or `localhost`.
 */
export function readHost(name = 'HOST'): string {
  const host = optionalEnv(name) ?? DEFAULT_HOST;
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new Error(
      `${name} must be an IP address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 ` +
        `(every interface); received ${JSON.stringify(host)}`,
    );
  }
  return host;
}

/** Reads a TCP port from the environment, failing with a message that names the variable. */
export function readPort(name: string, fallback: number): number {
  const text = optionalEnv(name);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535; received ${JSON.stringify(text)}`);
  }
  return port;
}

/**
 * Starts listening on `port` of `host` (default 127.0.0.1: this machine only); a port in use fails
 * with a message that says which and what to do.
 */
export function listen(server: Server, port: number, host: string = DEFAULT_HOST): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; set PORT to another port`) : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
}
