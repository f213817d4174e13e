import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { type CounterStore, type HourAggregate, planChunks } from '../core/counter-store';
import { isHeaderRow, validateEventRow } from './event-row';
import { HourAggregator } from './hour-aggregator';

/** A row the loader did not count, with its 1-based line number in the input. */
export interface RejectedRow {
  line: number;
  reason: string;
  raw: string;
}

/** What reading a file found, before anything is written. */
export interface ReadResult {
  /** SHA-256 of the (decompressed) content: the identity of this load. */
  loadId: string;
  rows: number;
  headers: number;
  accepted: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  hours: HourAggregate[];
}

/** The outcome of a load, for the summary line. */
export interface LoadSummary {
  loadId: string;
  source: string;
  rows: number;
  headers: number;
  accepted: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  chunks: number;
  chunksApplied: number;
  chunksSkipped: number;
  itemsWritten: number;
  alreadyLoaded: boolean;
  seconds: number;
}

export interface LoadOptions {
  store: CounterStore;
  /** The raw bytes of the CSV, optionally gzip-compressed (detected by its magic bytes). */
  input: Readable;
  /** A name for the input (its path, or `-`), recorded with the load. */
  source: string;
  onReject?: (row: RejectedRow) => void;
  /** Transactions in flight at once. */
  concurrency?: number;
}

/** Yields the input's bytes, gunzipped when they start with the gzip magic number. */
async function* decompress(input: Readable): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      yield Buffer.from(next.value);
    }
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(all()).pipe(createGunzip());
  } else {
    yield* all();
  }
}

/**
 * Streams a CSV of events (no header line expected), validates each row, drops repeated
 * transaction_ids (a repeat with other content is a conflict) and aggregates the rest into
 * per-customer hourly time indexes. Every row ends up accepted, duplicate or rejected.
 */
export async function readEvents(
  input: Readable,
  onReject: (row: RejectedRow) => void = () => {},
): Promise<ReadResult> {
  const hash = createHash('sha256');
  const parser = parse({
    relax_column_count: true,
    bom: true,
    skip_empty_lines: true,
    info: true,
    raw: true,
  });
  const bytes = Readable.from(decompress(input));
  bytes.on('data', (chunk: Buffer) => hash.update(chunk));
  bytes.on('error', (error) => parser.destroy(error));
  bytes.pipe(parser);

  const aggregator = new HourAggregator();
  // transaction_id -> the rest of the row, to tell a repeat from a conflicting reuse of the id.
  const seen = new Map<string, string>();
  const result = { rows: 0, headers: 0, accepted: 0, duplicates: 0, conflicts: 0, rejected: 0 };
  for await (const { record, info, raw } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
    raw: string;
  }>) {
    result.rows++;
    const line = info.lines;
    if (result.rows === 1 && isHeaderRow(record)) {
      result.headers++;
      continue;
    }
    const row = validateEventRow(record);
    if (!row.ok) {
      result.rejected++;
      onReject({ line, reason: row.reason, raw: raw.replace(/\r?\n$/, '') });
      continue;
    }
    const { customerId, eventType, transactionId, time } = row.event;
    const content = `${customerId},${eventType},${time}`;
    const earlier = seen.get(transactionId);
    if (earlier !== undefined) {
      result.duplicates++;
      if (earlier !== content) {
        result.conflicts++;
        onReject({
          line,
          reason: `conflict: transaction_id ${JSON.stringify(transactionId)} was seen earlier with other content`,
          raw: raw.replace(/\r?\n$/, ''),
        });
      }
      continue;
    }
    seen.set(transactionId, content);
    aggregator.add(customerId, time);
    result.accepted++;
  }
  return { loadId: hash.digest('hex'), ...result, hours: [...aggregator.hours()] };
}

/** Applies the chunks of a load, `concurrency` at a time; chunks applied by an earlier run are skipped. */
async function writeChunks(store: CounterStore, loadId: string, hours: HourAggregate[], concurrency: number) {
  const chunks = planChunks(loadId, hours);
  const stats = { chunks: chunks.length, chunksApplied: 0, chunksSkipped: 0, itemsWritten: 0 };
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      if (chunk === undefined) return;
      const outcome = await store.applyChunk(chunk);
      if (outcome.status === 'applied') {
        stats.chunksApplied++;
        stats.itemsWritten += outcome.itemsWritten;
      } else {
        stats.chunksSkipped++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return stats;
}

/**
 * Loads a CSV of events into the counter store exactly once: the content hash identifies the
 * load, each transaction is guarded by a marker, so loading the same content again, or re-running
 * after a crash, never counts an event twice. A different file adds its events.
 */
export async function loadEvents({
  store,
  input,
  source,
  onReject,
  concurrency = 8,
}: LoadOptions): Promise<LoadSummary> {
  const startedAt = performance.now();
  const read = await readEvents(input, onReject);
  const { hours, ...counts } = read;
  const done = await store.getLoad(read.loadId);
  const written = done
    ? { chunks: done.chunks, chunksApplied: 0, chunksSkipped: done.chunks, itemsWritten: 0 }
    : await writeChunks(store, read.loadId, hours, concurrency);
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
    seconds: (performance.now() - startedAt) / 1000,
  };
}
