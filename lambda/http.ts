import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CustomerNotFoundError, InvalidParameterError, StoreUnavailableError } from '../core/errors';

/** An HTTP error whose message is safe to show to the caller. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/** A JSON response with the service's standard headers. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return jsonTextResponse(statusCode, JSON.stringify(body), headers);
}

/** A response whose body is JSON text written already, with the standard JSON headers. */
export function jsonTextResponse(
  statusCode: number,
  json: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: json };
}

/** How bad a log line is: `info` goes to stdout, `warn` and `error` to stderr. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Where the handler's structured log lines go: `log` in Lambda, a capturing function in tests. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Writes one structured JSON log line (CloudWatch parses it; locally it goes to stderr). */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
}

/** An error as plain data for the log, following its `cause` (e.g. the DynamoDB error behind a 503). */
function describeForLog(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause === undefined ? {} : { cause: describeForLog(error.cause) };
  return { name: error.name, message: error.message, stack: error.stack, ...cause };
}

/**
 * Maps any error to a response: validation and HTTP errors keep their message; anything else
 * becomes a generic 500/503 carrying the request id, with the details only in the log (`logger`).
 */
export function errorResponse(
  error: unknown,
  requestId: string,
  logger: Logger = log,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof InvalidParameterError) {
    return jsonResponse(400, {
      error: { code: 'invalid_parameter', message: error.message, parameter: error.parameter },
    });
  }
  if (error instanceof CustomerNotFoundError) {
    return jsonResponse(404, { error: { code: 'customer_not_found', message: error.message } });
  }
  if (error instanceof HttpError) {
    return jsonResponse(
      error.statusCode,
      { error: { code: error.code, message: error.message } },
      error.headers,
    );
  }
  const detail = describeForLog(error);
  if (error instanceof StoreUnavailableError) {
    logger('warn', 'store unavailable', { requestId, error: detail });
    return jsonResponse(
      503,
      {
        error: {
          code: 'service_unavailable',
          message: 'The service is busy; retry in a moment.',
          request_id: requestId,
        },
      },
      { 'retry-after': '1' },
    );
  }
  logger('error', 'unhandled error', { requestId, error: detail });
  return jsonResponse(500, {
    error: { code: 'internal_error', message: 'Something went wrong on our side.', request_id: requestId },
  });
}
