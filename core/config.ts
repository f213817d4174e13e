import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** Thrown at start-up when a required setting is missing or malformed. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Reads a required environment variable once, failing with a message that names it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads an optional environment variable; empty counts as unset. */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Default table name for local runs and the CLIs. */
export const DEFAULT_TABLE_NAME = 'event-counts';

/** Where the local tools find DynamoDB. */
export interface DynamoDbTarget {
  /** A DynamoDB Local URL, or undefined for AWS's regional endpoint. */
  endpoint?: string;
  region?: string;
  /** Attempts the AWS SDK makes per call (its default is 3); 1 leaves retrying to the caller. */
  maxAttempts?: number;
  /**
   * Abandon a request that gets no response within this time (default: wait forever). It is a real
   * timeout: the request is aborted with a `TimeoutError` (the SDK's `throwOnRequestTimeout`; without
   * it `@smithy/node-http-handler` only logs a warning and keeps waiting), so each attempt is bounded.
   */
  requestTimeoutMs?: number;
  /**
   * Abandon a connection not established within this time (default: `requestTimeoutMs` capped at
   * 1 s when that is set, else none): an unreachable host fails the attempt early enough to retry.
   */
  connectionTimeoutMs?: number;
}

/**
 * The DynamoDB client settings of the API (the Lambda entry, `npm start`, `npm run serve`): three
 * attempts of at most 2 s each, connections within 1 s. The handler's own deadline (see
 * `createHandler`) answers 503 before the attempts could add up to the function timeout.
 */
export const API_CLIENT_SETTINGS = {
  maxAttempts: 3,
  requestTimeoutMs: 2_000,
  connectionTimeoutMs: 1_000,
} as const satisfies DynamoDbTarget;

/**
 * Creates a DynamoDB client. With an endpoint (DynamoDB Local) it uses fixed dummy credentials,
 * since DynamoDB Local accepts any key made of letters and digits; otherwise the default AWS
 * credential chain and region apply.
 */
export function createDynamoDbClient({
  endpoint,
  region,
  maxAttempts,
  requestTimeoutMs,
  connectionTimeoutMs = requestTimeoutMs === undefined ? undefined : Math.min(requestTimeoutMs, 1_000),
}: DynamoDbTarget): DynamoDBClient {
  const requestHandler = {
    ...(requestTimeoutMs === undefined
      ? {}
      : { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true }),
    ...(connectionTimeoutMs === undefined ? {} : { connectionTimeout: connectionTimeoutMs }),
  };
  const tuning: DynamoDBClientConfig = {
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(Object.keys(requestHandler).length === 0 ? {} : { requestHandler }),
  };
  if (endpoint === undefined) {
    return new DynamoDBClient(region === undefined ? tuning : { ...tuning, region });
  }
  const config: DynamoDBClientConfig = {
    ...tuning,
    endpoint,
    region: region ?? 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return new DynamoDBClient(config);
}
