import { DAY_MS, dayStart, formatTimestamp, HOUR_MS, hourStart } from './time';

/** A half-open time interval `[start, end)` in epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** How an answer is bucketed: UTC clock hours, UTC days, or one bucket for the whole range. */
export type WindowSize = 'hour' | 'day' | 'none';

/** Every window size, in the order the API documents them. */
export const WINDOW_SIZES: readonly WindowSize[] = ['hour', 'day', 'none'];

/** Largest number of hourly buckets one request may ask for: 366 days. */
export const MAX_HOURLY_BUCKETS = 366 * 24;

/** Largest number of UTC days one request may touch with `day` or `none` windows: 10 years. */
export const MAX_DAYS = 10 * 365 + 3;

/**
 * Splits `[start, end)` into clock-hour buckets. The first and last buckets are clipped to the
 * range, so they are partial when `start` or `end` is not on the hour.
 */
export function hourBuckets(range: TimeRange): TimeRange[] {
  return alignedBuckets(range, HOUR_MS);
}

/** Splits `[start, end)` into UTC-day buckets, the first and last clipped to the range. */
export function dayBuckets(range: TimeRange): TimeRange[] {
  return alignedBuckets(range, DAY_MS);
}

function alignedBuckets(range: TimeRange, size: number): TimeRange[] {
  const buckets: TimeRange[] = [];
  for (let edge = Math.floor(range.start / size) * size; edge < range.end; edge += size) {
    buckets.push({ start: Math.max(edge, range.start), end: Math.min(edge + size, range.end) });
  }
  return buckets;
}

/** The buckets of `range` for a window size; `none` is the whole range as one bucket. */
export function windowBuckets(range: TimeRange, windowSize: WindowSize): TimeRange[] {
  switch (windowSize) {
    case 'hour':
      return hourBuckets(range);
    case 'day':
      return dayBuckets(range);
    case 'none':
      return [{ ...range }];
  }
}

/** Number of buckets `windowBuckets(range, windowSize)` gives, without building them. */
export function countBuckets(range: TimeRange, windowSize: WindowSize): number {
  switch (windowSize) {
    case 'hour':
      return countHours(range);
    case 'day':
      return countDays(range);
    case 'none':
      return 1;
  }
}

// `T00:00:00.000Z` to `T23:00:00.000Z`: what follows the date in an hour's ISO-8601 text.
const HOUR_SUFFIXES = Array.from({ length: 24 }, (_, hour) => `T${String(hour).padStart(2, '0')}:00:00.000Z`);

/**
 * The edges of the buckets of `range` as `formatTimestamp` writes them: `range.start`, every
 * aligned edge inside the range, then `range.end`, so bucket `i` of `windowBuckets(range,
 * windowSize)` runs from edge `i` to edge `i + 1`. A year of hourly buckets needs 8,785 texts: the
 * aligned ones are put together from their day's date, formatted once per day, and a fixed hour
 * suffix rather than through a `Date` each, which made up most of the time of a long request.
 */
export function formatBucketEdges(range: TimeRange, windowSize: WindowSize): string[] {
  const count = countBuckets(range, windowSize);
  if (count === 0) return [];
  const edges = new Array<string>(count + 1);
  edges[0] = formatTimestamp(range.start);
  // The aligned edges walk through the days by hour of day: no Date and no division per edge.
  // They lie strictly inside the range, so their year has four digits; the range's end may be
  // 10000-01-01, which toISOString writes with six, so both ends keep formatTimestamp.
  const hoursPerStep = windowSize === 'day' ? 24 : 1;
  let day = dayStart(range.start);
  let hourOfDay = windowSize === 'day' ? 24 : (hourStart(range.start) - day) / HOUR_MS + 1;
  let date = '';
  for (let i = 1; i < count; i++, hourOfDay += hoursPerStep) {
    if (hourOfDay >= 24 || date === '') {
      day += (hourOfDay - (hourOfDay % 24)) * HOUR_MS;
      hourOfDay %= 24;
      date = formatTimestamp(day).slice(0, 10);
    }
    edges[i] = `${date}${HOUR_SUFFIXES[hourOfDay]}`;
  }
  edges[count] = formatTimestamp(range.end);
  return edges;
}

/**
 * Position, in `windowBuckets(range, windowSize)`, of the bucket holding the clock hour that
 * starts at `hour` (an hour inside the range).
 */
export function bucketIndexOfHour(range: TimeRange, windowSize: WindowSize, hour: number): number {
  switch (windowSize) {
    case 'hour':
      return (hour - hourStart(range.start)) / HOUR_MS;
    case 'day':
      return (dayStart(hour) - dayStart(range.start)) / DAY_MS;
    case 'none':
      return 0;
  }
}

/** Number of clock hours that `[start, end)` touches. */
export function countHours(range: TimeRange): number {
  if (range.end <= range.start) return 0;
  return (hourStart(range.end - 1) - hourStart(range.start)) / HOUR_MS + 1;
}

/** Number of UTC days that `[start, end)` touches. */
export function countDays(range: TimeRange): number {
  if (range.end <= range.start) return 0;
  return (dayStart(range.end - 1) - dayStart(range.start)) / DAY_MS + 1;
}
