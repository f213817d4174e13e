import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { contentFingerprint, digestTransactionId } from '../core/digests';
import { errorMessage } from '../core/errors';
import { HOUR_MS } from '../core/time';
import { MAX_LINE_CHARS, splitCsvLine, utf8, WholeLineSplitter } from './csv-lines';
import { CustomerTable } from './customers';
import { EVENT_WORDS, EventBuffer } from './event-buffer';
import { COLUMNS, isHeaderRow, validateEventRow } from './event-row';
import { PARSED_WORDS } from './parse-lines';
import { type ParsedPiece, parseInThisThread, parseInThreads } from './parse-threads';
import { SPILL_RECORD_WORDS, SpillFiles } from './spill';
import { emptyWriteStats, type WriteStore, writeBufferedHours } from './write-events';

/** A row the loader did not count, with its 1-based line number in the input. */
export interface RejectedRow {
  line: number;
  reason: string;
  /** The line as read (decoded as UTF-8); empty for a conflict found once the row had left memory. */
  raw: string;
  /** True for a reused transaction_id with other content: a duplicate, listed for review. */
  conflict: boolean;
}

/**
 * How the rows of an input were sorted. Blank lines are not rows; every other line is exactly one
 * of accepted, duplicate, rejected or header: `rows = accepted + duplicates + rejected + headers`.
 */
export interface RowCounts {
  rows: number;
  /** A header line as the first row (recognised by its column names). */
  headers: number;
  /** Lines holding nothing but whitespace; skipped and counted here, never rows. */
  blankLines: number;
  /** Events this load counted. */
  accepted: number;
  /**
   * Rows not counted because their transaction_id is counted in their customer and hour already:
   * earlier in this input, or by an earlier or concurrent load.
   */
  duplicates: number;
  /** The duplicates found in the table rather than in this input. */
  alreadyCounted: number;
  /** The duplicates whose content (type or time) differs from the event counted. */
  conflicts: number;
  rejected: number;
  /**
   * Rows read but not yet written or judged when the load stopped (an error); 0 for a load that
   * finished. A re-run counts them.
   */
  pending: number;
}

/** Where a load is, for a progress display. */
export type LoadProgress =
  | {
      phase: 'reading';
      /** Bytes of the input consumed so far, compressed if the input is gzip. */
      bytesRead: number;
      rows: number;
    }
  | { phase: 'writing'; hoursDone: number; hours: number };

/** The outcome of a load, for the summary line. */
export interface LoadSummary extends RowCounts {
  source: string;
  /** Times the buffer was written: once for an input that fits it. */
  writes: number;
  transactions: number;
  itemsWritten: number;
  seconds: number;
}

/** Events the loader holds before it writes them: about 70 bytes each (loader/event-buffer.ts). */
export const DEFAULT_BUFFER_EVENTS = 250_000;
/** Requests the loader keeps in flight by default. */
export const DEFAULT_CONCURRENCY = 8;

export interface LoadOptions {
  store: WriteStore;
  /** The raw bytes of the CSV, optionally gzip-compressed (detected by its magic bytes). */
  input: Readable;
  /** A name for the input (its path, or `-`), for messages. */
  source: string;
  /** Called for each rejected or conflicting row; the load waits while a returned promise is pending. */
  onReject?: (row: RejectedRow) => void | Promise<void>;
  onProgress?: (progress: LoadProgress) => void;
  /** Stop with TooManyRejectsError once more rows than this are rejected. */
  maxRejects?: number;
  /** Requests in flight at once (default `DEFAULT_CONCURRENCY`). */
  concurrency?: number;
  /** Events held before they are written (default `DEFAULT_BUFFER_EVENTS`). */
  bufferEvents?: number;
  /**
   * The input is the rest of a larger one, from a line start on (a byte range of an S3 object after
   * its first): its first bytes are then neither a gzip header nor a byte order mark, and its first
   * row is no header line, so each line is read as it would be in the whole input.
   */
  startsMidInput?: boolean;
  /** Where an input larger than the buffer is spilled (default: the system's temporary directory). */
  spillDirectory?: string;
  /**
   * Worker threads that read the rows from their bytes while this thread buffers and writes them
   * (default 0: all in this thread). Each row is taken in input order either way, so the counts,
   * rejects and messages are the same. The workers run the loader's TypeScript sources, so this
   * needs them run as such (`node --import tsx`, as `npm run load` does); a bundle keeps 0.
   */
  parseThreads?: number;
}

const written = (counts: RowCounts) =>
  counts.accepted > 0
    ? `${counts.accepted} events were counted before it stopped; re-running the same command counts the rest, never one twice`
    : 'nothing was written';

/** Thrown when more rows are rejected than `maxRejects` allows; the load stops there. */
export class TooManyRejectsError extends Error {
  constructor(
    readonly counts: RowCounts,
    readonly maxRejects: number,
    readonly line: number,
  ) {
    super(
      `${counts.rejected} rejected rows exceed --max-rejects ${maxRejects} (stopped at line ${line}); ${written(counts)}`,
    );
    this.name = 'TooManyRejectsError';
  }
}

/** Thrown when the input cannot be read (missing file, corrupt gzip). */
export class InputReadError extends Error {
  constructor(source: string, counts: RowCounts, cause: unknown) {
    super(`cannot read ${source}: ${errorMessage(cause)}; ${written(counts)}`, { cause });
    this.name = 'InputReadError';
  }
}

/** Thrown when the input holds no event at all: nothing is written. */
export class NoEventsError extends Error {
  constructor(
    source: string,
    readonly counts: RowCounts,
    hint: string,
  ) {
    const what =
      counts.rows === 0
        ? 'holds no rows'
        : `has no acceptable row (${counts.rejected} of ${counts.rows} rejected)`;
    super(`${source} ${what}${hint}; nothing was written`);
    this.name = 'NoEventsError';
  }
}

/** Thrown when writing fails after its retries; says how far the load got. Re-running finishes it. */
export class LoadWriteError extends Error {
  constructor(
    readonly counts: RowCounts,
    cause: unknown,
  ) {
    super(`writing failed: ${errorMessage(cause)}`, { cause });
    this.name = 'LoadWriteError';
  }
}

/** Yields the input's bytes, gunzipped when they start with the gzip magic number. */
async function* decompress(
  input: Readable,
  onBytes: (bytes: number) => void,
  detectGzip: boolean,
): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  // The magic number is two bytes, and a stream may deliver them in two chunks.
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2 && !ended) {
    const next = await iterator.next();
    if (next.done === true) ended = true;
    else head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  if (head.length === 0) return;
  async function* all(): AsyncGenerator<Buffer> {
    onBytes(head.length);
    yield head;
    if (ended) return;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      const chunk = Buffer.from(next.value);
      onBytes(chunk.length);
      yield chunk;
    }
  }
  if (detectGzip && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const compressed = Readable.from(all());
    compressed.on('error', (error) => gunzip.destroy(error));
    yield* compressed.pipe(gunzip);
  } else {
    yield* all();
  }
}

/** Why an input may have no acceptable row, judged from its first bytes. */
function encodingHint(head: Buffer | undefined): string {
  if (head === undefined || head.length === 0) return '';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    return ': it looks like UTF-16 (it starts with a UTF-16 byte order mark); convert it to UTF-8';
  }
  if (head.includes(0)) return ': it holds NUL bytes, so it is binary or UTF-16, not a UTF-8 CSV';
  if (!head.includes(0x0a) && head.includes(0x0d)) {
    return ': its lines end with CR alone (classic Mac); convert them to LF or CRLF';
  }
  return '';
}

/**
 * Streams a CSV of events into the counter store, counting each event at most once: an event is
 * its transaction_id within its customer and UTC hour, and a load counts it only if that hour
 * does not hold it yet (core/write-plan.ts, loader/write-events.ts). Each line is one record:
 * blank lines are counted apart, a first line made of the column names is a header, and every
 * other line is accepted, duplicate or rejected (see RowCounts). Events are held in a buffer of
 * `bufferEvents`; an input larger than that is spilled to files by (customer, hour) and written
 * by whole partitions, as many to a write as fit the buffer (loader/spill.ts), so memory does not
 * grow with the input and each hour is written once. Loading the same events again, in any order or encoding, or re-running a killed
 * load, counts nothing twice.
 *
 * @throws TooManyRejectsError when more than `maxRejects` rows are rejected.
 * @throws InputReadError when the input cannot be read.
 * @throws NoEventsError when the input holds no acceptable row (nothing is written).
 * @throws LoadWriteError when writing fails after its retries; re-running finishes the load.
 */
export async function loadEvents({
  store,
  input,
  source,
  onReject = () => {},
  onProgress,
  maxRejects,
  concurrency = DEFAULT_CONCURRENCY,
  bufferEvents = DEFAULT_BUFFER_EVENTS,
  startsMidInput = false,
  spillDirectory,
  parseThreads = 0,
}: LoadOptions): Promise<LoadSummary> {
  const startedAt = performance.now();
  const splitter = new WholeLineSplitter({ startsMidInput });
  const customers = new CustomerTable();
  // The load's number of each parser's customer numbers, by parser.
  const parsedCustomers: number[][] = [];
  const buffer = new EventBuffer(customers);
  const counts: RowCounts = {
    rows: 0,
    headers: 0,
    blankLines: 0,
    accepted: 0,
    duplicates: 0,
    alreadyCounted: 0,
    conflicts: 0,
    rejected: 0,
    pending: 0,
  };
  const totals = { writes: 0, transactions: 0, itemsWritten: 0 };
  let line = 0;
  let bytesRead = 0;
  let head: Buffer | undefined;
  let spill: SpillFiles | undefined;

  const reject = async (row: RejectedRow) => {
    await onReject(row);
    if (maxRejects !== undefined && counts.rejected > maxRejects) {
      throw new TooManyRejectsError(stopped(), maxRejects, row.line);
    }
  };

  /**
   * Buffers (or spills) one accepted row. Returns true when the row reuses a buffered
   * transaction_id with other content: the caller then keeps it with `buffer.addVariant`, with its
   * id and line as text, to be judged when the buffer is written (against the event the table
   * holds, if any, else the first one). The text is made only then, not for every row.
   */
  const keep = (
    customer: number,
    time: number,
    digestHi: number,
    digestLo: number,
    fingerprint: number,
  ): boolean => {
    if (spill !== undefined) {
      spill.addEvent(customer, time, digestHi, digestLo, fingerprint, line);
      return false;
    }
    const seen = buffer.add(customer, time, digestHi, digestLo, fingerprint, line);
    if (seen === 'same') counts.duplicates++;
    return seen === 'conflict';
  };

  // Sorts one line given as text (one character per byte) into the counts; returns the row to
  // report when it is rejected.
  const takeText = (text: string): RejectedRow | undefined => {
    const first = text.charCodeAt(0);
    if (text.length === 0 || ((first === 32 || first === 9) && text.trim() === '')) {
      counts.blankLines++;
      return undefined;
    }
    counts.rows++;
    if (text.length > MAX_LINE_CHARS) {
      counts.rejected++;
      const reason = `line is longer than ${MAX_LINE_CHARS} characters: expected ${COLUMNS.join(',')}`;
      return { line, reason, raw: `${utf8(text.slice(0, 1000))}...`, conflict: false };
    }
    const split = splitCsvLine(text);
    const row = split.ok ? validateEventRow(split.fields) : split;
    if (!row.ok) {
      if (split.ok && isHeaderRow(split.fields)) {
        if (counts.rows === 1 && !startsMidInput) {
          counts.headers++;
          return undefined;
        }
        counts.rejected++;
        const reason = 'a header line after the first row: expected an event (were two files joined?)';
        return { line, reason, raw: utf8(text), conflict: false };
      }
      counts.rejected++;
      return { line, reason: row.reason, raw: utf8(text), conflict: false };
    }
    const { customerId, eventType, transactionId, time } = row.event;
    const digest = digestTransactionId(transactionId);
    const fingerprint = contentFingerprint(eventType, time);
    if (keep(customers.numberOf(customerId), time, digest.hi, digest.lo, fingerprint)) {
      const { hi: digestHi, lo: digestLo } = digest;
      buffer.addVariant({ transactionId, raw: text, digestHi, digestLo, fingerprint, time, line });
    }
    return undefined;
  };

  /** The pieces of whole lines of the input, the last one without its line end. */
  async function* pieces(): AsyncGenerator<Buffer> {
    for await (const chunk of decompress(input, (bytes) => (bytesRead += bytes), !startsMidInput)) {
      head ??= Buffer.from(chunk.subarray(0, 4096));
      yield splitter.push(chunk);
    }
    yield splitter.end();
  }

  /**
   * Sorts the lines of one parsed piece into the counts, in order: a row read from its bytes is
   * kept, any other line is taken as text. Returns the rows to report (rejected) one at a time.
   */
  async function takePiece(piece: ParsedPiece): Promise<void> {
    const { bytes, bounds, count, rows, newCustomers, parser } = piece;
    let numbers = parsedCustomers[parser];
    if (numbers === undefined) {
      numbers = [];
      parsedCustomers[parser] = numbers;
    }
    for (const customerId of newCustomers) numbers.push(customers.numberOf(customerId));
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) {
      line++;
      const start = bounds[2 * i] as number;
      const end = bounds[2 * i + 1] as number;
      const at = i * PARSED_WORDS;
      const customer = rows[at] as number;
      let rejected: RejectedRow | undefined;
      if (customer === 0) {
        rejected = takeText(text.toString('latin1', start, Math.min(end, start + MAX_LINE_CHARS + 1)));
      } else {
        counts.rows++;
        const time = (rows[at + 1] as number) * HOUR_MS + (rows[at + 2] as number);
        const digestHi = rows[at + 3] as number;
        const digestLo = rows[at + 4] as number;
        const fingerprint = rows[at + 5] as number;
        if (keep(numbers[customer - 1] as number, time, digestHi, digestLo, fingerprint)) {
          buffer.addVariant({
            transactionId: text.toString('latin1', rows[at + 6] as number, rows[at + 7] as number),
            raw: text.toString('latin1', start, end),
            digestHi,
            digestLo,
            fingerprint,
            time,
            line,
          });
        }
      }
      if (rejected !== undefined) await reject(rejected);
      if (buffer.size >= bufferEvents) startSpilling();
    }
    onProgress?.({ phase: 'reading', bytesRead, rows: counts.rows });
  }

  /** The counts with the rows not yet written or judged, for an error. */
  const stopped = (): RowCounts => ({
    ...counts,
    pending: counts.rows - counts.accepted - counts.duplicates - counts.rejected - counts.headers,
  });
  /**
   * The buffer is full and the input goes on: from now on rows go to spill files by (customer,
   * hour), the buffer's rows first, and are written partition by partition once the input is read.
   */
  const startSpilling = () => {
    spill = new SpillFiles(64, spillDirectory, customers);
    for (const { customerId, hour, events, count, variants } of buffer.buffered()) {
      const customer = customers.numberOf(customerId);
      for (let at = 0; at < count * EVENT_WORDS; at += EVENT_WORDS) {
        spill.addEvent(
          customer,
          hour + (events[at] as number),
          events[at + 1] as number,
          events[at + 2] as number,
          events[at + 3] as number,
          events[at + 4] as number,
        );
      }
      for (const { time, digestHi, digestLo, fingerprint, line: variantLine } of variants) {
        spill.addEvent(customer, time, digestHi, digestLo, fingerprint, variantLine);
      }
    }
    buffer.clear();
  };

  /** Writes the spilled rows by whole partitions (whole hours), as many to a write as fit the buffer. */
  const writeSpilled = async (files: SpillFiles) => {
    for (let partition = 0; partition < files.partitions; partition++) {
      // Partitions share a write while they fit the buffer together: a few large hours (a
      // partition each) are then written side by side, `concurrency` at a time, not one by one.
      if (buffer.size > 0 && buffer.size + files.rowsIn(partition) > bufferEvents) await write();
      for (const block of files.readBlocks(partition)) {
        for (let at = 0; at < block.length; at += SPILL_RECORD_WORDS) {
          const time = (block[at + 1] as number) * HOUR_MS + (block[at + 2] as number);
          const digestHi = block[at + 3] as number;
          const digestLo = block[at + 4] as number;
          const fingerprint = block[at + 5] as number;
          const rowLine = block[at + 6] as number;
          const seen = buffer.add(block[at] as number, time, digestHi, digestLo, fingerprint, rowLine);
          if (seen === 'same') counts.duplicates++;
          // A row read back from spill files has left its id and its line's text behind.
          else if (seen === 'conflict') {
            buffer.addVariant({
              transactionId: '',
              raw: '',
              digestHi,
              digestLo,
              fingerprint,
              time,
              line: rowLine,
            });
          }
          // A partition larger than the buffer writes some of its hours more than once: still exact.
          if (buffer.size >= bufferEvents) await write();
        }
      }
    }
    await write();
  };

  const write = async () => {
    if (buffer.size === 0) return;
    const stats = emptyWriteStats();
    const add = () => {
      counts.accepted += stats.accepted;
      counts.duplicates += stats.alreadyCounted + stats.conflicts;
      counts.alreadyCounted += stats.alreadyCounted + stats.conflicts - stats.inputConflicts;
      counts.conflicts += stats.conflicts;
      totals.transactions += stats.transactions;
      totals.itemsWritten += stats.itemsWritten;
    };
    try {
      await writeBufferedHours(
        buffer.buffered(),
        {
          store,
          concurrency,
          onConflict: (conflictLine, reason, raw) =>
            onReject({ line: conflictLine, reason, raw: utf8(raw), conflict: true }),
          onProgress: (hoursDone, hours) => onProgress?.({ phase: 'writing', hoursDone, hours }),
        },
        stats,
      );
    } catch (error) {
      add();
      throw new LoadWriteError(stopped(), error);
    }
    add();
    totals.writes++;
    buffer.clear();
  };

  try {
    const parsed = parseThreads > 0 ? parseInThreads(pieces(), parseThreads) : parseInThisThread(pieces());
    for await (const piece of parsed) await takePiece(piece);
    onProgress?.({ phase: 'reading', bytesRead, rows: counts.rows });
  } catch (error) {
    spill?.remove();
    if (error instanceof TooManyRejectsError || error instanceof LoadWriteError) throw error;
    throw new InputReadError(source, stopped(), error);
  } finally {
    input.destroy();
  }
  if (counts.accepted + counts.duplicates === 0 && buffer.size === 0 && spill === undefined) {
    throw new NoEventsError(source, stopped(), encodingHint(head));
  }
  if (spill === undefined) {
    await write();
  } else {
    try {
      await writeSpilled(spill);
    } finally {
      spill.remove();
    }
  }
  return { ...counts, source, ...totals, seconds: (performance.now() - startedAt) / 1000 };
}
