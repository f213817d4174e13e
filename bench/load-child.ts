import { createHash } from 'node:crypto';
import { errorMessage } from '../core/errors';
import { peakRssMb } from './peak-rss';
import { LOADER_OPTIONS, stackFrames } from './processes';

/*
 * One load measurement in a process of its own, so the peak RSS it reports is that of the work
 * alone. Modes:
 *
 *   parse-only <file> [cpu-profile-file]   the loader (`loadEvents`, default buffer) over a store
 *                                          that answers every hour "empty" and writes nothing:
 *                                          read, validate, buffer, deduplicate, plan; no I/O.
 *                                          Optionally a V8 CPU profile of just that call.
 *   baseline                               nothing but loading the loader's modules: the part of
 *                                          the peak RSS that is Node and tsx, not the input.
 *   duckdb-aggregate <file> <dedupe>       DuckDB computing the same per-customer hourly counts.
 *
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
  /** Peak resident set size when the measured call returned. */
  peakRssMb: number;
}

interface HourCount {
  customerId: string;
  hour: number;
  count: number;
}

function digestCounts(counts: HourCount[]): string {
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

/**
 * The loader over a store without I/O: every hour reads as never written, and a commit only adds
 * the events of its hour writes to per-hour counts (a few bytes per customer-hour). A transaction_id
 * repeated across two buffer writes would be counted twice here, since the stub forgets what was
 * committed; the cross-check with DuckDB would show it (the bundled and generated files have none).
 */
async function parseOnly(file: string, profilePath: string | undefined) {
  const { createReadStream } = await import('node:fs');
  const { loadEvents } = await import('../loader/load-events');
  const totals = new Map<string, Map<number, number>>();
  const store: import('../loader/write-events').WriteStore = {
    tableName: 'parse-only',
    readHourState: async () => ({ version: 0, fragments: [] }),
    widenCustomerSpan: async () => {},
    commit: async ({ writes }) => {
      for (const { customerId, hour, offsets } of writes) {
        let hours = totals.get(customerId);
        if (hours === undefined) {
          hours = new Map();
          totals.set(customerId, hours);
        }
        hours.set(hour, (hours.get(hour) ?? 0) + offsets.length);
      }
      return 'committed';
    },
  };
  const started = performance.now();
  const work = () => loadEvents({ ...LOADER_OPTIONS, store, input: createReadStream(file), source: file });
  const summary = await (profilePath === undefined ? work() : profiled(profilePath, work));
  const seconds = (performance.now() - started) / 1000;
  const peak = peakRssMb();
  const counts = [...totals].flatMap(([customerId, hours]) =>
    [...hours].map(([hour, count]) => ({ customerId, hour, count })),
  );
  return { seconds, rows: summary.rows, peakRssMb: peak, counts };
}

async function measure(mode: string, file: string | undefined, extra: string | undefined) {
  if (mode === 'baseline') {
    await import('../loader/load-events');
    return { seconds: 0, rows: 0, peakRssMb: peakRssMb(), counts: [] };
  }
  if (file === undefined) throw new Error(`${mode} needs a file`);
  if (mode === 'parse-only') return parseOnly(file, extra);
  if (mode === 'duckdb-aggregate') {
    const { aggregateHourly, openDuckDb } = await import('./duckdb-baseline');
    const duckdb = await openDuckDb();
    const started = performance.now();
    const counts = await aggregateHourly(duckdb, file, extra === 'true');
    const seconds = (performance.now() - started) / 1000;
    duckdb.close();
    return { seconds, rows: undefined, peakRssMb: peakRssMb(), counts };
  }
  throw new Error(
    `mode must be parse-only, baseline or duckdb-aggregate; received ${JSON.stringify(mode)}\n` +
      'usage: load-child.ts parse-only <file> [cpu-profile-file] | baseline | duckdb-aggregate <file> <dedupe>',
  );
}

async function main(): Promise<void> {
  const [mode = '', file, extra] = process.argv.slice(2);
  const { seconds, rows, peakRssMb, counts } = await measure(mode, file, extra);
  const result: LoadChildResult = {
    seconds,
    rows,
    hours: counts.length,
    events: counts.reduce((sum, { count }) => sum + count, 0),
    digest: digestCounts(counts),
    peakRssMb,
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
