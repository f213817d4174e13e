import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { QueryRequest } from './query-shapes';
import { seededRandom } from './stats';

const HOUR = 3_600_000;

/**
 * The hot-hour data set: one customer with `hotEvents` events in one clock hour and `quietEvents`
 * in another, so a partial edge on either hour asks the same question of very different indexes.
 */
export interface HotHoursSpec {
  id: string;
  customerId: string;
  /** Epoch milliseconds of the start of each hour. */
  hotHour: number;
  hotEvents: number;
  quietHour: number;
  quietEvents: number;
  seed: number;
}

/** The shape: 1,000,000 events in one hour against 1,000 in another, four hours apart. */
export const HOT_HOURS: HotHoursSpec = {
  id: 'hot-hours',
  customerId: 'hot-customer-0001',
  hotHour: Date.UTC(2021, 2, 1, 10),
  hotEvents: 1_000_000,
  quietHour: Date.UTC(2021, 2, 1, 14),
  quietEvents: 1_000,
  seed: 13,
};

/** The same shape at a size a smoke run loads in a second. */
export const SMOKE_HOT_HOURS: HotHoursSpec = {
  ...HOT_HOURS,
  id: 'smoke-hot-hours',
  hotEvents: 5_000,
  quietEvents: 50,
};

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** `2021-03-01 10:03:21.074+00`: the data set's timestamp format, always with three fraction digits. */
export function csvTimestamp(ms: number): string {
  const date = new Date(ms);
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.` +
    `${pad(date.getUTCMilliseconds(), 3)}+00`
  );
}

/**
 * The rows of a hot-hour data set in blocks of about 64 KB: the hot hour's events, then the quiet
 * hour's, each at a uniformly random millisecond of its hour, every transaction_id unique. Row
 * order does not matter to the loader, and the same spec always gives the same bytes.
 */
export function* hotHourEventBlocks(spec: HotHoursSpec): Generator<string> {
  const random = seededRandom(spec.seed);
  let block = '';
  let row = 0;
  for (const [hour, events] of [
    [spec.hotHour, spec.hotEvents],
    [spec.quietHour, spec.quietEvents],
  ] as const) {
    for (let i = 0; i < events; i++, row++) {
      const at = hour + Math.floor(random() * HOUR);
      block += `${spec.customerId},INGEST,${spec.id}-${row},${csvTimestamp(at)}\n`;
      if (block.length >= 1 << 16) {
        yield block;
        block = '';
      }
    }
  }
  if (block !== '') yield block;
}

/** The data set's file in `dataDir`, written once and then reused (the same spec gives the same bytes). */
export async function prepareHotHoursFile(spec: HotHoursSpec, dataDir: string): Promise<string> {
  const file = join(
    dataDir,
    `${spec.id}-${spec.hotEvents}-and-${spec.quietEvents}-events-seed-${spec.seed}.csv`,
  );
  if (existsSync(file)) return file;
  mkdirSync(dataDir, { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  for (const block of hotHourEventBlocks(spec)) {
    if (!out.write(block)) await once(out, 'drain');
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  renameSync(partial, file);
  return file;
}

/**
 * `count` requests with exactly one partial edge, in the clock hour starting at `hour`, each cut at
 * another millisecond: even ones start at the cut and run to the end of the next hour, odd ones
 * start an hour before and end at the cut. The cuts are distinct, so no request repeats another.
 */
export function planEdgeRequests(
  customerId: string,
  hour: number,
  count: number,
  seed: number,
): QueryRequest[] {
  if (count > HOUR - 1)
    throw new Error(`at most ${HOUR - 1} distinct cuts fit in an hour; asked for ${count}`);
  const random = seededRandom(seed);
  const cuts = new Set<number>();
  while (cuts.size < count) cuts.add(1 + Math.floor(random() * (HOUR - 1)));
  return [...cuts].map((cut, i) =>
    i % 2 === 0
      ? { customerId, start: hour + cut, end: hour + 2 * HOUR }
      : { customerId, start: hour - HOUR, end: hour + cut },
  );
}
