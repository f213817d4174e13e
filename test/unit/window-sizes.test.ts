import {
  bucketIndexOfHour,
  countDays,
  MAX_DAYS,
  MAX_HOURLY_BUCKETS,
  windowBuckets,
} from '../../core/buckets';
import { CustomerNotFoundError, InvalidParameterError } from '../../core/errors';
import { bucketCounts, type CountReader, queryEventCounts, resolveRange } from '../../core/event-counts';
import { checkRange, parseEventCountsInput } from '../../core/query-input';
import type { CustomerSummary } from '../../core/store-requests';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

/** A reader over fixed hourly counters whose time index holds `perMinute` events in every minute. */
function fakeReader(counters: Map<number, number>, perMinute = 1) {
  const calls = { counterQueries: 0, indexReads: [] as number[] };
  const reader: CountReader = {
    async queryHourCounts(_customerId, firstHour, lastHour) {
      calls.counterQueries++;
      return new Map([...counters].filter(([hour]) => hour >= firstHour && hour <= lastHour));
    },
    async countEventsInHour(_customerId, hour, fromOffset, toOffset) {
      calls.indexReads.push(hour);
      return Math.round(((toOffset - fromOffset) / 60_000) * perMinute);
    },
  };
  return { reader, calls };
}

describe('windowBuckets', () => {
  it('splits a range into UTC days with exact partial first and last days', () => {
    const range = { start: at('2021-03-01T04:30:00Z'), end: at('2021-03-03T06:00:00.001Z') };

    expect(windowBuckets(range, 'day')).toEqual([
      { start: at('2021-03-01T04:30:00Z'), end: at('2021-03-02T00:00:00Z') },
      { start: at('2021-03-02T00:00:00Z'), end: at('2021-03-03T00:00:00Z') },
      { start: at('2021-03-03T00:00:00Z'), end: at('2021-03-03T06:00:00.001Z') },
    ]);
  });

  it('gives one bucket equal to the range for window none', () => {
    const range = { start: at('2021-03-01T04:30:00Z'), end: at('2023-01-01T00:00:00Z') };

    expect(windowBuckets(range, 'none')).toEqual([range]);
  });

  it('keeps clock-hour buckets for window hour', () => {
    const range = { start: at('2021-03-01T04:00:00Z'), end: at('2021-03-01T06:30:00Z') };

    expect(windowBuckets(range, 'hour').map((bucket) => bucket.end - bucket.start)).toEqual([
      HOUR,
      HOUR,
      HOUR / 2,
    ]);
  });
});

describe('bucketIndexOfHour', () => {
  const range = { start: at('2021-03-01T22:15:00Z'), end: at('2021-03-04T01:00:00Z') };

  it('finds the UTC day of an hour, counting from the partial first day', () => {
    expect(bucketIndexOfHour(range, 'day', at('2021-03-01T23:00:00Z'))).toBe(0);
    expect(bucketIndexOfHour(range, 'day', at('2021-03-02T00:00:00Z'))).toBe(1);
    expect(bucketIndexOfHour(range, 'day', at('2021-03-04T00:00:00Z'))).toBe(3);
  });

  it('finds the clock hour, and always bucket 0 for window none', () => {
    expect(bucketIndexOfHour(range, 'hour', at('2021-03-02T00:00:00Z'))).toBe(2);
    expect(bucketIndexOfHour(range, 'none', at('2021-03-03T05:00:00Z'))).toBe(0);
  });
});

describe('checkRange', () => {
  const start = at('2020-01-01T00:00:00Z');

  it('allows 366 days of hourly buckets and refuses one hour more, suggesting day windows', () => {
    expect(checkRange({ start, end: start + MAX_HOURLY_BUCKETS * HOUR }, 'hour')).toBeDefined();

    expect(() => checkRange({ start, end: start + MAX_HOURLY_BUCKETS * HOUR + 1 }, 'hour')).toThrow(
      /covers 8785 hourly buckets; window_size=hour allows at most 8784 hourly buckets \(366 days\).*window_size=day/,
    );
  });

  it('allows 10 years of days for day and none windows and refuses a day more', () => {
    const end = start + MAX_DAYS * DAY;
    expect(MAX_DAYS).toBe(3653);
    expect(checkRange({ start, end }, 'day')).toEqual({ start, end });
    expect(checkRange({ start, end }, 'none')).toEqual({ start, end });

    expect(() => checkRange({ start, end: end + 1 }, 'day')).toThrow(/covers 3654 daily buckets/);
    expect(() => checkRange({ start, end: end + 1 }, 'none')).toThrow(/at most 3653 days \(10 years\)/);
  });

  it('blames starting_at and explains the default when the defaulted end is not later', () => {
    let thrown: unknown;
    try {
      checkRange({ start, end: start - HOUR }, 'hour', { start: false, end: true });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(InvalidParameterError);
    expect(thrown).toMatchObject({
      parameter: 'starting_at',
      message: expect.stringContaining("(the end of the hour of the customer's last event)"),
    });
  });
});

describe('countDays', () => {
  it('counts the UTC days a range touches', () => {
    expect(countDays({ start: at('2021-03-01T23:59:59Z'), end: at('2021-03-02T00:00:01Z') })).toBe(2);
    expect(countDays({ start: at('2021-03-01T00:00:00Z'), end: at('2021-03-02T00:00:00Z') })).toBe(1);
  });
});

describe('parseEventCountsInput', () => {
  it('defaults window_size to hour and leaves absent bounds undefined', () => {
    expect(
      parseEventCountsInput({
        customerId: 'c1',
        startingAt: undefined,
        endingBefore: undefined,
        windowSize: undefined,
      }),
    ).toEqual({ customerId: 'c1', start: undefined, end: undefined, windowSize: 'hour' });
  });

  it('rejects an unknown window size naming window_size and the value', () => {
    const parse = () =>
      parseEventCountsInput({
        customerId: 'c1',
        startingAt: undefined,
        endingBefore: undefined,
        windowSize: 'week',
      });

    expect(parse).toThrow('window_size must be one of hour, day, none; received "week"');
  });

  it('checks the limit of the window size when both bounds are given', () => {
    const parse = (windowSize: string) =>
      parseEventCountsInput({
        customerId: 'c1',
        startingAt: '2020-01-01',
        endingBefore: '2022-01-01',
        windowSize,
      });

    expect(() => parse('hour')).toThrow(/hourly buckets/);
    expect(parse('day').windowSize).toBe('day');
  });

  it('rejects an empty bound instead of treating it as absent', () => {
    const parse = () =>
      parseEventCountsInput({
        customerId: 'c1',
        startingAt: '',
        endingBefore: undefined,
        windowSize: undefined,
      });

    expect(parse).toThrow(/starting_at must be an ISO-8601 timestamp .*received ""/);
  });
});

describe('queryEventCounts', () => {
  const counters = new Map([
    [at('2021-03-01T22:00:00Z'), 100],
    [at('2021-03-01T23:00:00Z'), 200],
    [at('2021-03-02T00:00:00Z'), 300],
    [at('2021-03-02T05:00:00Z'), 400],
    [at('2021-03-03T00:00:00Z'), 500],
  ]);

  it('sums whole hours into UTC days and reads the index of the partial edge hours only', async () => {
    const { reader, calls } = fakeReader(counters);
    const range = { start: at('2021-03-01T22:30:00Z'), end: at('2021-03-03T00:15:00Z') };

    const result = await queryEventCounts(reader, 'c1', range, 'day');

    // 22:30-23:00 from the index (30 minutes, 1 a minute), 23:00 whole; 00:00-00:15 from the index.
    expect(result.counts).toEqual([30 + 200, 300 + 400, 15]);
    expect(result.total).toBe(30 + 200 + 300 + 400 + 15);
    expect(calls.counterQueries).toBe(1);
    expect(calls.indexReads.sort()).toEqual([at('2021-03-01T22:00:00Z'), at('2021-03-03T00:00:00Z')]);
  });

  it('answers window none with one bucket holding the total', async () => {
    const { reader } = fakeReader(counters);
    const range = { start: at('2021-03-01T00:00:00Z'), end: at('2021-03-04T00:00:00Z') };

    const result = await queryEventCounts(reader, 'c1', range, 'none');

    expect(bucketCounts(result)).toEqual([{ ...range, count: 1500 }]);
    expect(result.total).toBe(1500);
  });

  it('reads 10 years of day buckets with one counter query and at most two index reads', async () => {
    const many = new Map<number, number>();
    const first = at('2015-01-01T00:00:00Z');
    for (let hour = 0; hour < MAX_DAYS * 24; hour += 7) many.set(first + hour * HOUR, 1);
    const { reader, calls } = fakeReader(many);
    const range = { start: first + 10 * 60_000, end: first + MAX_DAYS * DAY - 10 * 60_000 };

    const result = await queryEventCounts(reader, 'c1', range, 'day');

    expect(result.counts).toHaveLength(MAX_DAYS);
    expect(calls.counterQueries).toBe(1);
    expect(calls.indexReads.length).toBeLessThanOrEqual(2);
    expect(result.total).toBe(result.counts.reduce((sum, count) => sum + count, 0));
  });
});

describe('resolveRange', () => {
  const customer: CustomerSummary = {
    customerId: 'c1',
    firstEventAt: at('2021-03-01T00:28:55.674Z'),
    lastEventAt: at('2021-03-02T09:50:27.142Z'),
    totalEvents: 266,
  };
  const directory = (entry: CustomerSummary | undefined) => {
    const getCustomer = jest.fn(async () => entry);
    return { getCustomer };
  };

  it('starts at the hour of the first event and ends after the hour of the last event', async () => {
    const reader = directory(customer);

    const range = await resolveRange(reader, { customerId: 'c1', windowSize: 'hour' });

    expect(range).toEqual({ start: at('2021-03-01T00:00:00Z'), end: at('2021-03-02T10:00:00Z') });
  });

  it('fills only the missing bound', async () => {
    const reader = directory(customer);

    const range = await resolveRange(reader, {
      customerId: 'c1',
      start: at('2021-03-02T00:00:00Z'),
      windowSize: 'day',
    });

    expect(range).toEqual({ start: at('2021-03-02T00:00:00Z'), end: at('2021-03-02T10:00:00Z') });
  });

  it('does not read the directory when both bounds are given', async () => {
    const reader = directory(undefined);

    await resolveRange(reader, { customerId: 'c1', start: 0, end: HOUR, windowSize: 'hour' });

    expect(reader.getCustomer).not.toHaveBeenCalled();
  });

  it('throws CustomerNotFoundError when a bound is missing and the customer has no events', async () => {
    const reader = directory(undefined);

    await expect(
      resolveRange(reader, { customerId: 'nobody', end: HOUR, windowSize: 'hour' }),
    ).rejects.toThrow(CustomerNotFoundError);
  });
});

describe('bucketCounts', () => {
  it('pairs each count with its bucket of windowBuckets', () => {
    const range = { start: at('2021-03-01T22:30:00Z'), end: at('2021-03-03T00:15:00Z') };

    const buckets = bucketCounts({
      customerId: 'c1',
      range,
      windowSize: 'day',
      total: 945,
      counts: [230, 700, 15],
    });

    expect(buckets).toEqual([
      { start: range.start, end: at('2021-03-02T00:00:00Z'), count: 230 },
      { start: at('2021-03-02T00:00:00Z'), end: at('2021-03-03T00:00:00Z'), count: 700 },
      { start: at('2021-03-03T00:00:00Z'), end: range.end, count: 15 },
    ]);
  });
});
