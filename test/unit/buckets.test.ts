import {
  countBuckets,
  countHours,
  formatBucketEdges,
  hourBuckets,
  MAX_HOURLY_BUCKETS,
  type TimeRange,
  WINDOW_SIZES,
  windowBuckets,
} from '../../core/buckets';
import { formatTimestamp, MAX_TIME_MS } from '../../core/time';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const range = (start: string, end: string): TimeRange => ({ start: at(start), end: at(end) });

describe('hourBuckets', () => {
  it('gives three buckets for 04:00 to 06:30, the last covering 06:00 to 06:30 only', () => {
    const buckets = hourBuckets(range('2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z'));

    expect(buckets).toEqual([
      { start: at('2021-03-01T04:00:00Z'), end: at('2021-03-01T05:00:00Z') },
      { start: at('2021-03-01T05:00:00Z'), end: at('2021-03-01T06:00:00Z') },
      { start: at('2021-03-01T06:00:00Z'), end: at('2021-03-01T06:30:00Z') },
    ]);
  });

  it('gives whole clock hours when both edges are on the hour', () => {
    const buckets = hourBuckets(range('2021-03-01T22:00:00Z', '2021-03-02T02:00:00Z'));

    expect(buckets.map((bucket) => bucket.start)).toEqual([
      at('2021-03-01T22:00:00Z'),
      at('2021-03-01T23:00:00Z'),
      at('2021-03-02T00:00:00Z'),
      at('2021-03-02T01:00:00Z'),
    ]);
    expect(buckets.every((bucket) => bucket.end - bucket.start === HOUR)).toBe(true);
  });

  it('clips the first bucket when the start is not on the hour', () => {
    const buckets = hourBuckets(range('2021-03-01T04:15:30.250Z', '2021-03-01T06:00:00Z'));

    expect(buckets).toEqual([
      { start: at('2021-03-01T04:15:30.250Z'), end: at('2021-03-01T05:00:00Z') },
      { start: at('2021-03-01T05:00:00Z'), end: at('2021-03-01T06:00:00Z') },
    ]);
  });

  it('clips both edges when neither is on the hour', () => {
    const buckets = hourBuckets(range('2021-03-01T04:59:59.999Z', '2021-03-01T06:00:00.001Z'));

    expect(buckets).toEqual([
      { start: at('2021-03-01T04:59:59.999Z'), end: at('2021-03-01T05:00:00Z') },
      { start: at('2021-03-01T05:00:00Z'), end: at('2021-03-01T06:00:00Z') },
      { start: at('2021-03-01T06:00:00Z'), end: at('2021-03-01T06:00:00.001Z') },
    ]);
  });

  it('gives one bucket equal to the range when both edges lie inside one hour', () => {
    const inside = range('2021-03-01T04:10:00Z', '2021-03-01T04:20:00Z');

    expect(hourBuckets(inside)).toEqual([inside]);
  });

  it('gives one whole bucket for exactly one clock hour', () => {
    const oneHour = range('2021-03-01T04:00:00Z', '2021-03-01T05:00:00Z');

    expect(hourBuckets(oneHour)).toEqual([oneHour]);
  });

  it('gives two partial buckets for one hour that straddles a clock hour', () => {
    const buckets = hourBuckets(range('2021-03-01T04:30:00Z', '2021-03-01T05:30:00Z'));

    expect(buckets).toEqual([
      { start: at('2021-03-01T04:30:00Z'), end: at('2021-03-01T05:00:00Z') },
      { start: at('2021-03-01T05:00:00Z'), end: at('2021-03-01T05:30:00Z') },
    ]);
  });

  it('gives one millisecond-wide bucket for a one-millisecond range', () => {
    const tiny = { start: at('2021-03-01T04:00:00Z'), end: at('2021-03-01T04:00:00.001Z') };

    expect(hourBuckets(tiny)).toEqual([tiny]);
  });

  it('gives no buckets for an empty range', () => {
    const instant = at('2021-03-01T04:00:00Z');

    expect(hourBuckets({ start: instant, end: instant })).toEqual([]);
  });

  it.each([
    ['aligned', '2021-03-01T00:00:00Z', '2021-03-04T00:00:00Z'],
    ['unaligned', '2021-02-28T23:59:00.5Z', '2021-03-01T07:01:00Z'],
    ['across a year end', '2020-12-31T22:30:00Z', '2021-01-01T01:30:00Z'],
  ])('tiles an %s range without gaps or overlaps', (_case, start, end) => {
    const whole = range(start, end);

    const buckets = hourBuckets(whole);

    expect(buckets[0]?.start).toBe(whole.start);
    expect(buckets.at(-1)?.end).toBe(whole.end);
    buckets.slice(1).forEach((bucket, i) => {
      expect(bucket.start).toBe(buckets[i]?.end);
    });
    for (const bucket of buckets) {
      expect(bucket.end).toBeGreaterThan(bucket.start);
      expect(Math.floor(bucket.start / HOUR)).toBe(Math.floor((bucket.end - 1) / HOUR));
    }
  });
});

describe('countHours', () => {
  it.each([
    ['04:00 to 06:30', '2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z', 3],
    ['exactly one hour', '2021-03-01T04:00:00Z', '2021-03-01T05:00:00Z', 1],
    ['one hour and a millisecond', '2021-03-01T04:00:00Z', '2021-03-01T05:00:00.001Z', 2],
    ['one hour straddling a clock hour', '2021-03-01T04:30:00Z', '2021-03-01T05:30:00Z', 2],
    ['ten minutes inside one hour', '2021-03-01T04:10:00Z', '2021-03-01T04:20:00Z', 1],
    ['the three days of the data', '2021-03-01T00:00:00Z', '2021-03-04T00:00:00Z', 72],
  ])('counts the clock hours touched by %s', (_case, start, end, hours) => {
    const touched = range(start, end);

    expect(countHours(touched)).toBe(hours);
    expect(hourBuckets(touched)).toHaveLength(hours);
  });

  it('counts 0 for an empty or reversed range', () => {
    const instant = at('2021-03-01T04:00:00Z');

    expect(countHours({ start: instant, end: instant })).toBe(0);
    expect(countHours({ start: instant, end: instant - HOUR })).toBe(0);
  });

  it('counts a leap year of 366 days as the largest number of hourly buckets allowed', () => {
    const leapYear = range('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');

    expect(countHours(leapYear)).toBe(MAX_HOURLY_BUCKETS);
    expect(MAX_HOURLY_BUCKETS).toBe(8784);
  });
});

describe('formatBucketEdges', () => {
  // The edges as every bucket's own formatTimestamp calls gave them before.
  const edgesByDate = (r: TimeRange, windowSize: (typeof WINDOW_SIZES)[number]) => {
    const buckets = windowBuckets(r, windowSize);
    return buckets.length === 0
      ? []
      : [...buckets.map((bucket) => formatTimestamp(bucket.start)), formatTimestamp(r.end)];
  };
  const ranges: [string, TimeRange][] = [
    ['three hours with a partial last one', range('2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z')],
    ['both edges partial across midnight', range('2021-03-01T22:12:34.567Z', '2021-03-02T01:00:00.001Z')],
    ['one millisecond', range('2021-03-01T04:59:59.999Z', '2021-03-01T05:00:00Z')],
    ['a leap day and a month end', range('2024-02-28T20:30:00Z', '2024-03-01T03:00:00Z')],
    ['a year end', range('1999-12-31T21:00:00Z', '2000-01-01T02:15:00Z')],
    ['the last hours before the year 10000', { start: MAX_TIME_MS - 3 * HOUR - 5, end: MAX_TIME_MS }],
    ['from the epoch', range('1970-01-01T00:00:00Z', '1970-01-03T00:00:00.5Z')],
  ];

  it.each(ranges)(
    'gives the texts formatTimestamp gives for each bucket of %s, for every window size',
    (_, r) => {
      for (const windowSize of WINDOW_SIZES) {
        expect(formatBucketEdges(r, windowSize)).toEqual(edgesByDate(r, windowSize));
      }
    },
  );

  it('gives one edge more than there are buckets, bucket i running from edge i to edge i + 1', () => {
    const r = range('2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z');

    expect(formatBucketEdges(r, 'hour')).toEqual([
      '2021-03-01T04:00:00.000Z',
      '2021-03-01T05:00:00.000Z',
      '2021-03-01T06:00:00.000Z',
      '2021-03-01T06:30:00.000Z',
    ]);
  });

  it('gives the 8,785 edges of a leap year of hourly buckets as formatTimestamp does', () => {
    const r = range('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');

    const edges = formatBucketEdges(r, 'hour');

    expect(edges).toHaveLength(MAX_HOURLY_BUCKETS + 1);
    expect(edges).toEqual(Array.from(edges, (_, i) => formatTimestamp(r.start + i * HOUR)));
  });

  it('gives no edges for an empty range', () => {
    expect(
      formatBucketEdges({ start: at('2021-03-01T04:00:00Z'), end: at('2021-03-01T04:00:00Z') }, 'hour'),
    ).toEqual([]);
  });
});

describe('countBuckets', () => {
  it.each([
    range('2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z'),
    range('2021-03-01T22:12:34.567Z', '2021-03-04T01:00:00.001Z'),
    range('2021-03-01T04:00:00Z', '2021-03-01T04:00:00.001Z'),
  ])('counts as many buckets as windowBuckets builds for %j', (r) => {
    for (const windowSize of WINDOW_SIZES) {
      expect(countBuckets(r, windowSize)).toBe(windowBuckets(r, windowSize).length);
    }
  });
});
