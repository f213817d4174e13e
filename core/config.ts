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
  /** Abandon a request that gets no response within this time (default: wait forever). */
  requestTimeoutMs?: number;
}

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
}: DynamoDbTarget): DynamoDBClient {
  const tuning: DynamoDBClientConfig = {
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(requestTimeoutMs === undefined ? {} : { requestHandler: { requestTimeout: requestTimeoutMs } }),
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
