import { hourBuckets, type TimeRange } from './buckets';
import type { CounterStore } from './counter-store';
import { HOUR_MS, hourStart, MAX_TIME_MS, MIN_TIME_MS } from './time';

/** The reads a range query needs; the DynamoDB store provides them, tests may fake them. */
export type CountReader = Pick<CounterStore, 'queryHourCounts' | 'countEventsInHour'>;

/** One bucket of the answer: `[start, end)` and the events inside it. */
export interface BucketCount extends TimeRange {
  count: number;
}

/** Events of one customer in `[range.start, range.end)`, bucketed by clock hour. */
export interface HourlyEventCounts {
  customerId: string;
  range: TimeRange;
  total: number;
  buckets: BucketCount[];
}

/**
 * Counts the events of `hour` that fall inside `range`: the stored counter when the range covers
 * the whole hour, otherwise the hour's time index (never read for an empty hour).
 */
async function countHourWithin(
  reader: CountReader,
  customerId: string,
  hour: number,
  range: TimeRange,
  counters: Map<number, number>,
): Promise<number> {
  const whole = counters.get(hour) ?? 0;
  const from = Math.max(range.start, hour);
  const to = Math.min(range.end, hour + HOUR_MS);
  if (whole === 0 || to <= from) return 0;
  if (from === hour && to === hour + HOUR_MS) return whole;
  return reader.countEventsInHour(customerId, hour, from - hour, to - hour);
}

/**
 * Answers "how many events did `customerId` send in each clock hour of `[start, end)`": one Query
 * for the counters of the whole range, plus at most two time-index reads for partial edge hours.
 * Hours without events are present with count 0.
 */
export async function queryHourlyCounts(
  reader: CountReader,
  customerId: string,
  range: TimeRange,
): Promise<HourlyEventCounts> {
  const buckets = hourBuckets(range);
  const firstHour = hourStart(range.start);
  const lastHour = hourStart(range.end - 1);
  const counters = await reader.queryHourCounts(customerId, firstHour, lastHour);
  const counts = await Promise.all(
    buckets.map((bucket) => countHourWithin(reader, customerId, hourStart(bucket.start), range, counters)),
  );
  const withCounts = buckets.map((bucket, i) => ({ ...bucket, count: counts[i] ?? 0 }));
  return { customerId, range, total: counts.reduce((sum, count) => sum + count, 0), buckets: withCounts };
}

/**
 * Total events of `customerId` in `[start, end)`; a missing bound means the customer's whole
 * history on that side. Reads the counters of the range and at most two edge-hour indexes.
 */
export async function queryTotalEvents(
  reader: CountReader,
  customerId: string,
  bounds: { start?: number; end?: number },
): Promise<number> {
  const range = { start: bounds.start ?? MIN_TIME_MS, end: bounds.end ?? MAX_TIME_MS };
  const firstHour = hourStart(range.start);
  const lastHour = hourStart(range.end - 1);
  const counters = await reader.queryHourCounts(customerId, firstHour, lastHour);
  const edges = new Set([firstHour, lastHour]);
  let total = 0;
  for (const [hour, count] of counters) {
    if (!edges.has(hour)) total += count;
  }
  const edgeCounts = await Promise.all(
    [...edges].map((hour) => countHourWithin(reader, customerId, hour, range, counters)),
  );
  return edgeCounts.reduce((sum, count) => sum + count, total);
}
