import { createReadStream } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bucketCounts, queryHourlyCounts } from '../../core/event-counts';
import { createRouter } from '../../lambda/routes';
import { loadEvents } from '../../loader/load-events';
import { createLocalServer } from '../../local/server';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type RawEvent, readRawEvents, recount } from '../support/recount';

const DATA = 'data/events.csv';
const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const HOURS = 72;

/** A deterministic pseudo-random sequence, so failures can be reproduced. */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('event counts on the real data set', () => {
  let table: TestTable;
  let events: RawEvent[];
  let customers: string[];

  beforeAll(async () => {
    table = await createTestTable('event-counts');
    await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });
    events = readRawEvents(DATA);
    customers = [...new Set(events.map((event) => event.customer))].sort();
  });

  afterAll(() => table.drop());

  it('finds the seven customers of the data set', () => {
    expect(customers).toHaveLength(7);
  });

  it('agrees with an independent recount for every customer and every hour', async () => {
    for (const customer of customers) {
      const result = await queryHourlyCounts(table.store, customer, {
        start: FIRST_HOUR,
        end: FIRST_HOUR + HOURS * HOUR,
      });
      const expected = Array.from({ length: HOURS }, (_, i) =>
        recount(events, customer, FIRST_HOUR + i * HOUR, FIRST_HOUR + (i + 1) * HOUR),
      );
      expect(result.counts).toEqual(expected);
      expect(result.total).toBe(events.filter((event) => event.customer === customer).length);
    }
  });

  it('agrees with an independent recount on ranges clipped to arbitrary milliseconds', async () => {
    const random = lcg(20210301);
    for (let i = 0; i < 60; i++) {
      const customer = customers[i % customers.length] as string;
      const start = FIRST_HOUR - HOUR + Math.floor(random() * (HOURS + 2) * HOUR);
      const end = start + 1 + Math.floor(random() * 6 * HOUR);
      const result = await queryHourlyCounts(table.store, customer, { start, end });
      for (const bucket of bucketCounts(result)) {
        expect({ bucket, count: bucket.count }).toEqual({
          bucket,
          count: recount(events, customer, bucket.start, bucket.end),
        });
      }
      expect(result.total).toBe(recount(events, customer, start, end));
    }
  });

  it('counts an event exactly on a bucket edge in the later bucket', async () => {
    const sample = events.find((event) => event.time % 1000 !== 0) as RawEvent;
    const before = await queryHourlyCounts(table.store, sample.customer, {
      start: sample.time - HOUR,
      end: sample.time,
    });
    const from = await queryHourlyCounts(table.store, sample.customer, {
      start: sample.time,
      end: sample.time + 1,
    });
    expect(before.total).toBe(recount(events, sample.customer, sample.time - HOUR, sample.time));
    expect(from.total).toBe(recount(events, sample.customer, sample.time, sample.time + 1));
    expect(from.total).toBeGreaterThanOrEqual(1);
  });

  describe('through the local HTTP server', () => {
    let server: Server;
    let base: string;

    beforeAll(async () => {
      const router = createRouter(table.store);
      server = createLocalServer(router);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('answers the design example with 408, 1133 and 769', async () => {
      const response = await fetch(
        `${base}/v1/customers/b4f9279a0196e40632e947dd1a88e857/event_counts?starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({
        customer_id: 'b4f9279a0196e40632e947dd1a88e857',
        starting_at: '2021-03-01T04:00:00.000Z',
        ending_before: '2021-03-01T06:30:00.000Z',
        window_size: 'hour',
        total: 2310,
        buckets: [
          { starting_at: '2021-03-01T04:00:00.000Z', ending_before: '2021-03-01T05:00:00.000Z', count: 408 },
          { starting_at: '2021-03-01T05:00:00.000Z', ending_before: '2021-03-01T06:00:00.000Z', count: 1133 },
          { starting_at: '2021-03-01T06:00:00.000Z', ending_before: '2021-03-01T06:30:00.000Z', count: 769 },
        ],
      });
    });

    it('gives the whole-history total on the earlier service route', async () => {
      const customer = customers[0] as string;
      const response = await fetch(`${base}/v1/customers/${customer}/total_events`);
      const body = (await response.json()) as { total_events: number };
      expect(body.total_events).toBe(events.filter((event) => event.customer === customer).length);
    });

    it('answers a bad timestamp with a 400 that names the parameter', async () => {
      const response = await fetch(
        `${base}/v1/customers/b4f9279a0196e40632e947dd1a88e857/event_counts?starting_at=soon&ending_before=2021-03-02`,
      );
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; parameter: string; message: string } };
      expect(body.error.code).toBe('invalid_parameter');
      expect(body.error.parameter).toBe('starting_at');
      expect(body.error.message).toContain('"soon"');
    });

    it('answers an unknown route with a JSON 404', async () => {
      const response = await fetch(`${base}/v2/nothing`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    });
  });
});
