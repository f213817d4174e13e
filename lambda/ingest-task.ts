import { randomUUID } from 'node:crypto';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../core/errors';
import { isGzipHead, ownedLines, planByteRanges, readStartOf } from '../loader/byte-ranges';
import { type LoadSummary, loadEvents, NoEventsError } from '../loader/load-events';
import { createRejectsWriter } from '../loader/rejects-file';
import { ObjectChangedError, readObjectBytes, type S3ObjectRef, verifyGzip } from '../loader/s3-object';
import type { WriteStore } from '../loader/write-events';
import { type IngestTask, rangeMessages } from './ingest-messages';
import {
  countsOfError,
  type Delivery,
  type IngestReport,
  loadedFields,
  type RangePart,
  reportHeader,
  reportKeys,
} from './ingest-reports';

/** Structured logging, as Powertools' Logger provides it. */
export interface IngestLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/** What the ingest needs, built by the entry file (or a test) from parts it chose. */
export interface IngestDependencies {
  store: WriteStore;
  /** Checks once that the table is in this version's layout before the first load. */
  checkFormat: () => Promise<void>;
  s3: S3Client;
  /** The queue that range messages go to; without it, objects over `rangeBytes` fail. */
  fanOut?: { sqs: SQSClient; queueUrl: string };
  logger: IngestLogger;
  /** A writable directory for rejects files before they are uploaded (Lambda: /tmp). */
  tmpDir: string;
  /** Plain objects larger than this are split into ranges of at most this size. */
  rangeBytes: number;
  /** Gzip objects cannot be split: larger ones fail at once rather than time out. */
  maxGzipBytes: number;
  concurrency?: number;
  bufferEvents?: number;
  now?: () => Date;
}

/** A gzip object too large for one invocation; gzip cannot be read from the middle. */
export class ObjectTooLargeError extends Error {
  constructor(object: S3ObjectRef, maxBytes: number) {
    super(
      `s3://${object.bucket}/${object.key} is gzip of ${object.size} bytes, over the ${maxBytes} bytes one ` +
        'invocation can read and load in time, and gzip cannot be split into ranges; upload it ' +
        'uncompressed (large plain objects are split) or as several smaller gzip objects',
    );
    this.name = 'ObjectTooLargeError';
  }
}

/** A gzip object that does not decompress to its end: nothing of it is loaded. */
export class CorruptObjectError extends Error {
  constructor(object: S3ObjectRef, cause: unknown) {
    // zlib's errors may come from another realm (a test sandbox), where `instanceof Error` fails.
    const message = (cause as { message?: unknown } | undefined)?.message;
    const reason = typeof message === 'string' ? message : errorMessage(cause);
    super(`s3://${object.bucket}/${object.key} is not valid gzip (${reason}); nothing was written`, {
      cause,
    });
    this.name = 'CorruptObjectError';
  }
}

/** A task failed; its report (written to S3 when possible) says how and how far it got. */
export class IngestFailedError extends Error {
  constructor(
    readonly report: IngestReport,
    cause: unknown,
  ) {
    super(report.error ?? errorMessage(cause), { cause });
    this.name = 'IngestFailedError';
  }
}

/** SendMessageBatch takes at most 10 messages. */
const SQS_BATCH_SIZE = 10;

/** The first `bytes` of an object, to recognise gzip before deciding to split. */
async function readHead(s3: S3Client, object: S3ObjectRef, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readObjectBytes(s3, object, { to: bytes - 1 })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  yield* rest;
}

/**
 * The whole object as the loader's input. A gzip object is first decompressed to its end and
 * thrown away, then read again: a truncated or corrupt one is found before a single event is
 * written (the loader writes as it reads, every `bufferEvents` events).
 */
async function wholeObjectInput(s3: S3Client, object: S3ObjectRef): Promise<Readable> {
  const bytes = readObjectBytes(s3, object);
  const first = await bytes.next();
  if (first.done === true) return Readable.from([]);
  if (!isGzipHead(first.value)) return Readable.from(prepend(first.value, bytes));
  try {
    await verifyGzip(prepend(first.value, bytes));
  } catch (error) {
    if (error instanceof ObjectChangedError) throw error;
    throw new CorruptObjectError(object, error);
  }
  return Readable.from(readObjectBytes(s3, object));
}

/**
 * Hands each range of a large plain object to its own invocation, as messages on the ingest queue;
 * returns how many. A failure fails the task, whose next receive sends them all again: a range
 * loaded twice counts nothing twice.
 */
async function splitIntoRanges(deps: IngestDependencies, object: S3ObjectRef): Promise<number> {
  if (deps.fanOut === undefined) {
    throw new Error(
      `s3://${object.bucket}/${object.key} has ${object.size} bytes, over the ${deps.rangeBytes} bytes ` +
        'one invocation loads, and no queue is configured to split it into ranges (INGEST_QUEUE_URL)',
    );
  }
  const { sqs, queueUrl } = deps.fanOut;
  const bodies = rangeMessages(object, planByteRanges(object.size, deps.rangeBytes));
  for (let at = 0; at < bodies.length; at += SQS_BATCH_SIZE) {
    const entries = bodies
      .slice(at, at + SQS_BATCH_SIZE)
      .map((body, i) => ({ Id: `part-${at + i + 1}`, MessageBody: body }));
    const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    const failed = result.Failed ?? [];
    if (failed.length > 0) {
      const [first] = failed;
      throw new Error(
        `could not queue ${failed.length} of ${bodies.length} range messages ` +
          `(${first?.Id}: ${first?.Code} ${first?.Message ?? ''})`,
      );
    }
  }
  return bodies.length;
}

/**
 * Handles one task: loads an object or one range of it with the loader library (the CLI's row
 * rules, exactly-once writes), splits a large plain object into range messages, and writes a
 * report (and the rejects CSV, if any) under `reports/`, logging the same report.
 *
 * @throws IngestFailedError when the task failed; it carries the report written for it.
 */
export async function runIngestTask(
  task: IngestTask,
  delivery: Delivery,
  deps: IngestDependencies,
): Promise<IngestReport> {
  const { s3, logger, object } = { ...deps, object: task.object };
  const startedAt = (deps.now ?? (() => new Date()))();
  const clock = performance.now();
  const part: RangePart | undefined =
    task.kind === 'range' ? { range: task.range, part: task.part, parts: task.parts } : undefined;
  const keys = reportKeys(object, startedAt, delivery.messageId, part);
  const header = reportHeader(object, delivery, startedAt, part, keys.report);
  const rejectsPath = join(deps.tmpDir, `ingest-${randomUUID()}.rejects.csv`);
  const rejects = createRejectsWriter(rejectsPath);
  let rejectsKey: string | null = null;

  /** Closes the rejects file and uploads it when it holds rows; never leaves it in /tmp. */
  const publishRejects = async () => {
    try {
      await rejects.close();
      const size = statSync(rejectsPath, { throwIfNoEntry: false })?.size;
      if (size === undefined) return;
      await s3.send(
        new PutObjectCommand({
          Bucket: object.bucket,
          Key: keys.rejects,
          Body: createReadStream(rejectsPath),
          ContentLength: size,
          ContentType: 'text/csv',
        }),
      );
      rejectsKey = keys.rejects;
    } finally {
      rmSync(rejectsPath, { force: true });
    }
  };

  const finish = async (fields: Partial<IngestReport> & Pick<IngestReport, 'status'>) => {
    const seconds = Number(((performance.now() - clock) / 1000).toFixed(3));
    const { status, ...rest } = fields;
    const report: IngestReport = { status, ...header, seconds, rejectsKey, ...rest };
    if (fields.status !== 'skipped') {
      await s3.send(
        new PutObjectCommand({
          Bucket: object.bucket,
          Key: keys.report,
          Body: `${JSON.stringify(report, null, 2)}\n`,
          ContentType: 'application/json',
        }),
      );
    }
    return report;
  };

  const load = async (input: Readable, startsMidInput: boolean): Promise<LoadSummary> => {
    await deps.checkFormat();
    return loadEvents({
      store: deps.store,
      input,
      source: header.object + (part === undefined ? '' : ` bytes ${part.range.start}-${part.range.end - 1}`),
      onReject: (row) => rejects.write(row),
      concurrency: deps.concurrency,
      bufferEvents: deps.bufferEvents,
      startsMidInput,
    });
  };

  try {
    let summary: LoadSummary;
    if (task.kind === 'range') {
      const chunks = readObjectBytes(s3, object, { from: readStartOf(task.range) });
      try {
        summary = await load(Readable.from(ownedLines(chunks, task.range)), task.range.start > 0);
      } catch (error) {
        // A range inside one long line, or of blank lines only, owns no row: nothing to do.
        if (!(error instanceof NoEventsError && error.counts.rows === 0)) throw error;
        summary = {
          ...error.counts,
          source: header.object,
          writes: 0,
          transactions: 0,
          itemsWritten: 0,
          seconds: 0,
        };
      }
    } else if (object.key.endsWith('/') && object.size === 0) {
      const report = await finish({ status: 'skipped', reason: 'a folder marker, not a file' });
      logger.info('object skipped', { ...report });
      return report;
    } else {
      if (object.size > deps.rangeBytes) {
        if (!isGzipHead(await readHead(s3, object, 2))) {
          const parts = await splitIntoRanges(deps, object);
          const reason = `${parts} ranges of at most ${deps.rangeBytes} bytes, one message each`;
          const report = await finish({ status: 'split', parts, reason });
          logger.info('object split into ranges', { ...report });
          return report;
        }
        if (object.size > deps.maxGzipBytes) throw new ObjectTooLargeError(object, deps.maxGzipBytes);
      }
      summary = await load(await wholeObjectInput(s3, object), false);
    }
    await publishRejects();
    const report = await finish({ status: 'loaded', ...loadedFields(summary) });
    logger.info('object ingested', { ...report });
    return report;
  } catch (error) {
    await publishRejects().catch((uploadError: unknown) =>
      logger.warn('rejects file not uploaded', { ...header, error: errorMessage(uploadError) }),
    );
    if (error instanceof ObjectChangedError) {
      const report = await finish({
        status: 'skipped',
        reason: `${errorMessage(error)}; its own notification loads the new content`,
      });
      logger.warn('object skipped', { ...report });
      return report;
    }
    const failed = { status: 'failed' as const, ...countsOfError(error), error: errorMessage(error) };
    let report: IngestReport;
    try {
      report = await finish(failed);
    } catch (reportError) {
      report = {
        ...header,
        seconds: 0,
        rejectsKey,
        ...failed,
        reason: `report not written: ${errorMessage(reportError)}`,
      };
    }
    logger.error('ingest failed', {
      ...report,
      errorName: error instanceof Error ? error.name : typeof error,
    });
    throw new IngestFailedError(report, error);
  }
}
