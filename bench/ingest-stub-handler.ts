import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { requireEnv } from '../core/config';
import { createIngestHandler } from '../lambda/create-ingest-handler';

/*
 * The ingest function with a store that holds nothing and answers at once (every event is new,
 * every transaction commits): what `bench/ingest-object.ts --store stub` bundles to time the
 * function's own work (read, gzip check, parse, plan) apart from DynamoDB.
 */
export const handler = createIngestHandler({
  store: {
    tableName: 'stub',
    readHourState: async () => ({ version: 0, fragments: [] }),
    commit: async () => 'committed',
    widenCustomerSpan: async () => {},
    checkFormat: async () => {},
  },
  s3: new S3Client({
    endpoint: requireEnv('S3_ENDPOINT'),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }),
  fanOut: { sqs: new SQSClient({}), queueUrl: requireEnv('INGEST_QUEUE_URL') },
  logger: new Logger({ serviceName: 'event-counts-ingest-bench' }),
  tmpDir: tmpdir(),
  rangeBytes: Number(requireEnv('INGEST_RANGE_BYTES')),
  maxGzipBytes: Number(requireEnv('INGEST_MAX_GZIP_BYTES')),
  // As lambda/ingest-handler.ts.
  bufferEvents: 1_000_000,
});
