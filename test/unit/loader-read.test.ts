import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MAX_LINE_CHARS } from '../../loader/csv-lines';
import { type ReadResult, type RejectedRow, readEvents, TooManyRejectsError } from '../../loader/load-events';

const HOUR = 3_600_000;
const MARCH_1 = Date.UTC(2021, 2, 1);

// One line per case; the comment gives the line number and what the loader must make of it.
const MIXED = [
  '\uFEFFcustomer_id,event_type,transaction_id,timestamp\r', //  1 BOM + header + CRLF
  'C1,INGEST,t1,2021-03-01 00:03:21.74+00\r', //                   2 accepted
  '\r', //                                                         3 blank
  '"C1","INGEST","t2, with comma",2021-03-01 00:10:00+00', //      4 accepted, quoted
  'C1,INGEST,t1,2021-03-01 00:03:21.74+00', //                     5 duplicate
  'C2,INGEST,t1,2021-03-01 00:03:21.74+00', //                     6 duplicate, conflict
  'C1,INGEST,t3', //                                               7 3 fields
  ',INGEST,t4,2021-03-01 01:00:00+00', //                          8 empty customer_id
  'C1,INGEST,,2021-03-01 01:00:00+00', //                          9 empty transaction_id
  'C1,INGEST,t5,not a time', //                                   10 unparsable timestamp
  'C1,INGEST,t6,1969-12-31 23:59:59+00', //                       11 out of range
  'C1,INGEST,"t7,2021-03-01 01:00:00+00', //                      12 unclosed quote
  'C1,INGEST,t8,2021-03-01 02:00:00+00', //                       13 accepted after the bad quote
  'customer_id,event_type,transaction_id,timestamp', //           14 a second header
  '  \t', //                                                      15 blank
  'C1,INGEST,t9,2021-03-01 02:30:00+00', //                       16 accepted, no final line break
].join('\n');

async function read(input: string | Buffer, chunkSize?: number, maxRejects?: number) {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize ?? bytes.length) {
    chunks.push(bytes.subarray(at, at + (chunkSize ?? bytes.length)));
  }
  const rejects: RejectedRow[] = [];
  const result = await readEvents(Readable.from(chunks), (row) => void rejects.push(row), { maxRejects });
  return { result, rejects };
}

function counts({ hours: _hours, loadId: _loadId, ...rest }: ReadResult) {
  return rest;
}

describe('readEvents', () => {
  it('sorts every line of a mixed file, and the counts add up', async () => {
    const { result } = await read(MIXED);

    expect(counts(result)).toEqual({
      rows: 14,
      headers: 1,
      blankLines: 2,
      accepted: 4,
      duplicates: 2,
      conflicts: 1,
      rejected: 7,
    });
    expect(result.accepted + result.duplicates + result.rejected + result.headers).toBe(result.rows);
  });

  it('reports each rejected or conflicting row with its line number, reason and raw text', async () => {
    const { rejects } = await read(MIXED);

    expect(rejects.map(({ line, conflict }) => [line, conflict])).toEqual([
      [6, true],
      [7, false],
      [8, false],
      [9, false],
      [10, false],
      [11, false],
      [12, false],
      [14, false],
    ]);
    const reasons = Object.fromEntries(rejects.map((row) => [row.line, row.reason]));
    expect(reasons[6]).toMatch(/^conflict: transaction_id "t1" came earlier/);
    expect(reasons[7]).toBe('expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 3');
    expect(reasons[8]).toMatch(/^customer_id is empty/);
    expect(reasons[9]).toMatch(/^transaction_id is empty/);
    expect(reasons[10]).toMatch(/^timestamp "not a time" is invalid/);
    expect(reasons[11]).toMatch(/outside 1970-01-01 to 9999-12-31 UTC/);
    expect(reasons[12]).toBe('malformed CSV quoting: a quoted field is not closed');
    expect(reasons[14]).toMatch(/^a header line after the first row/);
    expect(rejects.find((row) => row.line === 12)?.raw).toBe('C1,INGEST,"t7,2021-03-01 01:00:00+00');
  });

  it('aggregates the accepted events into hourly time indexes', async () => {
    const { result } = await read(MIXED);

    expect(result.hours.map(({ customerId, hour, offsets }) => [customerId, hour, [...offsets]])).toEqual([
      ['C1', MARCH_1, [3 * 60_000 + 21_740, 10 * 60_000]],
      ['C1', MARCH_1 + 2 * HOUR, [0, 30 * 60_000]],
    ]);
  });

  it('reads the same when the bytes arrive one at a time (CRLF, BOM and UTF-8 split across chunks)', async () => {
    const text = `${MIXED}\nC1,INGEST,é-ü-€,2021-03-01 03:00:00+00\r\n`;

    const whole = await read(text);
    const bytewise = await read(text, 1);

    expect(counts(bytewise.result)).toEqual(counts(whole.result));
    expect(bytewise.result.loadId).toBe(whole.result.loadId);
    expect(bytewise.rejects).toEqual(whole.rejects);
    expect(counts(whole.result).accepted).toBe(5);
  });

  it('identifies a load by the SHA-256 of its content, gzip or not (gzip detected by its bytes)', async () => {
    const plain = await read(MIXED);
    const gzipped = await read(gzipSync(MIXED), 7);

    expect(plain.result.loadId).toBe(createHash('sha256').update(MIXED).digest('hex'));
    expect(gzipped.result.loadId).toBe(plain.result.loadId);
    expect(counts(gzipped.result)).toEqual(counts(plain.result));
  });

  it('reads an empty input as no rows', async () => {
    const { result } = await read('');

    expect(counts(result)).toEqual({
      rows: 0,
      headers: 0,
      blankLines: 0,
      accepted: 0,
      duplicates: 0,
      conflicts: 0,
      rejected: 0,
    });
    expect(result.hours).toEqual([]);
  });

  it('counts a header only as the first row, and a file of data only as data', async () => {
    const { result } = await read('C1,INGEST,t1,2021-03-01 00:00:00+00\n');

    expect(result.headers).toBe(0);
    expect(result.accepted).toBe(1);
  });

  it('rejects an overlong line without keeping it whole, and reads on', async () => {
    const long = `C1,INGEST,${'x'.repeat(MAX_LINE_CHARS * 3)},2021-03-01 00:00:00+00`;

    const { result, rejects } = await read(`${long}\nC1,INGEST,t1,2021-03-01 00:00:00+00\n`, 4096);

    expect([result.rejected, result.accepted]).toEqual([1, 1]);
    expect(rejects[0]?.reason).toBe(
      `line is longer than ${MAX_LINE_CHARS} characters: expected customer_id,event_type,transaction_id,timestamp`,
    );
    expect(rejects[0]?.raw.length).toBeLessThan(1100);
  });

  it('stops with TooManyRejectsError at the first reject past maxRejects; conflicts do not count', async () => {
    await expect(read(MIXED, undefined, 7)).resolves.toBeDefined();

    const error = await read(MIXED, undefined, 6).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TooManyRejectsError);
    expect((error as TooManyRejectsError).line).toBe(14);
    expect((error as TooManyRejectsError).counts.rejected).toBe(7);
    expect((error as Error).message).toBe(
      '7 rejected rows exceed --max-rejects 6 (stopped reading at line 14); nothing was written',
    );
  });

  it('waits for a slow rejects writer before reading on', async () => {
    const order: string[] = [];
    await readEvents(Readable.from(['C1,INGEST,t1\nC1,INGEST,t2\n']), async (row) => {
      order.push(`start ${row.line}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`end ${row.line}`);
    });

    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('reports progress in input bytes and rows', async () => {
    const seen: unknown[] = [];
    await readEvents(Readable.from([Buffer.from(MIXED)]), undefined, {
      onProgress: (progress) => seen.push(progress),
    });

    expect(seen.at(-1)).toEqual({ phase: 'reading', bytesRead: Buffer.byteLength(MIXED), rows: 14 });
  });
});
