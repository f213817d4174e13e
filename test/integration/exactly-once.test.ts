import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { planChunks } from '../../core/counter-store';
import { queryHourlyCounts } from '../../core/event-counts';
import { loadEvents, readEvents } from '../../loader/load-events';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type RawEvent, readRawEvents, recount } from '../support/recount';

const DATA = 'data/events.csv';
const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const RANGE = { start: FIRST_HOUR, end: FIRST_HOUR + 72 * HOUR };

async function expectCountsToMatchRecount(table: TestTable, events: RawEvent[], times = 1) {
  const customers = [...new Set(events.map((event) => event.customer))];
  for (const customer of customers) {
    const result = await queryHourlyCounts(table.store, customer, RANGE);
    const expected = result.buckets.map(
      (bucket) => times * recount(events, customer, bucket.start, bucket.end),
    );
    expect(result.buckets.map((bucket) => bucket.count)).toEqual(expected);
  }
  // A partial edge hour is answered from the time index, which must not be doubled either.
  const customer = customers[0] as string;
  const start = FIRST_HOUR + 5 * HOUR + 1_234_567;
  const partial = await queryHourlyCounts(table.store, customer, { start, end: start + 2 * HOUR });
  expect(partial.total).toBe(times * recount(events, customer, start, start + 2 * HOUR));
}

describe('loading exactly once', () => {
  let events: RawEvent[];
  const tables: TestTable[] = [];

  beforeAll(() => {
    events = readRawEvents(DATA);
  });

  afterAll(() => Promise.all(tables.map((table) => table.drop())));

  it('leaves the counts unchanged when the same file is loaded twice', async () => {
    const table = await createTestTable('twice');
    tables.push(table);

    const first = await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });
    const second = await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });

    expect(first.alreadyLoaded).toBe(false);
    expect(first.chunksApplied).toBe(first.chunks);
    expect(second.alreadyLoaded).toBe(true);
    expect(second.itemsWritten).toBe(0);
    await expectCountsToMatchRecount(table, events);
  });

  it('resumes a load that stopped after some chunks without counting them again', async () => {
    const table = await createTestTable('resume');
    tables.push(table);
    // Apply the first chunks by hand, as a loader killed part way through would have.
    const read = await readEvents(createReadStream(DATA));
    const chunks = planChunks(read.loadId, read.hours);
    const applied = Math.floor(chunks.length / 2);
    for (const chunk of chunks.slice(0, applied)) await table.store.applyChunk(chunk);

    const resumed = await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });

    expect(resumed.chunksSkipped).toBe(applied);
    expect(resumed.chunksApplied).toBe(chunks.length - applied);
    await expectCountsToMatchRecount(table, events);
  });

  it('adds the events of a different file on top of the first', async () => {
    const table = await createTestTable('two-files');
    tables.push(table);
    // Same events with other transaction ids: a different file, so its events count too.
    const renamed = readFileSync(DATA, 'utf8').replace(/^([^,]*,[^,]*,)/gm, '$1copy-');

    await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });
    const second = await loadEvents({ store: table.store, input: Readable.from([renamed]), source: 'copy' });

    expect(second.alreadyLoaded).toBe(false);
    await expectCountsToMatchRecount(table, events, 2);
  });
});
