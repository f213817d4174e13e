import { HOUR_MS, hourStart } from './time';

/** A half-open time interval `[start, end)` in epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** Largest number of hourly buckets one request may ask for: 366 days. */
export const MAX_HOURLY_BUCKETS = 366 * 24;

/**
 * Splits `[start, end)` into clock-hour buckets. The first and last buckets are clipped to the
 * range, so they are partial when `start` or `end` is not on the hour.
 */
export function hourBuckets(range: TimeRange): TimeRange[] {
  const buckets: TimeRange[] = [];
  for (let hour = hourStart(range.start); hour < range.end; hour += HOUR_MS) {
    buckets.push({ start: Math.max(hour, range.start), end: Math.min(hour + HOUR_MS, range.end) });
  }
  return buckets;
}

/** Number of clock hours that `[start, end)` touches. */
export function countHours(range: TimeRange): number {
  if (range.end <= range.start) return 0;
  return (hourStart(range.end - 1) - hourStart(range.start)) / HOUR_MS + 1;
}

/** True when the bucket covers its whole clock hour. */
export function isWholeHour(bucket: TimeRange): boolean {
  return bucket.start % HOUR_MS === 0 && bucket.end - bucket.start === HOUR_MS;
}
