import { bucketIndexOfHour, countBuckets, type TimeRange, type WindowSize, windowBuckets } from './buckets';
import type { CounterStore } from './counter-store';
import type { EdgeCache } from './edge-cache';
import { CustomerNotFoundError } from './errors';
import { checkRange, type EventCountsInput } from './query-input';
import { HOUR_MS, hourStart, MAX_TIME_MS, MIN_TIME_MS } from './time';
import { countInHourIndex, type HourIndex, minutesOfCuts, missingMinutes } from './time-index';

/**
 * The reads a range query needs; the DynamoDB store provides them, tests may fake them. With an
 * `edgeCache` and `readHourIndex`, edge hours are answered from the cache while their counters
 * show no new write (lambda/create-handler.ts adds the cache).
 */
export type CountReader = Pick<CounterStore, 'queryHourCounts' | 'countEventsInHour'> &
  Partial<Pick<CounterStore, 'readHourIndex'>> & { edgeCache?: EdgeCache };

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

/** A partial edge hour of a range: the offsets within the hour that the range covers. */
interface Edge {
  hour: number;
  from: number;
  to: number;
}

/**
 * The events of each stored hour of `range`, keyed by hour start: one Query for the counters, and
 * a time-index read for the range's first and last hour only when they are partial. Every other
 * hour lies wholly inside the range, so its counter is already exact. The edge reads run alongside
 * the counter Query rather than after it: one round trip instead of two, at the price of an index
 * Query that finds nothing when an edge hour has no events. With an edge cache, see countEdgesCached.
 */
async function countEventsByHour(
  reader: CountReader,
  customerId: string,
  range: TimeRange,
): Promise<Map<number, number>> {
  const firstHour = hourStart(range.start);
  const lastHour = hourStart(range.end - 1);
  const edges: Edge[] = [...new Set([firstHour, lastHour])].flatMap((hour) => {
    const offsets = partialOffsets(hour, range);
    return offsets === undefined ? [] : [{ hour, ...offsets }];
  });
  const { edgeCache, readHourIndex } = reader;
  if (edgeCache !== undefined && readHourIndex !== undefined && edges.length > 0) {
    return countEdgesCached(reader, edgeCache, readHourIndex, customerId, firstHour, lastHour, edges);
  }
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
 * countEventsByHour with an edge cache. An edge whose entry holds the minutes its cuts need waits
 * for the counter Query and is answered from the entry when the hour's counter (0 when absent)
 * equals the entry's events: same count, same writes (core/edge-cache.ts). Only a changed count
 * costs a second round trip, to read the edge again. An edge without a usable entry is read
 * alongside the counter Query, as without a cache, and its read is kept when consistent.
 */
async function countEdgesCached(
  reader: CountReader,
  cache: EdgeCache,
  readHourIndex: CounterStore['readHourIndex'],
  customerId: string,
  firstHour: number,
  lastHour: number,
  edges: Edge[],
): Promise<Map<number, number>> {
  const readEdge = async ({ hour, from, to }: Edge, cached: HourIndex | undefined): Promise<number> => {
    const { index, consistent } = await readHourIndex(customerId, hour, minutesOfCuts(from, to));
    if (consistent) {
      // The same writes: keep the minutes read before too, so cuts in either are answered.
      const minutes =
        cached?.writes === index.writes ? new Map([...cached.minutes, ...index.minutes]) : index.minutes;
      cache.set(customerId, hour, { ...index, minutes });
    }
    return countInHourIndex(index, from, to);
  };
  const plans = edges.map((edge) => {
    const cached = cache.get(customerId, edge.hour);
    const usable = cached !== undefined && missingMinutes(cached, edge.from, edge.to).length === 0;
    return { edge, cached: usable ? cached : undefined, read: usable ? undefined : readEdge(edge, cached) };
  });
  // One Promise.all, so that a failing edge read is handled even while the counters are pending.
  const [counters, ...early] = await Promise.all([
    reader.queryHourCounts(customerId, firstHour, lastHour),
    ...plans.map(({ read }) => read),
  ]);
  const counts = await Promise.all(
    plans.map(({ edge, cached }, i) => {
      const read = early[i];
      if (read !== undefined) return read;
      if (cached !== undefined && cached.events === (counters.get(edge.hour) ?? 0)) {
        return countInHourIndex(cached, edge.from, edge.to);
      }
      return readEdge(edge, cached);
    }),
  );
  edges.forEach(({ hour }, i) => {
    counters.set(hour, counts[i] ?? 0);
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
