import { createReadStream } from 'node:fs';
import { createRouter } from '../../lambda/routes';
import { loadEvents } from '../../loader/load-events';
import { apiEventFor } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type RawEvent, readRawEvents } from '../support/recount';

const DATA = 'data/events.csv';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

interface Body {
  customer_id: string;
  starting_at: string;
  ending_before: string;
  window_size: string;
  total: number;
  buckets: { starting_at: string; ending_before: string; count: number }[];
  error?: { code: string; parameter?: string; message: string };
}

/** A deterministic pseudo-random sequence, so failures can be reproduced. */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * The expected buckets, computed the slow way: walk calendar edges with Date's UTC setters and
 * count every event of the customer between them.
 */
function expectedBuckets(
  events: readonly RawEvent[],
  customer: string,
  start: Date,
  end: Date,
  window: string,
) {
  const mine = events.filter((event) => event.customer === customer).map((event) => event.time);
  const count = (from: number, to: number) => mine.filter((time) => time >= from && time < to).length;
  if (window === 'none')
    return [{ from: start.getTime(), to: end.getTime(), count: count(start.getTime(), end.getTime()) }];
  const edge = new Date(start);
  if (window === 'day') edge.setUTCHours(0, 0, 0, 0);
  else edge.setUTCMinutes(0, 0, 0);
  const buckets: { from: number; to: number; count: number }[] = [];
  while (edge < end) {
    const from = Math.max(edge.getTime(), start.getTime());
    if (window === 'day') edge.setUTCDate(edge.getUTCDate() + 1);
    else edge.setUTCHours(edge.getUTCHours() + 1);
    const to = Math.min(edge.getTime(), end.getTime());
    buckets.push({ from, to, count: count(from, to) });
  }
  return buckets;
}

const asIso = (buckets: { from: number; to: number; count: number }[]) =>
  buckets.map((bucket) => ({
    starting_at: new Date(bucket.from).toISOString(),
    ending_before: new Date(bucket.to).toISOString(),
    count: bucket.count,
  }));

/** The start of the UTC hour of `time`, by cutting the ISO text after the hour. */
const hourOf = (time: number) => new Date(`${new Date(time).toISOString().slice(0, 13)}:00:00Z`);

/** The customer's event times, sorted, and the range its whole history covers in clock hours. */
function history(events: readonly RawEvent[], customer: string) {
  const times = events
    .filter((event) => event.customer === customer)
    .map((event) => event.time)
    .sort((a, b) => a - b);
  const start = hourOf(times[0] as number);
  const end = hourOf(times[times.length - 1] as number);
  end.setUTCHours(end.getUTCHours() + 1);
  return { times, start, end };
}

describe('event_counts window sizes and optional bounds on the real data set', () => {
  let table: TestTable;
  let events: RawEvent[];
  let customers: string[];
  let get: (path: string) => Promise<{ status: number; body: Body }>;

  beforeAll(async () => {
    table = await createTestTable('window-sizes');
    await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });
    events = readRawEvents(DATA);
    customers = [...new Set(events.map((event) => event.customer))].sort();
    const router = createRouter(table.store);
    get = async (path) => {
      const response = await router(apiEventFor(path), 'test-request');
      return { status: response.statusCode ?? 0, body: JSON.parse(response.body ?? '') as Body };
    };
  });

  afterAll(() => table.drop());

  it('answers window_size=day with the UTC days of a recount for every customer', async () => {
    const start = new Date('2021-03-01T00:00:00Z');
    const end = new Date('2021-03-04T00:00:00Z');
    for (const customer of customers) {
      const { status, body } = await get(
        `/v1/customers/${customer}/event_counts?starting_at=${start.toISOString()}&ending_before=${end.toISOString()}&window_size=day`,
      );

      expect(status).toBe(200);
      expect(body.window_size).toBe('day');
      expect(body.buckets).toEqual(asIso(expectedBuckets(events, customer, start, end, 'day')));
    }
  });

  it('keeps day buckets exact to the millisecond on ranges with arbitrary edges', async () => {
    const random = lcg(6);
    const first = Date.UTC(2021, 1, 28);
    for (let i = 0; i < 30; i++) {
      const customer = customers[i % customers.length] as string;
      const start = new Date(first + Math.floor(random() * 4 * 86_400_000));
      const end = new Date(start.getTime() + 1 + Math.floor(random() * 3 * 86_400_000));

      const { body } = await get(
        `/v1/customers/${customer}/event_counts?starting_at=${start.toISOString()}&ending_before=${end.toISOString()}&window_size=day`,
      );

      const expected = expectedBuckets(events, customer, start, end, 'day');
      expect(body.buckets).toEqual(asIso(expected));
      expect(body.total).toBe(expected.reduce((sum, bucket) => sum + bucket.count, 0));
    }
  });

  it('answers window_size=none with one bucket holding the recount of the range', async () => {
    const random = lcg(7);
    for (let i = 0; i < 20; i++) {
      const customer = customers[i % customers.length] as string;
      const start = new Date(Date.UTC(2021, 2, 1) + Math.floor(random() * 3 * 86_400_000));
      const end = new Date(start.getTime() + 1 + Math.floor(random() * 86_400_000));

      const { body } = await get(
        `/v1/customers/${customer}/event_counts?starting_at=${start.toISOString()}&ending_before=${end.toISOString()}&window_size=none`,
      );

      expect(body.buckets).toEqual(asIso(expectedBuckets(events, customer, start, end, 'none')));
    }
  });

  it('defaults window_size to hour', async () => {
    const { body } = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z`,
    );

    expect(body.window_size).toBe('hour');
    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 769]);
  });

  it('spans a customer’s whole history, hour of first event to end of hour of last event, without bounds', async () => {
    for (const customer of customers) {
      const { times, start, end } = history(events, customer);

      const { status, body } = await get(`/v1/customers/${customer}/event_counts`);

      expect(status).toBe(200);
      expect(body.starting_at).toBe(start.toISOString());
      expect(body.ending_before).toBe(end.toISOString());
      expect(body.total).toBe(times.length);
      expect(body.buckets).toEqual(asIso(expectedBuckets(events, customer, start, end, 'hour')));
    }
  });

  it('fills only the missing bound when one is given', async () => {
    const { times, start: firstHour, end: lastHourEnd } = history(events, CUSTOMER);
    const middle = new Date('2021-03-02T12:34:56.789Z');

    const fromMiddle = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=${middle.toISOString()}&window_size=day`,
    );
    const untilMiddle = await get(
      `/v1/customers/${CUSTOMER}/event_counts?ending_before=${middle.toISOString()}&window_size=none`,
    );

    expect(fromMiddle.body.buckets).toEqual(
      asIso(expectedBuckets(events, CUSTOMER, middle, lastHourEnd, 'day')),
    );
    expect(untilMiddle.body.buckets).toEqual(
      asIso(expectedBuckets(events, CUSTOMER, firstHour, middle, 'none')),
    );
    expect(fromMiddle.body.total + untilMiddle.body.total).toBe(times.length);
  });

  it('answers 404 customer_not_found for a customer without events when a bound is missing', async () => {
    const { status, body } = await get('/v1/customers/nobody-at-all/event_counts?starting_at=2021-03-01');

    expect(status).toBe(404);
    expect(body.error?.code).toBe('customer_not_found');
    expect(body.error?.message).toContain('nobody-at-all');
  });

  it('zero-fills the buckets of a customer without events when both bounds are given', async () => {
    const { status, body } = await get(
      '/v1/customers/nobody-at-all/event_counts?starting_at=2021-03-01&ending_before=2021-03-03&window_size=day',
    );

    expect(status).toBe(200);
    expect(body.buckets.map((bucket) => bucket.count)).toEqual([0, 0]);
  });

  it('answers 10 years of day buckets exactly and refuses one day more', async () => {
    const ok = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=2016-01-01&ending_before=2026-01-01&window_size=day`,
    );
    const tooLong = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=2016-01-01&ending_before=2026-01-02&window_size=day`,
    );

    expect(ok.status).toBe(200);
    expect(ok.body.buckets).toHaveLength(3653);
    expect(ok.body.total).toBe(events.filter((event) => event.customer === CUSTOMER).length);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'invalid_parameter', parameter: 'ending_before' });
  });

  it('reads 10 years of day buckets with one counter query and at most two edge-hour index reads', async () => {
    const counterQueries = jest.spyOn(table.store, 'queryHourCounts');
    const indexReads = jest.spyOn(table.store, 'countEventsInHour');
    const cachedIndexReads = jest.spyOn(table.store, 'readHourIndex');

    const { status, body } = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=2016-01-01T00:30:00Z&ending_before=2025-12-31T23:30:00Z&window_size=day`,
    );

    expect(status).toBe(200);
    expect(body.buckets).toHaveLength(3653);
    expect(counterQueries).toHaveBeenCalledTimes(1);
    expect(indexReads.mock.calls.length + cachedIndexReads.mock.calls.length).toBeLessThanOrEqual(2);
    counterQueries.mockRestore();
    indexReads.mockRestore();
    cachedIndexReads.mockRestore();
  });

  it('refuses more than 366 days of hourly buckets and suggests day windows', async () => {
    const { status, body } = await get(
      `/v1/customers/${CUSTOMER}/event_counts?starting_at=2021-01-01&ending_before=2022-01-02T00:00:00.001Z`,
    );

    expect(status).toBe(400);
    expect(body.error?.message).toContain('window_size=day');
  });
});
