import { readFileSync } from 'node:fs';

/** One event of the CSV, read without any product code. */
export interface RawEvent {
  customer: string;
  time: number;
}

/**
 * Reads events.csv the simple way, independent of the loader: split lines and commas, turn the
 * `2021-03-01 00:03:21.74+00` form into ISO and let Date.parse do the rest.
 */
export function readRawEvents(path: string): RawEvent[] {
  const events: RawEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const columns = line.split(',');
    const stamp = columns[columns.length - 1] as string;
    const iso = `${stamp.replace(' ', 'T')}:00`;
    const time = Date.parse(iso);
    if (Number.isNaN(time)) throw new Error(`recount cannot read ${stamp}`);
    events.push({ customer: columns[0] as string, time });
  }
  return events;
}

/** Counts the events of `customer` in `[from, to)` by looking at every event. */
export function recount(events: readonly RawEvent[], customer: string, from: number, to: number): number {
  return events.filter((event) => event.customer === customer && event.time >= from && event.time < to)
    .length;
}
