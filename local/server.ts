import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { optionalEnv } from '../core/config';

/** The handler signature the local server calls: the Lambda's router, fed API Gateway events. */
export type ApiEventHandler = (
  event: APIGatewayProxyEventV2,
  requestId: string,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Turns a Node HTTP request into an API Gateway HTTP API payload-2.0 event, as API Gateway (or
 * `sam local start-api`) would: raw path, decoded query parameters with repeats joined by commas.
 */
export function toApiGatewayEvent(request: IncomingMessage, requestId: string): APIGatewayProxyEventV2 {
  const target = request.url ?? '/';
  // A path is appended to the origin: as a relative URL, `//a/b` would make `a` the host name.
  const url = new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
  // A Map, not an object: names such as `constructor` or `__proto__` must stay plain parameters.
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
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
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search === '' ? undefined : Object.fromEntries(query),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
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
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ error }),
});

async function runHandler(
  handler: ApiEventHandler,
  request: IncomingMessage,
  requestId: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  let event: APIGatewayProxyEventV2;
  try {
    event = toApiGatewayEvent(request, requestId);
  } catch {
    return errorResult(400, { code: 'bad_request', message: 'the request target is not a valid URL' });
  }
  try {
    return await handler(event, requestId);
  } catch {
    // The handler maps its own errors; this only guards the server against a broken handler.
    const message = 'Something went wrong on our side.';
    return errorResult(500, { code: 'internal_error', message, request_id: requestId });
  }
}

async function respond(handler: ApiEventHandler, request: IncomingMessage, response: ServerResponse) {
  const requestId = randomUUID();
  const result = await runHandler(handler, request, requestId);
  const body =
    result.isBase64Encoded === true ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  response.writeHead(result.statusCode ?? 200, { ...result.headers, 'x-request-id': requestId });
  response.end(body);
}

/** An HTTP server that runs every request through `handler`, the local stand-in for API Gateway. */
export function createLocalServer(handler: ApiEventHandler): Server {
  return createServer((request, response) => {
    // Drain any request body: the API has none, and an unread body would stall keep-alive.
    request.resume();
    request.on('end', () => void respond(handler, request, response));
  });
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

/** Starts listening on `port`; a port in use fails with a message that says which and what to do. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; set PORT to another port`) : error,
      ),
    );
    server.listen(port, () => resolve());
  });
}
