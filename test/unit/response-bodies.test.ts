import { type WindowSize, windowBuckets } from '../../core/buckets';
import { bucketCounts, type EventCounts } from '../../core/event-counts';
import { formatTimestamp } from '../../core/time';
import { formatEventCountsJson, toEventCountsBody } from '../../lambda/response-bodies';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** An answer whose bucket i counts `i * 7 % 11` events. */
function answer(customerId: string, start: string, end: string, windowSize: WindowSize): EventCounts {
  const range = { start: at(start), end: at(end) };
  const counts = windowBuckets(range, windowSize).map((_, i) => (i * 7) % 11);
  return { customerId, range, windowSize, total: counts.reduce((sum, count) => sum + count, 0), counts };
}

/** The body as it was built before: one object per bucket, each bound through formatTimestamp. */
function bodyByObjects(result: EventCounts) {
  return {
    customer_id: result.customerId,
    starting_at: formatTimestamp(result.range.start),
    ending_before: formatTimestamp(result.range.end),
    window_size: result.windowSize,
    total: result.total,
    buckets: bucketCounts(result).map((bucket) => ({
      starting_at: formatTimestamp(bucket.start),
      ending_before: formatTimestamp(bucket.end),
      count: bucket.count,
    })),
  };
}

const answers: [string, EventCounts][] = [
  [
    'the design example',
    answer('b4f9279a0196e40632e947dd1a88e857', '2021-03-01T04:00:00Z', '2021-03-01T06:30:00Z', 'hour'),
  ],
  [
    'partial edges across midnight',
    answer('c1', '2021-03-01T22:12:34.567Z', '2021-03-02T01:00:00.001Z', 'hour'),
  ],
  ['days with partial edges', answer('c1', '2021-02-27T22:30:00Z', '2021-03-03T00:15:00Z', 'day')],
  ['one bucket for the whole range', answer('c1', '2021-03-01T04:00:00.5Z', '2021-03-09T00:00:00Z', 'none')],
  [
    'a customer id JSON must escape',
    answer('a "quoted" \\ id\n\u2028é', '2021-03-01T04:00:00Z', '2021-03-01T06:00:00Z', 'hour'),
  ],
];

describe('formatEventCountsJson', () => {
  it.each(answers)('writes the bytes JSON.stringify writes for the bucket objects: %s', (_, result) => {
    expect(formatEventCountsJson(result)).toBe(JSON.stringify(bodyByObjects(result)));
  });

  it('writes a leap year of hourly buckets as JSON.stringify does', () => {
    const result = answer('c1', '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 'hour');

    const json = formatEventCountsJson(result);

    expect(JSON.parse(json).buckets).toHaveLength(366 * 24);
    expect(json).toBe(JSON.stringify(bodyByObjects(result)));
  });

  it('writes zero counts as 0 and large ones in full', () => {
    const result = answer('c1', '2021-03-01T04:00:00Z', '2021-03-01T06:00:00Z', 'hour');
    result.counts = [0, 123_456_789_012];
    result.total = 123_456_789_012;

    expect(JSON.parse(formatEventCountsJson(result))).toMatchObject({
      total: 123_456_789_012,
      buckets: [
        { count: 0 },
        { count: 123_456_789_012, starting_at: formatTimestamp(at('2021-03-01T04:00:00Z') + HOUR) },
      ],
    });
  });
});

describe('toEventCountsBody', () => {
  it.each(answers)('gives one object per bucket with formatTimestamp bounds: %s', (_, result) => {
    expect(toEventCountsBody(result)).toEqual(bodyByObjects(result));
  });
});
