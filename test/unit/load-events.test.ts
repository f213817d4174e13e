import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { RetryPolicy } from '../../core/retry';
import { MAX_LINE_CHARS } from '../../loader/csv-lines';
import {
  type LoadProgress,
  loadEvents,
  NoEventsError,
  type RejectedRow,
  TooManyRejectsError,
} from '../../loader/load-events';
import { FakeDynamoDb, fakeStore, mockDocumentClient, serveFake } from '../support/fake-dynamodb';

// One line per case; the comment gives the line number and what the loader must make of it.
const MIXED = [
  '\uFEFFcustomer_id,event_type,transaction_id,timestamp\r', //  1 BOM + header + CRLF
  'C1,INGEST,t1,2021-03-01 00:03:21.74+00\r', //                   2 accepted
  '\r', //                                                         3 blank
  '"C1","INGEST","t2, with comma",2021-03-01 00:10:00+00', //      4 accepted, quoted
  'C1,INGEST,t1,2021-03-01 00:03:21.74+00', //                     5 duplicate
  'C1,INGEST,t1,2021-03-01 00:04:00+00', //                        6 duplicate, conflict (other time)
  'C1,INGEST,t3', //                                               7 3 fields
  ',INGEST,t4,2021-03-01 01:00:00+00', //                          8 empty customer_id
  'C1,INGEST,,2021-03-01 01:00:00+00', //                          9 empty transaction_id
  'C1,INGEST,t5,not a time', //                                   10 unparsable timestamp
  'C1,INGEST,t6,1969-12-31 23:59:59+00', //                       11 out of range
  'C1,INGEST,"t7,2021-03-01 01:00:00+00', //                      12 unclosed quote
  'C1,INGEST,t8,2021-03-01 02:00:00+00', //                       13 accepted after the bad quote
  'customer_id,event_type,transaction_id,timestamp', //           14 a second header
  '  \t', //                                                      15 blank
  'C1,INGEST,"t9"x,2021-03-01 02:30:00+00', //                    16 text after a closing quote
  'C2,INGEST,t1,2021-03-01 00:03:21.74+00', //                    17 accepted: t1 of another customer
  'C1,INGEST,t10,2021-03-01 02:30:00+00', //                      18 accepted, no final line break
].join('\n');

const dynamo = mockDocumentClient();
let fake: FakeDynamoDb;
const policy: RetryPolicy = { maxElapsedMs: 1_000, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };

beforeEach(() => {
  fake = new FakeDynamoDb();
  serveFake(dynamo, fake);
});
afterAll(() => dynamo.restore());

async function load(input: string | Buffer, options: { chunkSize?: number; maxRejects?: number } = {}) {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const size = options.chunkSize ?? Math.max(1, bytes.length);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const rejects: RejectedRow[] = [];
  const summary = await loadEvents({
    store: fakeStore(policy),
    input: Readable.from(chunks),
    source: 'test.csv',
    onReject: (row) => void rejects.push(row),
    maxRejects: options.maxRejects,
  });
  return { summary, rejects };
}

function counts(summary: Awaited<ReturnType<typeof load>>['summary']) {
  const { rows, headers, blankLines, accepted, duplicates, alreadyCounted, conflicts, rejected } = summary;
  return { rows, headers, blankLines, accepted, duplicates, alreadyCounted, conflicts, rejected };
}

describe('loadEvents reading', () => {
  it('sorts every line of a mixed file, and the counts add up', async () => {
    const { summary } = await load(MIXED);

    expect(counts(summary)).toEqual({
      rows: 16,
      headers: 1,
      blankLines: 2,
      accepted: 5,
      duplicates: 2,
      alreadyCounted: 0,
      conflicts: 1,
      rejected: 8,
    });
    expect(summary.accepted + summary.duplicates + summary.rejected + summary.headers).toBe(summary.rows);
  });

  it('reports each rejected or conflicting row with its line number, reason and raw text', async () => {
    const { rejects } = await load(MIXED);

    // Rejected rows as they are read; conflicts when the buffer is written, once the table is read.
    expect(rejects.map(({ line, conflict }) => [line, conflict])).toEqual([
      [7, false],
      [8, false],
      [9, false],
      [10, false],
      [11, false],
      [12, false],
      [14, false],
      [16, false],
      [6, true],
    ]);
    const reasons = Object.fromEntries(rejects.map((row) => [row.line, row.reason]));
    expect(reasons[6]).toMatch(/^conflict: transaction_id "t1" came earlier in this input/);
    expect(reasons[7]).toBe('expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 3');
    expect(reasons[8]).toMatch(/^customer_id is empty/);
    expect(reasons[9]).toMatch(/^transaction_id is empty/);
    expect(reasons[10]).toMatch(/^timestamp "not a time" is invalid/);
    expect(reasons[11]).toMatch(/outside 1970-01-01 to 9999-12-31 UTC/);
    expect(reasons[12]).toBe('malformed CSV quoting: a quoted field is not closed');
    expect(reasons[14]).toMatch(/^a header line after the first row/);
    expect(reasons[16]).toBe(
      'malformed CSV quoting: a closing quote is followed by other characters than a comma',
    );
    expect(rejects.find((row) => row.line === 12)?.raw).toBe('C1,INGEST,"t7,2021-03-01 01:00:00+00');
  });

  it('counts the accepted events into hourly counters', async () => {
    await load(MIXED);

    expect(fake.counters()).toEqual(
      new Map([
        ['C1|2021-03-01T00', 2],
        ['C1|2021-03-01T02', 2],
        ['C2|2021-03-01T00', 1],
      ]),
    );
  });

  it('reads the same when the bytes arrive one at a time (CRLF, BOM and UTF-8 split across chunks)', async () => {
    const text = `${MIXED}\nC1,INGEST,é-ü-€,2021-03-01 03:00:00+00\r\n`;

    const whole = await load(text);
    fake = new FakeDynamoDb();
    serveFake(dynamo, fake);
    const bytewise = await load(text, { chunkSize: 1 });

    expect(counts(bytewise.summary)).toEqual(counts(whole.summary));
    expect(bytewise.rejects).toEqual(whole.rejects);
    expect(whole.summary.accepted).toBe(6);
  });

  it('reads gzip, detected by its bytes, as the plain text', async () => {
    const { summary } = await load(gzipSync(MIXED), { chunkSize: 7 });

    expect(summary.accepted).toBe(5);
    expect(fake.counters().get('C1|2021-03-01T02')).toBe(2);
  });

  it('trims spaces and tabs around fields: " t1", "t1 " and "t1" are one event', async () => {
    const { summary } = await load(
      [
        'C1,INGEST,t1,2021-03-01 00:00:00+00',
        'C1,INGEST, t1,2021-03-01 00:00:00+00',
        ' C1 ,INGEST,t1\t,2021-03-01 00:00:00+00 ',
      ].join('\n'),
    );

    expect([summary.accepted, summary.duplicates]).toEqual([1, 2]);
  });

  it('never merges transaction_ids whose bytes differ, even when they are not UTF-8', async () => {
    const latin1 = (id: string) =>
      Buffer.concat([
        Buffer.from('C1,INGEST,'),
        Buffer.from(id, 'latin1'),
        Buffer.from(',2021-03-01 00:00:00+00\n'),
      ]);
    const { summary } = await load(
      Buffer.concat([latin1('caf\u00e9'), latin1('caf\u00e8'), latin1('caf\u00e9')]),
    );

    expect([summary.accepted, summary.duplicates]).toEqual([2, 1]);
  });

  it.each([
    ['an empty input', Buffer.alloc(0), /test\.csv holds no rows; nothing was written/],
    ['UTF-16', Buffer.from('\ufeffC1,INGEST,t1,2021-03-01 00:00:00+00\n', 'utf16le'), /looks like UTF-16/],
    ['binary', Buffer.from([0x00, 0x01, 0x02, 0x0a, 0x00, 0xff, 0x0a]), /NUL bytes/],
    [
      'CR-only line ends',
      Buffer.from('C1,INGEST,t1,2021-03-01 00:00:00+00\rC1,INGEST,t2,2021-03-01 00:00:00+00\r'),
      /CR alone/,
    ],
  ])('refuses %s with NoEventsError and writes nothing', async (_name, bytes, message) => {
    const error = await load(bytes).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NoEventsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/nothing was written$/);
    expect(fake.calls.filter((call) => call.command !== 'Query')).toEqual([]);
  });

  it('counts a header only as the first row, and a file of data only as data', async () => {
    const { summary } = await load('C1,INGEST,t1,2021-03-01 00:00:00+00\n');

    expect([summary.headers, summary.accepted]).toEqual([0, 1]);
  });

  it('rejects an overlong line without keeping it whole, and reads on', async () => {
    const long = `C1,INGEST,${'x'.repeat(MAX_LINE_CHARS * 3)},2021-03-01 00:00:00+00`;

    const { summary, rejects } = await load(`${long}\nC1,INGEST,t1,2021-03-01 00:00:00+00\n`, {
      chunkSize: 4096,
    });

    expect([summary.rejected, summary.accepted]).toEqual([1, 1]);
    expect(rejects[0]?.reason).toBe(
      `line is longer than ${MAX_LINE_CHARS} characters: expected customer_id,event_type,transaction_id,timestamp`,
    );
    expect(rejects[0]?.raw.length).toBeLessThan(1100);
  });

  it('stops with TooManyRejectsError at the first reject past maxRejects; conflicts do not count', async () => {
    await expect(load(MIXED, { maxRejects: 8 })).resolves.toBeDefined();
    fake = new FakeDynamoDb();
    serveFake(dynamo, fake);

    const error = await load(MIXED, { maxRejects: 7 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TooManyRejectsError);
    expect((error as TooManyRejectsError).line).toBe(16);
    expect((error as TooManyRejectsError).counts.rejected).toBe(8);
    expect((error as Error).message).toBe(
      '8 rejected rows exceed --max-rejects 7 (stopped at line 16); nothing was written',
    );
    expect(fake.counters().size).toBe(0);
  });

  it('waits for a slow rejects writer before reading on', async () => {
    const order: string[] = [];
    await loadEvents({
      store: fakeStore(policy),
      input: Readable.from(['C1,INGEST,t1\nC1,INGEST,t2\nC1,INGEST,t3,2021-03-01 00:00:00+00\n']),
      source: 'x',
      onReject: async (row) => {
        order.push(`start ${row.line}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${row.line}`);
      },
    });

    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('reports progress in input bytes and rows, then in hours written', async () => {
    const seen: LoadProgress[] = [];
    await loadEvents({
      store: fakeStore(policy),
      input: Readable.from([Buffer.from(MIXED)]),
      source: 'x',
      onProgress: (progress) => seen.push(progress),
    });

    expect(seen).toContainEqual({ phase: 'reading', bytesRead: Buffer.byteLength(MIXED), rows: 16 });
    expect(seen.at(-1)).toEqual({ phase: 'writing', hoursDone: 3, hours: 3 });
  });
});
