import type { CounterStore } from '../../core/counter-store';
import { bucketCounts, queryEventCounts } from '../../core/event-counts';
import { hourlyCounts, type RawEvent, recount } from './recount';

const HOUR = 3_600_000;

/** What a table answers and what a recount expects, in one shape, for one `toEqual`. */
export interface CountsComparison {
  actual: Comparable;
  expected: Comparable;
}

interface Comparable {
  /** Every counter of every customer, by customer and UTC hour (`2021-03-01T04`). */
  hours: Record<string, Record<string, number>>;
  /** Ranges that start and end inside hours, answered from the time indexes: `[start, end)` → buckets. */
  ranges: Record<string, number[]>;
}

/**
 * A few ranges per customer whose first and last hours are partial: around the customer's middle
 * event (which starts one range exactly and ends another), inside a single hour, and across days.
 */
function partialRanges(events: readonly RawEvent[], customer: string): { start: number; end: number }[] {
  const times = events
    .filter((event) => event.customer === customer)
    .map((event) => event.time)
    .sort((a, b) => a - b);
  if (times.length === 0) return [];
  const middle = times[times.length >> 1] as number;
  const first = times[0] as number;
  const last = times.at(-1) as number;
  return [
    { start: middle, end: middle + 90 * 60_000 },
    { start: middle - 45 * 60_000 - 1, end: middle },
    { start: middle - (middle % HOUR) + 600_000, end: middle - (middle % HOUR) + 3_000_000 },
    { start: first + 1_234, end: last + 1 - 987 },
  ].filter((range) => range.end > range.start);
}

/**
 * Reads back every (customer, hour) counter of the customers of `events` (and `otherCustomers`)
 * from a day before their first event to a day after their last, and a few partial-hour ranges
 * per customer through `queryEventCounts`; beside them, the same figures from the recount.
 */
export async function compareWithRecount(
  store: Pick<CounterStore, 'queryHourCounts' | 'countEventsInHour'>,
  events: readonly RawEvent[],
  otherCustomers: readonly string[] = [],
): Promise<CountsComparison> {
  const times = events.map((event) => event.time);
  const firstHour = Math.min(...times) - (Math.min(...times) % HOUR) - 24 * HOUR;
  const lastHour = Math.max(...times) - (Math.max(...times) % HOUR) + 24 * HOUR;
  const customers = [...new Set([...events.map((event) => event.customer), ...otherCustomers])].sort();
  const actual: Comparable = { hours: {}, ranges: {} };
  const expected: Comparable = { hours: hourlyCounts(events), ranges: {} };
  for (const customer of customers) {
    const stored = await store.queryHourCounts(customer, firstHour, lastHour);
    const byHour: Record<string, number> = {};
    for (const [hour, count] of [...stored].sort(([a], [b]) => a - b)) {
      byHour[new Date(hour).toISOString().slice(0, 13)] = count;
    }
    if (stored.size > 0) actual.hours[customer] = byHour;
    for (const range of partialRanges(events, customer)) {
      const name = `${customer} [${new Date(range.start).toISOString()}, ${new Date(range.end).toISOString()})`;
      const answer = await queryEventCounts(store, customer, range, 'hour');
      actual.ranges[name] = answer.counts;
      expected.ranges[name] = bucketCounts(answer).map((bucket) =>
        recount(events, customer, bucket.start, bucket.end),
      );
    }
  }
  return { actual, expected };
}
