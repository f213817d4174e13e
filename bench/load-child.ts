import { createHash } from 'node:crypto';
import { errorMessage } from '../core/errors';
import { stackFrames } from './processes';

/*
 * One load measurement in a process of its own, so the peak RSS it reports is that of the work
 * alone: `read-events <file> [cpu-profile-file]` (the loader's parse + validate + deduplicate +
 * aggregate, no writes; optionally a V8 CPU profile of just that call) or
 * `duckdb-aggregate <file> <dedupe>` (DuckDB computing the same per-customer hourly counts).
 * Prints one JSON line: seconds, rows, the counts' digest (for the cross-check) and peak RSS.
 */

/** What one child measured. */
export interface LoadChildResult {
  seconds: number;
  /** Rows the loader read (DuckDB does not report them; the file's row count applies). */
  rows?: number;
  /** (customer, hour) pairs with events, and the events in them. */
  hours: number;
  events: number;
  /** SHA-256 of the sorted `customer,hour,count` lines: equal digests mean equal counts. */
  digest: string;
  peakRssMb: number;
}

function digestCounts(counts: { customerId: string; hour: number; count: number }[]): string {
  const lines = counts.map(({ customerId, hour, count }) => `${customerId},${hour},${count}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Runs `work` under the V8 sampling profiler and writes the profile to `path`. */
async function profiled<T>(path: string, work: () => Promise<T>): Promise<T> {
  const { writeFileSync } = await import('node:fs');
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const result = await work();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(path, JSON.stringify(profile));
  session.disconnect();
  return result;
}

async function measure(mode: string, file: string, extra: string | undefined) {
  if (mode === 'read-events') {
    const { createReadStream } = await import('node:fs');
    const { readEvents } = await import('../loader/load-events');
    const started = performance.now();
    const work = () => readEvents(createReadStream(file));
    const read = await (extra === undefined ? work() : profiled(extra, work));
    const seconds = (performance.now() - started) / 1000;
    const counts = read.hours.map(({ customerId, hour, offsets }) => ({
      customerId,
      hour,
      count: offsets.length,
    }));
    return { seconds, rows: read.rows, counts };
  }
  if (mode === 'duckdb-aggregate') {
    const { aggregateHourly, openDuckDb } = await import('./duckdb-baseline');
    const duckdb = await openDuckDb();
    const started = performance.now();
    const counts = await aggregateHourly(duckdb, file, extra === 'true');
    const seconds = (performance.now() - started) / 1000;
    duckdb.close();
    return { seconds, rows: undefined, counts };
  }
  throw new Error(`mode must be read-events or duckdb-aggregate; received ${JSON.stringify(mode)}`);
}

async function main(): Promise<void> {
  const [mode = '', file, extra] = process.argv.slice(2);
  if (file === undefined) {
    throw new Error(
      'usage: load-child.ts read-events <file> [cpu-profile-file] | duckdb-aggregate <file> <dedupe>',
    );
  }
  const { seconds, rows, counts } = await measure(mode, file, extra);
  const result: LoadChildResult = {
    seconds,
    rows,
    hours: counts.length,
    events: counts.reduce((sum, { count }) => sum + count, 0),
    digest: digestCounts(counts),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  // As core/cli-options' printCliError prints it; that module is not imported here since it loads the
  // AWS SDK, whose memory would count in the peak RSS this process measures.
  const frames = stackFrames(error);
  console.error(`error: ${errorMessage(error)}${frames === undefined ? '' : `\n${frames}`}`);
  process.exitCode = 1;
});
