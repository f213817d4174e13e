import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { WriteConflictError } from '../../core/errors';
import { MAX_EVENTS_PER_HOUR_WRITE } from '../../core/write-plan';
import { type BufferedHour, EVENT_WORDS } from '../../loader/event-buffer';
import { generateEventBlocks } from '../../loader/generate-events';
import { type LoadSummary, LoadWriteError, loadEvents, type RejectedRow } from '../../loader/load-events';
import { writeBufferedHours } from '../../loader/write-events';
import { fakeClock } from '../support/fake-clock';
import { FakeDynamoDb, fakeStore, mockDocumentClient, serveFake } from '../support/fake-dynamodb';

const HOUR = 3_600_000;
const CSV = [...generateEventBlocks({ rows: 3_000, customers: 6, days: 2, seed: 7 })].join('');
const LINES = CSV.split('\n').filter((line) => line !== '');
/** An order unrelated to time or customer. */
const digestOf = (line: string) => createHash('sha1').update(line).digest('hex');

/** Events per `customer|yyyy-mm-ddThh`, recounted without the loader (the generator's ids are unique). */
function recount(lines: readonly string[]): Map<string, number> {
  const counters = new Map<string, number>();
  for (const line of lines) {
    const fields = line.split(',');
    const stamp = (fields[3] as string).replace(' ', 'T').replace(/\+00$/, 'Z');
    const hour = new Date(Math.floor(Date.parse(stamp) / HOUR) * HOUR).toISOString().slice(0, 13);
    const key = `${fields[0]}|${hour}`;
    counters.set(key, (counters.get(key) ?? 0) + 1);
  }
  return counters;
}

const dynamo = mockDocumentClient();
let fake: FakeDynamoDb;
const clock = fakeClock();
const policy = (maxElapsedMs?: number) => clock.policy(maxElapsedMs);

beforeEach(() => {
  clock.reset();
  fake = new FakeDynamoDb();
  serveFake(dynamo, fake);
});
afterAll(() => dynamo.restore());

function load(
  lines: readonly string[],
  options: {
    bufferEvents?: number;
    spillDirectory?: string;
    concurrency?: number;
    maxElapsedMs?: number;
    rejects?: RejectedRow[];
  } = {},
): Promise<LoadSummary> {
  return loadEvents({
    store: fakeStore(policy(options.maxElapsedMs)),
    input: Readable.from([`${lines.join('\n')}\n`]),
    source: 'test.csv',
    bufferEvents: options.bufferEvents,
    spillDirectory: options.spillDirectory,
    concurrency: options.concurrency ?? 4,
    onReject: (row) => void options.rejects?.push(row),
  });
}

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Throughput exceeded',
    $metadata: { httpStatusCode: 400 },
  });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
const transactions = () => fake.calls.filter((call) => call.command === 'TransactWrite');

describe('loadEvents exactly once', () => {
  it('counts every event once (the baseline the other cases compare with)', async () => {
    const summary = await load(LINES);

    expect(fake.counters()).toEqual(recount(LINES));
    expect([summary.accepted, summary.duplicates, summary.writes]).toEqual([LINES.length, 0, 1]);
  });

  it('adds nothing when the same events come again reordered, in buffers of another size', async () => {
    await load(LINES);
    const again = await load([...LINES].reverse(), { bufferEvents: 250 });

    expect(fake.counters()).toEqual(recount(LINES));
    expect([again.accepted, again.duplicates, again.alreadyCounted, again.transactions]).toEqual([
      0,
      LINES.length,
      LINES.length,
      0,
    ]);
    // Larger than its buffer, the input went to spill files and came back in partitions, a few
    // to a write: fewer writes than the 64 partitions, none larger than the buffer.
    expect(again.writes).toBeGreaterThanOrEqual(Math.ceil(LINES.length / 250));
    expect(again.writes).toBeLessThan(64);
  });

  it('writes each hour of an unsorted input larger than the buffer once, through spill files', async () => {
    const shuffled = [...LINES].sort((a, b) => (digestOf(a) < digestOf(b) ? -1 : 1));
    const spillDirectory = mkdtempSync(join(tmpdir(), 'spill-test-'));

    const summary = await load([...shuffled, ...shuffled.slice(0, 300)], {
      bufferEvents: 200,
      spillDirectory,
    });

    expect(fake.counters()).toEqual(recount(LINES));
    expect([summary.accepted, summary.duplicates]).toEqual([LINES.length, 300]);
    expect(summary.writes).toBeGreaterThanOrEqual(Math.ceil(LINES.length / 200));
    const versions = [...fake.items.keys()]
      .filter((key) => key.includes('\u0000X#'))
      .map((key) => key.split('#').at(-2));
    expect(new Set(versions)).toEqual(new Set(['000001']));
    expect(readdirSync(spillDirectory)).toEqual([]);
    rmSync(spillDirectory, { recursive: true });
  });

  it('counts only the new part of an overlapping export', async () => {
    const first = LINES.slice(0, 2_000);
    const second = LINES.slice(1_000);
    await load(first, { bufferEvents: 700 });
    const summary = await load(second, { bufferEvents: 700 });

    expect(fake.counters()).toEqual(recount(LINES));
    expect([summary.accepted, summary.alreadyCounted]).toEqual([1_000, 1_000]);
  });

  it('writes spilled partitions together while they fit the buffer, each hour in one write', async () => {
    // 4 hours of 30 events: a partition each, 120 rows spilled past a buffer of 70.
    const lines = Array.from(
      { length: 120 },
      (_, i) => `c1,INGEST,s${i},2021-03-01 0${i % 4}:${String(i % 60).padStart(2, '0')}:00+00`,
    );

    const summary = await load(lines, { bufferEvents: 70 });

    expect(fake.counters()).toEqual(recount(lines));
    expect(summary.accepted).toBe(120);
    // Two hours a write; written one partition at a time, it would take four.
    expect(summary.writes).toBe(2);
  });

  it('drops repeats across buffer writes of one input', async () => {
    const summary = await load([...LINES, ...LINES.slice(0, 500)], { bufferEvents: 400 });

    expect(fake.counters()).toEqual(recount(LINES));
    expect([summary.accepted, summary.duplicates]).toEqual([LINES.length, 500]);
  });

  it('reports a transaction_id counted before with another time in the same hour as a conflict, and keeps the first', async () => {
    await load(['c1,INGEST,t1,2021-03-01 04:10:00+00']);
    const rejects: RejectedRow[] = [];
    const summary = await load(
      ['c1,INGEST,t0,2021-03-01 04:00:00+00', 'c1,INGEST,t1,2021-03-01 04:20:00+00'],
      { rejects },
    );

    expect(fake.counters()).toEqual(new Map([['c1|2021-03-01T04', 2]]));
    expect([summary.accepted, summary.duplicates, summary.conflicts]).toEqual([1, 1, 1]);
    expect(rejects).toEqual([
      {
        line: 2,
        reason:
          'conflict: this transaction_id was counted before for customer c1 in hour 2021-03-01T04:00Z with ' +
          'another event_type or timestamp; the event counted first stands',
        raw: '',
        conflict: true,
      },
    ]);
  });

  it('counts a transaction once when it committed but its response was lost: the retry reuses the token', async () => {
    let lost = false;
    fake.fault = (command) => {
      if (command !== 'TransactWrite' || lost) return undefined;
      lost = true;
      return {
        error: new InternalServerError({ message: 'lost', $metadata: { httpStatusCode: 500 } }),
        commit: true,
      };
    };

    const summary = await load(LINES, { concurrency: 1 });

    expect(fake.counters()).toEqual(recount(LINES));
    expect(summary.accepted).toBe(LINES.length);
    const tokens = transactions().map((call) => (call.input as TransactWriteCommandInput).ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('counts a transaction once when its response was lost and the token forgotten: the version refuses it', async () => {
    fake = new FakeDynamoDb(false);
    serveFake(dynamo, fake);
    let lost = false;
    fake.fault = (command) => {
      if (command !== 'TransactWrite' || lost) return undefined;
      lost = true;
      return {
        error: new InternalServerError({ message: 'lost', $metadata: { httpStatusCode: 500 } }),
        commit: true,
      };
    };

    const summary = await load(LINES);

    expect(fake.counters()).toEqual(recount(LINES));
    expect(summary.accepted + summary.alreadyCounted).toBe(LINES.length);
    expect(summary.alreadyCounted).toBeGreaterThan(0);
  });

  it.each([
    ['throttling', () => throttled()],
    ['a transaction conflict', () => cancelled('None', 'TransactionConflict')],
    ['a throttled transaction', () => cancelled('ThrottlingError', 'None')],
    ['a 500', () => new InternalServerError({ message: 'boom', $metadata: { httpStatusCode: 500 } })],
  ])('retries %s with backoff and counts every event once', async (_name, error) => {
    let failures = 0;
    fake.fault = (command) =>
      command === 'TransactWrite' && failures++ < 3 ? { error: error() } : undefined;

    await load(LINES, { concurrency: 1 });

    expect(fake.counters()).toEqual(recount(LINES));
    expect(clock.sleeps).toEqual([25, 50, 100]);
  });

  it('re-reads and re-plans when another loader wins the race for an hour, counting nothing twice', async () => {
    const [one, two] = await Promise.all([
      load(LINES, { bufferEvents: 1_000 }),
      load([...LINES].reverse(), { bufferEvents: 700 }),
    ]);

    expect(fake.counters()).toEqual(recount(LINES));
    expect(one.accepted + two.accepted).toBe(LINES.length);
    expect(one.accepted + one.duplicates).toBe(LINES.length);
    expect(two.accepted + two.duplicates).toBe(LINES.length);
    expect(fake.cancelled).toBeGreaterThan(0);
  });

  it('gives up with LoadWriteError after the retry time, and a re-run counts the rest once', async () => {
    let committed = 0;
    fake.fault = (command) =>
      command === 'TransactWrite' && committed++ >= 2 ? { error: throttled() } : undefined;

    const error = await load(LINES, { concurrency: 1, maxElapsedMs: 1_000 }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(LoadWriteError);
    expect((error as Error).message).toMatch(/^writing failed: DynamoDB throttled the request/);
    const partial = [...fake.counters().values()].reduce((sum, count) => sum + count, 0);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(LINES.length);

    fake.fault = () => undefined;
    const rerun = await load([...LINES].reverse());

    expect(fake.counters()).toEqual(recount(LINES));
    expect([rerun.accepted, rerun.alreadyCounted]).toEqual([LINES.length - partial, partial]);
  });

  it('fails with WriteConflictError when an hour keeps changing under it', async () => {
    fake.fault = (command) =>
      command === 'TransactWrite' ? { error: cancelled('ConditionalCheckFailed') } : undefined;

    const error = await load(LINES.slice(0, 10)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LoadWriteError);
    expect((error as Error).cause).toBeInstanceOf(WriteConflictError);
    expect(fake.counters().size).toBe(0);
  });

  it(`writes an hour of more than ${MAX_EVENTS_PER_HOUR_WRITE} new events in several versioned writes`, async () => {
    const events = MAX_EVENTS_PER_HOUR_WRITE + 10;
    const hour = Date.UTC(2021, 2, 1, 4);
    const buffered: BufferedHour = {
      customerId: 'hot',
      hour,
      events: Uint32Array.from({ length: events * EVENT_WORDS }, (_, i) => {
        const event = Math.floor(i / EVENT_WORDS);
        return [event % HOUR, event, event * 7, 1, event + 1][i % EVENT_WORDS] as number;
      }),
      count: events,
      variants: [],
    };

    const stats = await writeBufferedHours([buffered], {
      store: fakeStore(policy()),
      concurrency: 4,
      onConflict: () => {},
    });

    expect(fake.counters()).toEqual(new Map([['hot|2021-03-01T04', events]]));
    expect([stats.accepted, stats.transactions]).toEqual([events, 2]);
    expect(fake.items.has('C#hot\u0000X#2021-03-01T04#000002#0000')).toBe(true);
    expect(fake.items.has('C#hot\u0000X#2021-03-01T04#000003#0000')).toBe(false);
  });
});
