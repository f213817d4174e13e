import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDynamoDbClient } from '../../core/config';
import { type CounterStore, createCounterStore } from '../../core/counter-store';
import { queryHourlyCounts } from '../../core/event-counts';
import type { ConsumedReadCapacity } from '../../core/store-requests';
import { createHandler } from '../../lambda/create-handler';
import { loadEvents } from '../../loader/load-events';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { generateLines, lf } from '../support/events';
import { type RawEvent, readRawEvents, recount } from '../support/recount';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const HOT = Date.UTC(2021, 2, 1, 10);
const QUIET = HOT + HOUR;
const CUSTOMER = 'hot';

/** A deterministic pseudo-random sequence, so failures can be reproduced. */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('a hot hour: 40,000 events of one customer in one hour, loaded as a split and a whole write', () => {
  let table: TestTable;
  let events: RawEvent[];
  let directory: string;
  const reads: ConsumedReadCapacity[] = [];
  let metered: CounterStore;

  beforeAll(async () => {
    table = await createTestTable('hot-hour');
    directory = mkdtempSync(join(tmpdir(), 'hot-hour-'));
    const path = join(directory, 'hot.csv');
    const text = lf([
      ...generateLines({ rows: 40_000, customers: [CUSTOMER], hours: [HOT], seed: 13 }),
      ...generateLines({ rows: 300, customers: [CUSTOMER], hours: [QUIET], seed: 17, prefix: 'quiet' }),
    ]);
    writeFileSync(path, text);
    await loadEvents({ store: table.store, input: Readable.from([Buffer.from(text)]), source: path });
    events = readRawEvents(path);
    metered = createCounterStore({
      client: createDynamoDbClient({ endpoint: table.endpoint }),
      tableName: table.tableName,
      onConsumedCapacity: (consumed) => reads.push(consumed),
    });
  });

  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await table.drop();
  });

  beforeEach(() => {
    reads.length = 0;
  });

  it('agrees with a recount for partial edges at many cuts of the hot and the quiet hour', async () => {
    const random = lcg(20210301);
    const cuts = [
      1,
      MINUTE,
      MINUTE + 1,
      30 * MINUTE - 1,
      HOUR - 1,
      ...events.slice(0, 5).map((event) => (event.time - HOT) % HOUR),
      ...Array.from({ length: 20 }, () => Math.floor(random() * HOUR)),
    ];
    for (const cut of cuts) {
      for (const hour of [HOT, QUIET]) {
        const range = { start: hour + cut, end: hour + HOUR + 30 * MINUTE };
        const result = await queryHourlyCounts(table.store, CUSTOMER, range);
        expect([cut, result.total]).toEqual([cut, recount(events, CUSTOMER, range.start, range.end)]);
      }
      const inside = { start: HOT + Math.floor(cut / 2), end: HOT + cut };
      const within = await queryHourlyCounts(table.store, CUSTOMER, inside);
      expect([cut, within.total]).toEqual([cut, recount(events, CUSTOMER, inside.start, inside.end)]);
    }
  });

  it("reads the hour's two W items and the one part of the cut minute, nothing more", async () => {
    const cut = 17 * MINUTE + 12_345;

    const count = await metered.countEventsInHour(CUSTOMER, HOT, cut, HOUR);

    expect(count).toBe(recount(events, CUSTOMER, HOT + cut, HOT + HOUR));
    expect(
      reads.map((read) => ({ minute: 'minute' in read ? read.minute : undefined, items: read.items })),
    ).toEqual(
      expect.arrayContaining([
        { minute: undefined, items: 2 },
        { minute: 17, items: 1 },
      ]),
    );
    expect(reads).toHaveLength(2);
    // The split write's histogram, the 8,000 whole offsets (32 KB) and one minute of the
    // 32,000-event write (about 1 KB): a few read units, where the hour's offsets are 160 KB.
    const units = reads.reduce((sum, read) => sum + read.capacityUnits, 0);
    expect(units).toBeGreaterThan(0);
    expect(units).toBeLessThanOrEqual(6);
  });

  it('answers a repeated partial-edge request from the edge cache with the counter Query alone', async () => {
    const handler = createHandler({ store: metered, logger: () => {} });
    const query = { starting_at: '2021-03-01T10:17:12.345Z', ending_before: '2021-03-01T11:30:00Z' };
    const request = async () => {
      const response = await handler(
        apiEvent(`/v1/customers/${CUSTOMER}/event_counts`, query),
        localLambdaContext('hot'),
      );
      return (JSON.parse(response.body ?? '') as { total: number }).total;
    };

    const first = await request();
    const firstReads = reads.length;
    const second = await request();

    const expected = recount(
      events,
      CUSTOMER,
      Date.parse(query.starting_at),
      Date.parse(query.ending_before),
    );
    expect([first, second]).toEqual([expected, expected]);
    // Counters, both edges' W items, and minute 17 of the hot hour (11:30 is a minute boundary).
    expect(firstReads).toBe(4);
    expect(reads.slice(firstReads).map((read) => read.read)).toEqual(['counters']);
  });
});
