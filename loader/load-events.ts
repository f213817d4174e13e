import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type CounterStore, type HourAggregate, planChunks, type WriteChunk } from '../core/counter-store';
import { LineSplitter, MAX_LINE_CHARS, splitCsvLine } from './csv-lines';
import { COLUMNS, isHeaderRow, validateEventRow } from './event-row';
import { HourAggregator } from './hour-aggregator';
import { contentFingerprint, TransactionIdSet } from './transaction-ids';

/** A row the loader did not count, with its 1-based line number in the input. */
export interface RejectedRow {
  line: number;
  reason: string;
  raw: string;
  /** True for a reused transaction_id with other content: a duplicate, listed for review. */
  conflict: boolean;
}

/**
 * How the rows of a file were sorted. Blank lines are not rows; every other line is exactly one of
 * accepted, duplicate, rejected or header: `rows = accepted + duplicates + rejected + headers`.
 */
export interface RowCounts {
  rows: number;
  /** A header line as the first row (recognised by its column names). */
  headers: number;
  /** Lines holding nothing but whitespace; skipped and counted here, never rows. */
  blankLines: number;
  accepted: number;
  /** Rows whose transaction_id came earlier in the file; not counted again. */
  duplicates: number;
  /** The duplicates whose content (customer, type or time) differs from the first one. */
  conflicts: number;
  rejected: number;
}

/** What reading a file found, before anything is written. */
export interface ReadResult extends RowCounts {
  /** SHA-256 of the (decompressed) content: the identity of this load. */
  loadId: string;
  hours: HourAggregate[];
}

/** Where a load is, for a progress display. */
export type LoadProgress =
  | {
      phase: 'reading';
      /** Bytes of the input consumed so far, compressed if the input is gzip. */
      bytesRead: number;
      rows: number;
    }
  | { phase: 'writing'; chunksDone: number; chunks: number };

export interface ReadOptions {
  onProgress?: (progress: LoadProgress) => void;
  /** Stop reading with TooManyRejectsError once more rows than this are rejected. */
  maxRejects?: number;
  /** Rows the input probably holds, to size the transaction_id table once instead of growing it. */
  expectedRows?: number;
}

/** The outcome of a load, for the summary line. */
export interface LoadSummary extends RowCounts {
  loadId: string;
  source: string;
  chunks: number;
  /** Chunks this run applied. */
  chunksApplied: number;
  /** Chunks found applied already, by an earlier (killed or concurrent) run of the same content. */
  chunksSkipped: number;
  itemsWritten: number;
  alreadyLoaded: boolean;
  readSeconds: number;
  seconds: number;
}

export interface LoadOptions extends ReadOptions {
  store: CounterStore;
  /** The raw bytes of the CSV, optionally gzip-compressed (detected by its magic bytes). */
  input: Readable;
  /** A name for the input (its path, or `-`), recorded with the load. */
  source: string;
  /** Called for each rejected or conflicting row; the read waits while a returned promise is pending. */
  onReject?: (row: RejectedRow) => void | Promise<void>;
  /** Transactions in flight at once (default `DEFAULT_CONCURRENCY`). */
  concurrency?: number;
}

/** Transactions the loader keeps in flight by default. */
export const DEFAULT_CONCURRENCY = 8;

/** Thrown by the read when `maxRejects` is exceeded; nothing has been written. */
export class TooManyRejectsError extends Error {
  constructor(
    readonly counts: RowCounts,
    readonly maxRejects: number,
    readonly line: number,
  ) {
    super(
      `${counts.rejected} rejected rows exceed --max-rejects ${maxRejects} (stopped reading at line ${line}); nothing was written`,
    );
    this.name = 'TooManyRejectsError';
  }
}

/** Thrown when the input cannot be read (missing file, corrupt gzip); nothing has been written. */
export class InputReadError extends Error {
  constructor(source: string, cause: unknown) {
    super(
      `cannot read ${source}: ${cause instanceof Error ? cause.message : String(cause)}; nothing was written`,
      {
        cause,
      },
    );
    this.name = 'InputReadError';
  }
}

/** Thrown when a chunk cannot be written; says how far the load got. Re-running resumes it. */
export class ChunkWriteError extends Error {
  constructor(
    readonly sequence: number,
    readonly chunks: number,
    readonly chunksApplied: number,
    readonly chunksSkipped: number,
    cause: unknown,
  ) {
    super(
      `chunk ${sequence} of ${chunks} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'ChunkWriteError';
  }
}

/** Yields the input's bytes, gunzipped when they start with the gzip magic number. */
async function* decompress(input: Readable, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    onBytes(head.length);
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      const chunk = Buffer.from(next.value);
      onBytes(chunk.length);
      yield chunk;
    }
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const compressed = Readable.from(all());
    compressed.on('error', (error) => gunzip.destroy(error));
    yield* compressed.pipe(gunzip);
  } else {
    yield* all();
  }
}

const show = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);

/**
 * Streams a CSV of events, validates each row, drops repeated transaction_ids (a repeat with other
 * content is a conflict) and aggregates the rest into per-customer hourly time indexes. Each line
 * is one record: blank lines are counted apart, a first line made of the column names is a header,
 * and every other line ends up accepted, duplicate or rejected (see RowCounts).
 *
 * @throws TooManyRejectsError when more than `options.maxRejects` rows are rejected.
 */
export async function readEvents(
  input: Readable,
  onReject: (row: RejectedRow) => void | Promise<void> = () => {},
  options: ReadOptions = {},
): Promise<ReadResult> {
  const { onProgress, maxRejects, expectedRows } = options;
  const hash = createHash('sha256');
  const splitter = new LineSplitter();
  const ids = new TransactionIdSet(expectedRows);
  const aggregator = new HourAggregator();
  const counts: RowCounts = {
    rows: 0,
    headers: 0,
    blankLines: 0,
    accepted: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
  };
  let line = 0;
  let bytesRead = 0;

  // Sorts one line into the counts; returns the row to report when it is rejected or conflicting.
  const take = (text: string): RejectedRow | undefined => {
    line++;
    const first = text.charCodeAt(0);
    if (text.length === 0 || ((first === 32 || first === 9) && text.trim() === '')) {
      counts.blankLines++;
      return undefined;
    }
    counts.rows++;
    if (text.length > MAX_LINE_CHARS) {
      counts.rejected++;
      const reason = `line is longer than ${MAX_LINE_CHARS} characters: expected ${COLUMNS.join(',')}`;
      return { line, reason, raw: `${text.slice(0, 1000)}...`, conflict: false };
    }
    const split = splitCsvLine(text);
    const row = split.ok ? validateEventRow(split.fields) : split;
    if (!row.ok) {
      if (split.ok && isHeaderRow(split.fields)) {
        if (counts.rows === 1) {
          counts.headers++;
          return undefined;
        }
        counts.rejected++;
        const reason = 'a header line after the first row: expected an event (were two files joined?)';
        return { line, reason, raw: text, conflict: false };
      }
      counts.rejected++;
      return { line, reason: row.reason, raw: text, conflict: false };
    }
    const { customerId, eventType, transactionId, time } = row.event;
    const seen = ids.add(transactionId, contentFingerprint(customerId, eventType, time));
    if (seen === 'new') {
      aggregator.add(customerId, time);
      counts.accepted++;
      return undefined;
    }
    counts.duplicates++;
    if (seen === 'same') return undefined;
    counts.conflicts++;
    return {
      line,
      reason: `conflict: transaction_id ${show(transactionId)} came earlier with another customer, type or time; not counted again`,
      raw: text,
      conflict: true,
    };
  };
  const report = async (row: RejectedRow) => {
    await onReject(row);
    if (maxRejects !== undefined && counts.rejected > maxRejects) {
      throw new TooManyRejectsError({ ...counts }, maxRejects, row.line);
    }
  };

  try {
    for await (const chunk of decompress(input, (bytes) => (bytesRead += bytes))) {
      hash.update(chunk);
      for (const text of splitter.push(chunk)) {
        const row = take(text);
        if (row !== undefined) await report(row);
      }
      onProgress?.({ phase: 'reading', bytesRead, rows: counts.rows });
    }
    const last = splitter.end();
    const row = last === undefined ? undefined : take(last);
    if (row !== undefined) await report(row);
    onProgress?.({ phase: 'reading', bytesRead, rows: counts.rows });
  } finally {
    input.destroy();
  }
  return { loadId: hash.digest('hex'), ...counts, hours: [...aggregator.hours()] };
}

/** Applies chunks `concurrency` at a time; chunks applied by an earlier run are skipped. */
async function writeChunks(
  store: CounterStore,
  chunks: WriteChunk[],
  concurrency: number,
  onProgress: ((progress: LoadProgress) => void) | undefined,
) {
  const stats = { chunks: chunks.length, chunksApplied: 0, chunksSkipped: 0, itemsWritten: 0 };
  let next = 0;
  let failure: { sequence: number; error: unknown } | undefined;
  const worker = async () => {
    // After a failure no new chunk starts; those in flight finish, so the counts are exact.
    while (failure === undefined && next < chunks.length) {
      const chunk = chunks[next++] as WriteChunk;
      try {
        const outcome = await store.applyChunk(chunk);
        if (outcome.status === 'applied') {
          stats.chunksApplied++;
          stats.itemsWritten += outcome.itemsWritten;
        } else {
          stats.chunksSkipped++;
        }
      } catch (error) {
        failure ??= { sequence: chunk.sequence, error };
        return;
      }
      onProgress?.({
        phase: 'writing',
        chunksDone: stats.chunksApplied + stats.chunksSkipped,
        chunks: chunks.length,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, chunks.length)) }, worker));
  if (failure !== undefined) {
    throw new ChunkWriteError(
      failure.sequence,
      stats.chunks,
      stats.chunksApplied,
      stats.chunksSkipped,
      failure.error,
    );
  }
  return stats;
}

/**
 * Loads a CSV of events into the counter store exactly once: the content hash identifies the
 * load and each transaction is guarded by a marker, so loading the same content again, or
 * re-running after a crash, never counts an event twice. A different file adds its events.
 *
 * @throws TooManyRejectsError when more than `maxRejects` rows are rejected (nothing is written).
 * @throws InputReadError when the input cannot be read (nothing is written).
 * @throws ChunkWriteError when a chunk fails after its retries; re-running resumes the load.
 */
export async function loadEvents({
  store,
  input,
  source,
  onReject,
  concurrency = DEFAULT_CONCURRENCY,
  maxRejects,
  onProgress,
  expectedRows,
}: LoadOptions): Promise<LoadSummary> {
  const startedAt = performance.now();
  let read: ReadResult;
  try {
    read = await readEvents(input, onReject, { maxRejects, onProgress, expectedRows });
  } catch (error) {
    throw error instanceof TooManyRejectsError ? error : new InputReadError(source, error);
  }
  const readSeconds = (performance.now() - startedAt) / 1000;
  const { hours, ...counts } = read;
  const done = await store.getLoad(read.loadId);
  const written = done
    ? { chunks: done.chunks, chunksApplied: 0, chunksSkipped: done.chunks, itemsWritten: 0 }
    : await writeChunks(store, planChunks(read.loadId, hours), concurrency, onProgress);
  if (!done) {
    await store.completeLoad({
      loadId: read.loadId,
      source,
      completedAt: new Date().toISOString(),
      rows: read.rows,
      accepted: read.accepted,
      chunks: written.chunks,
    });
  }
  return {
    ...counts,
    source,
    ...written,
    alreadyLoaded: done !== undefined,
    readSeconds,
    seconds: (performance.now() - startedAt) / 1000,
  };
}
