import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigurationError, createDynamoDbClient, optionalEnv, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { createIngestHandler } from './create-ingest-handler';

/** Plain objects above this are split into ranges of at most this size. */
const DEFAULT_RANGE_BYTES = 256 * 2 ** 20;
/** Gzip objects above this fail at once (see README, "Ingest in AWS"). */
const DEFAULT_MAX_GZIP_BYTES = 512 * 2 ** 20;
/**
 * Events held between writes (about 40 MB). Every write reads the digests of the hours it touches,
 * so with objects that all carry the current hour, the reads per event are the hour's events over
 * this buffer: four times the CLI's default buffer reads a quarter as much (docs/ingest.md).
 */
const BUFFER_EVENTS = 1_000_000;

function byteSize(name: string, fallback: number): number {
  const text = optionalEnv(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 2) {
    throw new ConfigurationError(
      `environment variable ${name} must be a number of bytes >= 2; received ${text}`,
    );
  }
  return value;
}

const s3Endpoint = optionalEnv('S3_ENDPOINT');
const queueUrl = optionalEnv('INGEST_QUEUE_URL');

/**
 * The ingest Lambda's entry point (lib/ingest.ts bundles this file): reads its configuration once
 * per container. `DYNAMODB_ENDPOINT` and `S3_ENDPOINT` (path-style, e.g. s3rver or MinIO) point it
 * at local servers; without AWS credentials in the environment it then signs with dummy ones.
 */
export const handler = createIngestHandler({
  store: createCounterStore({
    // The store retries each call itself (core/retry.ts); the SDK's own retries stay off.
    client: createDynamoDbClient({
      endpoint: optionalEnv('DYNAMODB_ENDPOINT'),
      maxAttempts: 1,
      requestTimeoutMs: 30_000,
    }),
    tableName: requireEnv('TABLE_NAME'),
  }),
  s3:
    s3Endpoint === undefined
      ? new S3Client({})
      : new S3Client({
          endpoint: s3Endpoint,
          forcePathStyle: true,
          region: optionalEnv('AWS_REGION') ?? 'local',
          // S3-compatible servers (s3rver) do not read the SDK's default aws-chunked checksum
          // trailers: they would store them inside the uploaded reports.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          ...(optionalEnv('AWS_ACCESS_KEY_ID') === undefined
            ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
            : {}),
        }),
  fanOut: queueUrl === undefined ? undefined : { sqs: new SQSClient({}), queueUrl },
  logger: new Logger({ serviceName: 'event-counts-ingest' }),
  tmpDir: tmpdir(),
  rangeBytes: byteSize('INGEST_RANGE_BYTES', DEFAULT_RANGE_BYTES),
  maxGzipBytes: byteSize('INGEST_MAX_GZIP_BYTES', DEFAULT_MAX_GZIP_BYTES),
  bufferEvents: BUFFER_EVENTS,
});
