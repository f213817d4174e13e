import { createHash } from 'node:crypto';
import type { ByteRange } from '../loader/byte-ranges';
import type { LoadSummary, RowCounts } from '../loader/load-events';
import type { S3ObjectRef } from '../loader/s3-object';
import { formatRowCounts } from '../loader/summary';

/*
 * What the ingest function says about each object or range it handled: one JSON report, the same
 * in the structured log and under `reports/` in the bucket, next to the rejects CSV. Pure: no I/O.
 */

/** Where reports go: outside `incoming/`, so writing them never triggers an ingest. */
export const REPORTS_PREFIX = 'reports/';

/** S3 keys are at most 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/** Which delivery of which message a report is about. */
export interface Delivery {
  messageId: string;
  /** How many times SQS has handed out this message, this time included. */
  receiveCount: number;
  /** The Lambda request that handled it. */
  requestId: string;
}

/** The part of a split object a range task handles. */
export interface RangePart {
  range: ByteRange;
  part: number;
  parts: number;
}

/**
 * - `loaded`: the rows were read and their new events counted (also when none was new);
 * - `split`: a large plain object was handed out as `parts` range messages;
 * - `skipped`: nothing to do (a folder marker, or an object replaced since its notification,
 *   whose own notification loads the new content);
 * - `failed`: see `error`; the message goes back to the queue, and after its last receive to the
 *   dead-letter queue.
 */
export type ReportStatus = 'loaded' | 'split' | 'skipped' | 'failed';

export interface IngestReport extends Partial<RowCounts> {
  status: ReportStatus;
  object: string;
  bucket: string;
  key: string;
  size: number;
  eTag: string | null;
  /** For a range: which part, and its bytes `[start, end)`; lines are numbered from its first line. */
  part: number | null;
  parts: number | null;
  range: ByteRange | null;
  messageId: string;
  receiveCount: number;
  requestId: string;
  startedAt: string;
  seconds: number;
  /** `rows N = accepted + duplicates + rejected + header`, when rows were read. */
  rowInvariant?: string;
  rowsPerSecond?: number;
  transactions?: number;
  itemsWritten?: number;
  /** The S3 key of the rejects CSV, when rows were rejected or conflicting. */
  rejectsKey: string | null;
  reportKey: string;
  reason?: string;
  error?: string;
}

/** Where the report and rejects CSV of one delivery go: `reports/<key>/<start time>[.part-i-of-n]-<message>`. */
export function reportKeys(
  object: S3ObjectRef,
  startedAt: Date,
  messageId: string,
  part?: RangePart,
): { report: string; rejects: string } {
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const width = part === undefined ? 0 : Math.max(4, String(part.parts).length);
  const partName =
    part === undefined
      ? ''
      : `.part-${String(part.part).padStart(width, '0')}-of-${String(part.parts).padStart(width, '0')}`;
  const name = `${stamp}${partName}-${messageId.slice(0, 8)}`;
  let folder = `${REPORTS_PREFIX}${object.key}/`;
  if (Buffer.byteLength(`${folder}${name}.rejects.csv`) > MAX_KEY_BYTES) {
    // The report names the object in full; its folder only has to be stable.
    folder = `${REPORTS_PREFIX}long-keys/${createHash('sha256').update(object.key).digest('hex')}/`;
  }
  return { report: `${folder}${name}.json`, rejects: `${folder}${name}.rejects.csv` };
}

/** The fields every report of a delivery starts with. */
export function reportHeader(
  object: S3ObjectRef,
  delivery: Delivery,
  startedAt: Date,
  part: RangePart | undefined,
  reportKey: string,
): Omit<IngestReport, 'status' | 'seconds' | 'rejectsKey'> {
  return {
    object: `s3://${object.bucket}/${object.key}`,
    bucket: object.bucket,
    key: object.key,
    size: object.size,
    eTag: object.eTag ?? null,
    part: part?.part ?? null,
    parts: part?.parts ?? null,
    range: part?.range ?? null,
    ...delivery,
    startedAt: startedAt.toISOString(),
    reportKey,
  };
}

/** The row counts of a load, with the invariant spelled out and the load's write totals. */
export function loadedFields(summary: LoadSummary): Partial<IngestReport> {
  const { source: _source, seconds, writes: _writes, ...counts } = summary;
  return {
    ...counts,
    rowInvariant: formatRowCounts(summary),
    rowsPerSecond: seconds > 0 ? Math.round(summary.rows / seconds) : summary.rows,
  };
}

/** Row counts as far as a failed load got, when its error carries them. */
export function countsOfError(error: unknown): Partial<IngestReport> {
  const counts = (error as { counts?: RowCounts } | undefined)?.counts;
  return counts === undefined ? {} : { ...counts, rowInvariant: formatRowCounts(counts) };
}
