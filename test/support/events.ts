/*
 * Small, deterministic event files for tests: generated rows, shuffles and slices, as text.
 */

import { seededRandom } from './regex-samples';

const HOUR = 3_600_000;

/** A copy of `items` in an order set by `seed`. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** The events.csv form of a time: `2021-03-01 00:03:21.74+00` (trailing fraction zeros dropped). */
export function csvTimestamp(time: number): string {
  const iso = new Date(time).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`}+00`;
}

/**
 * `rows` events spread over `customers` and the hours starting at `hours`, each with its own
 * transaction_id (`<prefix>-<n>`); one in ten shares the previous row's customer and time, as the
 * real data does. Lines without line ends.
 */
export function generateLines({
  rows,
  customers,
  hours,
  seed,
  prefix = 'tx',
}: {
  rows: number;
  customers: readonly string[];
  hours: readonly number[];
  seed: number;
  prefix?: string;
}): string[] {
  const next = seededRandom(seed);
  const lines: string[] = [];
  let previous = { customer: customers[0] as string, time: hours[0] as number };
  for (let n = 0; n < rows; n++) {
    const event =
      n > 0 && next() < 0.1
        ? previous
        : {
            customer: customers[Math.floor(next() * customers.length)] as string,
            time: (hours[Math.floor(next() * hours.length)] as number) + Math.floor(next() * HOUR),
          };
    const type = next() < 0.05 ? 'INGEST-WITH-PROXY' : 'INGEST';
    lines.push(`${event.customer},${type},${prefix}-${n},${csvTimestamp(event.time)}`);
    previous = event;
  }
  return lines;
}

/** Lines as a file's text: LF after every line. */
export const lf = (lines: readonly string[]) => lines.map((line) => `${line}\n`).join('');

/** The lines from `from` to `to` (fractions of the length, e.g. 0.4 to 1). */
export function slice<T>(lines: readonly T[], from: number, to: number): T[] {
  return lines.slice(Math.round(lines.length * from), Math.round(lines.length * to));
}
