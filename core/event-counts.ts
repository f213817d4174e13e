import { bucketIndexOfHour, countBuckets, type TimeRange, type WindowSize, windowBuckets } from './buckets';
import type { CounterStore } from './counter-store';
import { CustomerNotFoundError } from './errors';
import { checkRange, type EventCountsInput } from './query-input';
import { HOUR_MS, hourStart, MAX_TIME_MS, MIN_TIME_MS } from './time';

/** The reads a range query needs; the DynamoDB store provides them, tests may fake them. */
export type CountReader = Pick<CounterStore, 'queryHourCounts' | 'countEventsInHour'>;

/** The reads that fill in a missing bound from the customer directory. */
export type CustomerReader = Pick<CounterStore, 'getCustomer'>;

/** One bucket of the answer: `[start, end)` and the events inside it. */
export interface BucketCount extends TimeRange {
  count: number;
}

/**
 * Events of one customer in `[range.start, range.end)`, bucketed by the window size: `counts[i]`
 * is the count of bucket `i` of `windowBuckets(range, windowSize)` (see `bucketCounts`). Plain
 * numbers rather than bucket objects: a year of hourly buckets is 8,784 of them.
 */
export interface EventCounts {
  customerId: string;
  range: TimeRange;
  windowSize: WindowSize;
  total: number;
  counts: number[];
}

/** The part of `hour` that `range` covers, as offsets within the hour, or undefined when it covers all of it. */
function partialOffsets(hour: number, range: TimeRange): { from: number; to: number } | undefined {
  const from = Math.max(range.start, hour) - hour;
  const to = Math.min(range.end, hour + HOUR_MS) - hour;
  return from === 0 && to === HOUR_MS ? undefined : { from, to };
}

/**
 * The events of each stored hour of `range`, keyed by hour start: one Query for the counters, and
 * a time-index read for the range's first and last hour only when they are partial. Every other
 * hour lies wholly inside the range, so its counter is already exact. The edge reads run alongside
 * the counter Query rather than after it: one round trip instead of two, at the price of an index
 * Query that finds nothing when an edge hour has no events.
 */
async function countEventsByHour(
  reader: CountReader,
  customerId: string,
  range: TimeRange,
): Promise<Map<number, number>> {
  const firstHour = hourStart(range.start);
  const lastHour = hourStart(range.end - 1);
  const edges = [...new Set([firstHour, lastHour])].flatMap((hour) => {
    const offsets = partialOffsets(hour, range);
    return offsets === undefined ? [] : [{ hour, ...offsets }];
  });
  const [counters, ...edgeCounts] = await Promise.all([
    reader.queryHourCounts(customerId, firstHour, lastHour),
    ...edges.map(({ hour, from, to }) => reader.countEventsInHour(customerId, hour, from, to)),
  ]);
  edges.forEach(({ hour }, i) => {
    counters.set(hour, edgeCounts[i] ?? 0);
  });
  return counters;
}

/**
 * Answers "how many events did `customerId` send in each window of `[start, end)`": hour, UTC day
 * or one bucket for the whole range. One Query reads the hourly counters of the whole range (a day
 * is the sum of its hours), plus at most two time-index reads for partial edge hours. Windows
 * without events are present with count 0.
 */
export async function queryEventCounts(
  reader: CountReader,
  customerId: string,
  range: TimeRange,
  windowSize: WindowSize = 'hour',
): Promise<EventCounts> {
  const byHour = await countEventsByHour(reader, customerId, range);
  const counts = new Array<number>(countBuckets(range, windowSize)).fill(0);
  let total = 0;
  for (const [hour, count] of byHour) {
    const index = bucketIndexOfHour(range, windowSize, hour);
    if (!(index >= 0 && index < counts.length)) throw new Error(`hour ${hour} lies outside the range`);
    counts[index] = (counts[index] as number) + count;
    total += count;
  }
  return { customerId, range, windowSize, total, counts };
}

/** The buckets of an answer as `[start, end)` and count, in order. */
export function bucketCounts({ range, windowSize, counts }: EventCounts): BucketCount[] {
  return windowBuckets(range, windowSize).map((bucket, i) => ({ ...bucket, count: counts[i] ?? 0 }));
}

/** The design's question: events of `customerId` in each clock hour of `[start, end)`. */
export function queryHourlyCounts(
  reader: CountReader,
  customerId: string,
  range: TimeRange,
): Promise<EventCounts> {
  return queryEventCounts(reader, customerId, range, 'hour');
}

/**
 * The complete range of an event counts request. A missing `starting_at` becomes the start of the
 * hour of the customer's first event and a missing `ending_before` the end of the hour of its last
 * event, from the customer directory (one GetItem, only when a bound is missing).
 *
 * @throws CustomerNotFoundError when a bound is missing and the customer has no events.
 * @throws InvalidParameterError when the range is out of order or too long for the window size.
 */
export async function resolveRange(reader: CustomerReader, input: EventCountsInput): Promise<TimeRange> {
  const { customerId, start, end, windowSize } = input;
  if (start !== undefined && end !== undefined) return checkRange({ start, end }, windowSize);
  const customer = await reader.getCustomer(customerId);
  if (customer === undefined) {
    throw new CustomerNotFoundError(
      customerId,
      `customer ${customerId} has no events, so starting_at and ending_before cannot default to its first ` +
        'and last event; pass both to get zero-filled buckets',
    );
  }
  return checkRange(
    {
      start: start ?? hourStart(customer.firstEventAt),
      end: end ?? hourStart(customer.lastEventAt) + HOUR_MS,
    },
    windowSize,
    { start: start === undefined, end: end === undefined },
  );
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
  // Only a lone ending_before at the epoch itself gives an empty range; nothing lies before it.
  if (range.end <= range.start) return 0;
  let total = 0;
  for (const count of (await countEventsByHour(reader, customerId, range)).values()) total += count;
  return total;
}
