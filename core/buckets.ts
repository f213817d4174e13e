import { DAY_MS, dayStart, HOUR_MS, hourStart } from './time';

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
