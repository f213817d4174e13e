import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { type LoadSummary, LoadWriteError, loadEvents, type RejectedRow } from '../../loader/load-events';
import type { WriteStore } from '../../loader/write-events';
import { compareWithRecount } from '../support/counts';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { lf, shuffled, slice } from '../support/events';
import { runLoader } from '../support/loader-cli';
import { recountInputs } from '../support/recount';
import { sampleLines } from '../support/sample';

/*
 * Issue 10: an event is its transaction_id within its customer and UTC hour, and whatever files
 * carry it, in whatever encoding, order or number of loads, it is counted once. Each case loads
 * into a fresh table and compares every (customer, hour) counter, and ranges with partial edge
 * hours, with a recount made without the loader (test/support/recount.ts).
 */

const HEADER = 'customer_id,event_type,transaction_id,timestamp';

/**
 * The line with its `2021-03-01 00:03:21.74+00` timestamp written another way: the same instant
 * as local time at `offsetMinutes` from UTC, ISO-8601 with `T`, three fraction digits and `Z` or
 * `±HH:MM`.
 */
function withIsoTimestamp(line: string, offsetMinutes: number): string {
  const fields = line.split(',');
  const stamp = fields.pop() as string;
  const time = Date.parse(`${stamp.slice(0, 10)}T${stamp.slice(11, -3)}Z`);
  const local = new Date(time + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return [...fields, `${local}${zone}`].join(',');
}

/** The input as a stream of odd-sized chunks: a line end, a CRLF or the BOM may straddle two chunks. */
function chunked(bytes: Buffer | string, sizes = [2, 1, 4093]): Readable {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < buffer.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)] as number;
    chunks.push(buffer.subarray(at, at + size));
    at += size;
  }
  return Readable.from(chunks);
}

/** The distinct events of an input as the recount reads them, in a canonical order. */
function eventSet(input: Buffer | string): string[] {
  return recountInputs([input])
    .events.map((e) => [e.customer, e.eventType, JSON.stringify(e.transactionId), e.time].join(' '))
    .sort();
}

interface Loaded extends LoadSummary {
  rejects: RejectedRow[];
}

async function load(
  store: WriteStore,
  bytes: Buffer | string,
  options: { bufferEvents?: number; concurrency?: number; sizes?: number[] } = {},
): Promise<Loaded> {
  const rejects: RejectedRow[] = [];
  const summary = await loadEvents({
    store,
    input: chunked(bytes, options.sizes),
    source: 'test input',
    bufferEvents: options.bufferEvents,
    concurrency: options.concurrency,
    onReject: (row) => {
      rejects.push(row);
    },
  });
  return { ...summary, rejects: rejects.sort((a, b) => a.line - b.line) };
}

describe('loading the same events more than once (each event counted once)', () => {
  const sample = sampleLines();
  /** The sample's first day: every customer with events that day, 2021-03-01 00:00 to 23:59. */
  const firstDay = sample.filter((line) => line.includes(',2021-03-01 '));
  const tables: TestTable[] = [];
  let dir: string;

  const newTable = async () => {
    const table = await createTestTable('exactly-once');
    tables.push(table);
    return table;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'exactly-once-'));
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses data with many (customer, hour) pairs and no repeated event', () => {
    const recount = recountInputs([lf(sample)]);
    const pairs = new Set(recount.events.map((e) => `${e.customer} ${Math.floor(e.time / 3_600_000)}`));

    expect(recount.events).toHaveLength(sample.length);
    expect(recount.unreadable).toEqual([]);
    expect(pairs.size).toBeGreaterThan(200);
    expect(firstDay.length).toBeGreaterThan(3000);
  });

  it('counts nothing twice when the same sample is loaded again, in one or in many buffer writes', async () => {
    const table = await newTable();
    const text = lf(sample);

    const first = await load(table.store, text, { bufferEvents: 500 });
    const again = await load(table.store, text);

    expect(first).toMatchObject({ rows: sample.length, accepted: sample.length, duplicates: 0 });
    expect(first.writes).toBeGreaterThan(10);
    expect(again).toMatchObject({
      rows: sample.length,
      accepted: 0,
      duplicates: sample.length,
      alreadyCounted: sample.length,
      conflicts: 0,
      transactions: 0,
      itemsWritten: 0,
    });
    const { actual, expected } = await compareWithRecount(table.store, recountInputs([text]).events);
    expect(actual).toEqual(expected);
  });

  describe('a re-encoded copy of the same events', () => {
    const lines = firstDay;
    const variants: [string, () => Buffer | string, { headers?: number; blankLines?: number }][] = [
      ['CRLF line ends', () => lines.map((line) => `${line}\r\n`).join(''), {}],
      ['a header line', () => lf([HEADER, ...lines]), { headers: 1 }],
      ['a UTF-8 byte order mark', () => `\ufeff${lf(lines)}`, {}],
      [
        'a BOM, a header and CRLF together',
        () => `\ufeff${[HEADER, ...lines, ''].join('\r\n')}`,
        { headers: 1 },
      ],
      ['the rows in reverse order', () => lf([...lines].reverse()), {}],
      ['the rows shuffled', () => lf(shuffled(lines, 7)), {}],
      ['one more newline at the end', () => `${lf(lines)}\n`, { blankLines: 1 }],
      ['no newline after the last row', () => lines.join('\n'), {}],
      ['gzip compression', () => gzipSync(lf(lines)), {}],
      [
        'spaces and tabs around every field',
        () =>
          lf(
            lines.map((line) =>
              line
                .split(',')
                .map((field, i) => (i % 2 ? `\t${field} ` : ` ${field}\t`))
                .join(','),
            ),
          ),
        {},
      ],
      ['ISO-8601 timestamps (T, .740, Z)', () => lf(lines.map((line) => withIsoTimestamp(line, 0))), {}],
      [
        'local timestamps at +05:30 and -03:00',
        () => lf(lines.map((line, i) => withIsoTimestamp(line, i % 2 ? 330 : -180))),
        {},
      ],
      ['every field quoted', () => lf(lines.map((line) => `"${line.split(',').join('","')}"`)), {}],
    ];

    it.each(variants)(
      'counts each event once when the copy with %s and the original are both loaded',
      async (_name, encode, shape) => {
        const table = await newTable();
        const copy = encode();
        const original = lf(lines);

        const fromCopy = await load(table.store, copy);
        const fromOriginal = await load(table.store, original);

        // The recount reads the copy as the same events too, so the comparison below is fair.
        expect(eventSet(copy)).toEqual(eventSet(original));
        expect(fromCopy).toMatchObject({
          rows: lines.length + (shape.headers ?? 0),
          headers: shape.headers ?? 0,
          blankLines: shape.blankLines ?? 0,
          accepted: lines.length,
          duplicates: 0,
          rejected: 0,
        });
        expect(fromOriginal).toMatchObject({ accepted: 0, alreadyCounted: lines.length, rejected: 0 });
        const { actual, expected } = await compareWithRecount(
          table.store,
          recountInputs([copy, original]).events,
        );
        expect(actual).toEqual(expected);
      },
    );

    it('reads a gzip input whose first chunk is a single byte (a slow pipe)', async () => {
      const table = await newTable();
      const gzip = gzipSync(lf(lines));

      const loaded = await load(table.store, gzip, { sizes: [1, 4093] });

      expect(loaded).toMatchObject({ rows: lines.length, accepted: lines.length, rejected: 0 });
    });

    it('through the CLI: a file, its gzip copy, then a shuffled CRLF copy on stdin (-)', async () => {
      const table = await newTable();
      const target = ['--endpoint', table.endpoint, '--table', table.tableName, '--json'];
      const file = join(dir, 'first-day.csv');
      writeFileSync(file, lf(lines));
      writeFileSync(`${file}.gz`, gzipSync(lf(lines)));
      const stdin = shuffled(lines, 11)
        .map((line) => `${line}\r\n`)
        .join('');

      const runs = [
        await runLoader([file, ...target, '--buffer-events', '900']),
        await runLoader([`${file}.gz`, ...target]),
        await runLoader(['-', ...target], { stdin }),
      ];

      expect(runs.map((run) => [run.code, run.stderr])).toEqual([
        [0, ''],
        [0, ''],
        [0, ''],
      ]);
      expect(runs.map((run) => JSON.parse(run.stdout))).toMatchObject([
        { status: 'loaded', rows: lines.length, accepted: lines.length },
        { status: 'loaded', rows: lines.length, accepted: 0, alreadyCounted: lines.length, itemsWritten: 0 },
        { status: 'loaded', source: '-', rows: lines.length, accepted: 0, alreadyCounted: lines.length },
      ]);
      const { actual, expected } = await compareWithRecount(table.store, recountInputs([lf(lines)]).events);
      expect(actual).toEqual(expected);
    });
  });

  it('counts the overlap of two exports once (rows 1-60%, then 40-100%)', async () => {
    const table = await newTable();
    const early = lf(slice(sample, 0, 0.6));
    const late = lf(slice(sample, 0.4, 1));
    const overlap = slice(sample, 0.4, 0.6).length;

    const first = await load(table.store, early, { bufferEvents: 500 });
    const second = await load(table.store, late, { bufferEvents: 500 });

    expect(first.accepted).toBe(slice(sample, 0, 0.6).length);
    expect(second).toMatchObject({
      accepted: slice(sample, 0.6, 1).length,
      alreadyCounted: overlap,
      conflicts: 0,
    });
    expect(first.accepted + second.accepted).toBe(sample.length);
    const { actual, expected } = await compareWithRecount(table.store, recountInputs([early, late]).events);
    expect(actual).toEqual(expected);
  });

  it('counts a cumulative export once (day 1, then days 1 and 2)', async () => {
    const table = await newTable();
    const dayOne = sample.filter((line) => line.includes(',2021-03-01 '));
    const daysOneTwo = shuffled(
      sample.filter((line) => / 2021-03-0[12] /.test(line.replace(/,/g, ' '))),
      3,
    );

    const first = await load(table.store, lf(dayOne));
    const second = await load(table.store, lf(daysOneTwo), { bufferEvents: 2000 });

    expect(second).toMatchObject({
      rows: daysOneTwo.length,
      accepted: daysOneTwo.length - dayOne.length,
      alreadyCounted: dayOne.length,
    });
    expect(first.accepted).toBe(dayOne.length);
    const { actual, expected } = await compareWithRecount(
      table.store,
      recountInputs([lf(dayOne), lf(daysOneTwo)]).events,
    );
    expect(actual).toEqual(expected);
  });

  describe('a load that failed midway, then re-run', () => {
    /**
     * The table's store, except that its `failAt`-th transaction fails: before it is sent, or
     * after it committed (the response was lost). Tallies the events its transactions committed.
     */
    function failingStore(table: TestTable, failAt: number, when: 'before' | 'after') {
      let sent = 0;
      const tally = { committedEvents: 0, transactions: 0 };
      const store: WriteStore = {
        ...table.store,
        async commit(transaction) {
          sent++;
          if (sent === failAt && when === 'before') throw new Error('socket hang up (injected)');
          const outcome = await table.store.commit(transaction);
          if (outcome === 'committed') {
            tally.transactions++;
            for (const write of transaction.writes) tally.committedEvents += write.offsets.length;
          }
          if (sent === failAt) throw new Error('response lost after the transaction committed (injected)');
          return outcome;
        },
      };
      return { store, tally };
    }

    it.each([
      ['before its 6th transaction is sent', 'before'],
      ['after its 6th transaction committed but the response was lost', 'after'],
    ] as const)('counts every event once when the first run failed %s', async (_name, when) => {
      const table = await newTable();
      const text = lf(sample);
      const { store, tally } = failingStore(table, 6, when);

      const failure = await load(store, text, { bufferEvents: 500, concurrency: 2 }).catch(
        (error: unknown) => error,
      );
      const rerun = await load(table.store, text, { bufferEvents: 500 });

      expect(failure).toBeInstanceOf(LoadWriteError);
      expect(tally.transactions).toBeGreaterThanOrEqual(when === 'after' ? 6 : 5);
      expect(tally.committedEvents).toBeGreaterThan(0);
      expect(tally.committedEvents).toBeLessThan(sample.length);
      expect(rerun).toMatchObject({
        accepted: sample.length - tally.committedEvents,
        alreadyCounted: tally.committedEvents,
        conflicts: 0,
      });
      const { actual, expected } = await compareWithRecount(table.store, recountInputs([text]).events);
      expect(actual).toEqual(expected);
    });
  });

  describe('transaction_ids reused, trimmed or made of other bytes', () => {
    it('does not count a reused id with another time or type in the same customer and hour, and reports its line', async () => {
      const table = await newTable();
      const earlier = lf([
        'acme,INGEST,t1,2021-03-01 10:05:00+00',
        'acme,INGEST,t2,2021-03-01 10:06:00.5+00',
      ]);
      const later = lf([
        'acme,INGEST,t2,2021-03-01 10:06:00.5+00', //          1 counted before: duplicate
        'acme,INGEST,t1,2021-03-01 10:20:00+00', //            2 same hour, other time: conflict
        'acme,INGEST-WITH-PROXY,t1,2021-03-01 10:05:00+00', // 3 other type: conflict with the counted t1
        'acme,INGEST,t1,2021-03-01 11:05:00+00', //            4 another hour: another event
        'acme,INGEST,t1,2021-03-02 10:05:00+00', //            5 another day: another event
        'bolt,INGEST,t1,2021-03-01 10:05:00+00', //            6 another customer: another event
      ]);

      await load(table.store, earlier);
      const second = await load(table.store, later);

      expect(second).toMatchObject({
        rows: 6,
        accepted: 3,
        duplicates: 3,
        alreadyCounted: 3,
        conflicts: 2,
        rejected: 0,
      });
      // Both are judged against the t1 the table holds once the buffer is written; line 3, kept aside
      // in the buffer as a reuse of line 2's id, still has its text.
      expect(second.rejects).toEqual([
        {
          line: 2,
          reason: expect.stringMatching(
            /^conflict: .*counted before for customer acme in hour 2021-03-01T10:00Z with another event_type or timestamp/,
          ),
          raw: '',
          conflict: true,
        },
        {
          line: 3,
          reason: expect.stringMatching(
            /^conflict: transaction_id "t1" was counted before for customer acme in hour 2021-03-01T10:00Z/,
          ),
          raw: 'acme,INGEST-WITH-PROXY,t1,2021-03-01 10:05:00+00',
          conflict: true,
        },
      ]);
      const recount = recountInputs([earlier, later]);
      expect(recount.conflicts).toEqual([
        { input: 1, line: 2 },
        { input: 1, line: 3 },
      ]);
      const { actual, expected } = await compareWithRecount(table.store, recount.events);
      expect(actual).toEqual(expected);
      expect(actual.hours).toEqual({
        acme: { '2021-03-01T10': 2, '2021-03-01T11': 1, '2021-03-02T10': 1 },
        bolt: { '2021-03-01T10': 1 },
      });
    });

    it('calls a row identical to the counted event a duplicate, not a conflict, after a conflicting row', async () => {
      const table = await newTable();
      const earlier = lf(['acme,INGEST,t1,2021-03-01 10:05:00+00']);
      const later = lf([
        'acme,INGEST,t1,2021-03-01 10:20:00+00', // 1 conflict with the counted event
        'acme,INGEST,t1,2021-03-01 10:05:00+00', // 2 the counted event again: a duplicate
      ]);

      await load(table.store, earlier);
      const second = await load(table.store, later);

      const recount = recountInputs([earlier, later]);
      expect(recount.conflicts).toEqual([{ input: 1, line: 1 }]);
      expect(recount.repeats).toEqual([{ input: 1, line: 2 }]);
      const { actual, expected } = await compareWithRecount(table.store, recount.events);
      expect(actual).toEqual(expected);
      expect(second).toMatchObject({ accepted: 0, duplicates: 2, conflicts: 1 });
      expect(second.rejects.map((row) => row.line)).toEqual([1]);
    });

    it('finds a reused id in the table when its first use was written from an earlier buffer', async () => {
      const table = await newTable();
      // Larger than the buffer of 2, the input goes to spill files; its one hour comes back as one
      // partition, written a buffer (2 rows) at a time. Rows read back from spill files have left
      // their text behind: conflicts among them are listed with their line number only.
      const text = lf([
        'acme,INGEST,t1,2021-03-01 10:05:00+00', //        1 } first buffer write
        'acme,INGEST,t2,2021-03-01 10:06:00+00', //        2 }
        'acme,INGEST,t3,2021-03-01 10:07:00+00', //        3 } second: line 4 conflicts with line 1,
        'acme,INGEST,t1,2021-03-01 10:59:59.999+00', //    4 } found in the table
        'acme,INGEST,t4,2021-03-01 10:08:00+00', //        5 } third: line 6 conflicts with line 5 in
        'acme,INGEST,t4,2021-03-01 10:09:00+00', //        6 } the buffer (a reuse takes a place too)
        'acme,INGEST,t2,2021-03-01 10:06:00+00', //        7   fourth: line 7 repeats line 2
      ]);

      const loaded = await load(table.store, text, { bufferEvents: 2 });

      expect(loaded).toMatchObject({ rows: 7, accepted: 4, duplicates: 3, conflicts: 2, rejected: 0 });
      expect(loaded.writes).toBe(4);
      expect(loaded.rejects.map((row) => [row.line, row.conflict, row.raw])).toEqual([
        [4, true, ''],
        [6, true, ''],
      ]);
      const { actual, expected } = await compareWithRecount(table.store, recountInputs([text]).events);
      expect(actual).toEqual(expected);
      expect(actual.hours).toEqual({ acme: { '2021-03-01T10': 4 } });
    });

    it('keeps ids apart that differ only in bytes that are not UTF-8, and knows each again', async () => {
      const table = await newTable();
      const row = (...id: (string | number[])[]) =>
        Buffer.concat([
          Buffer.from('acme,INGEST,'),
          ...id.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))),
          Buffer.from(',2021-03-01 10:05:00+00\n'),
        ]);
      const bytes = Buffer.concat([
        row('id-', [0xff]),
        row('id-', [0xfe]), // both would decode to U+FFFD
        row('id-', [0xff, 0xff]),
        row('id-é'), // é in UTF-8: c3 a9
        row('id-', [0xe9]), // é in latin1
        row('id-', [0xc3]), // a lone lead byte
        row('id-', [0xff]), // the first row again
      ]);

      const first = await load(table.store, bytes);
      const again = await load(table.store, bytes);

      expect(first).toMatchObject({ rows: 7, accepted: 6, duplicates: 1, conflicts: 0 });
      expect(again).toMatchObject({ accepted: 0, duplicates: 7, alreadyCounted: 6 });
      const recount = recountInputs([bytes, bytes]);
      expect(recount.events).toHaveLength(6);
      const { actual, expected } = await compareWithRecount(table.store, recount.events);
      expect(actual).toEqual(expected);
    });

    it('trims spaces and tabs around an id: " t1", "t1 " and "\\tt1" are the event t1', async () => {
      const table = await newTable();
      const first = lf([
        'acme,INGEST,t1,2021-03-01 10:05:00+00',
        'acme,INGEST, t1,2021-03-01 10:05:00+00',
        'acme,INGEST,t1 ,2021-03-01 10:05:00+00',
        'acme, INGEST ,\tt1\t, 2021-03-01 10:05:00+00 ',
        'acme,INGEST,"t1 ",2021-03-01 10:05:00+00',
        'acme,INGEST,t 1,2021-03-01 10:05:00+00', // inner space: another id
      ]);
      const second = lf(['  acme\t,INGEST,  t1  ,2021-03-01 10:05:00+00']);

      const one = await load(table.store, first);
      const two = await load(table.store, second);

      expect(one).toMatchObject({ rows: 6, accepted: 2, duplicates: 4, conflicts: 0, rejected: 0 });
      expect(two).toMatchObject({ rows: 1, accepted: 0, alreadyCounted: 1 });
      const { actual, expected } = await compareWithRecount(
        table.store,
        recountInputs([first, second]).events,
      );
      expect(actual).toEqual(expected);
      expect(actual.hours).toEqual({ acme: { '2021-03-01T10': 2 } });
    });
  });
});
