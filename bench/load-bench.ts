import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadChildResult } from './load-child';
import { childEnv, LOADER_NODE_ARGS, ROOT, runJsonTimed } from './processes';
import { median } from './stats';

/** One run of the loader CLI into DynamoDB Local, timed from process start. */
export interface LoaderCliRun {
  /** Process start to the summary: what a user waits for. */
  secondsToSummary: number;
  /** The loader's own clock (`seconds` of its summary): reading and writing, interleaved. */
  loadSeconds: number;
  /** Process start until the load began: Node, tsx, the AWS SDK, the table check. */
  startupSeconds: number;
  peakRssMb: number;
  rows: number;
  accepted: number;
  transactions: number;
  itemsWritten: number;
}

/** Best of `runs` fresh processes: the least disturbed by other work on the machine. */
export interface ThroughputResult {
  runs: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** Median wall time of the runs' processes, spawn to exit: Node, tsx and module loading included. */
  medianProcessSeconds: number;
}

/** The load section for one data set. */
export interface LoadResult {
  dataset: string;
  rows: number;
  /**
   * The loader without I/O (bench/load-child.ts `parse-only`): `loadEvents` over a store that
   * answers every hour empty and writes nothing, so read, validate, buffer, deduplicate and plan.
   */
  parseOnly: ThroughputResult;
  duckdb: ThroughputResult;
  /** Both sides' per-customer hourly counts, compared by digest. */
  crossCheck: { hours: number; events: number; identical: boolean };
  /**
   * The command behind `npm run load` (`command`, from package.json) with `<file> --endpoint ...
   * --json`, into fresh tables; null where not run.
   */
  endToEnd: {
    command: string;
    runs: LoaderCliRun[];
    medianSecondsToSummary: number;
    peakRssMb: number;
  } | null;
}

/**
 * Ours end to end against DuckDB as a process: rows over the CLI's median seconds from process start
 * to summary, against rows over the median seconds of a fresh Node process that opens DuckDB,
 * computes the per-customer hourly counts and prints them (bench/load-child.ts `duckdb-aggregate`).
 * Both are processes started by the bench and timed by its clock; null without end-to-end runs.
 */
export function endToEndVsDuckDb(load: LoadResult) {
  if (load.endToEnd === null) return null;
  const ours = load.rows / load.endToEnd.medianSecondsToSummary;
  const duckdb = load.rows / load.duckdb.medianProcessSeconds;
  return { oursRowsPerSecond: ours, duckdbRowsPerSecond: duckdb, ratio: ours / duckdb };
}

interface SummaryJson {
  status: string;
  rows: number;
  accepted: number;
  transactions: number;
  itemsWritten: number;
  seconds: number;
}

/**
 * The command behind `npm run load` (package.json `scripts.load`) as arguments, the first one Node
 * itself: the bench times what a user runs, whether that is the TypeScript through tsx or a bundle.
 */
export function loadCommand(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (scripts?.load ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) {
    throw new Error(`package.json scripts.load must start with node; it is ${JSON.stringify(scripts?.load)}`);
  }
  return words.slice(1);
}

/**
 * Times the command of `npm run load` from spawn to its summary; its peak RSS comes from
 * bench/rss-probe.js, which it loads first (`--require`).
 */
export async function runLoaderCli(
  file: string,
  endpoint: string,
  tableName: string,
  scratchDir: string,
): Promise<LoaderCliRun> {
  const rssFile = join(scratchDir, `rss-${tableName}.txt`);
  rmSync(rssFile, { force: true });
  const args = [
    '--require',
    './bench/rss-probe.js',
    ...loadCommand(),
    file,
    '--endpoint',
    endpoint,
    '--table',
    tableName,
    '--rejects',
    join(scratchDir, `${tableName}.rejects.csv`),
    '--json',
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: childEnv({ BENCH_RSS_FILE: rssFile }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let summary: SummaryJson | undefined;
  let summaryAt = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    summaryAt = performance.now();
    summary = JSON.parse(line) as SummaryJson;
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0 || summary === undefined || summary.status !== 'loaded') {
    throw new Error(`loader CLI exited with ${code}, summary ${JSON.stringify(summary)}: ${stderr.trim()}`);
  }
  const secondsToSummary = (summaryAt - started) / 1000;
  const rssKb = readFileSync(rssFile, 'utf8').trim().split('\n').map(Number);
  return {
    secondsToSummary,
    loadSeconds: summary.seconds,
    startupSeconds: secondsToSummary - summary.seconds,
    peakRssMb: Math.max(...rssKb) / 1024,
    rows: summary.rows,
    accepted: summary.accepted,
    transactions: summary.transactions,
    itemsWritten: summary.itemsWritten,
  };
}

/** Runs one load-child measurement `runs` times, each in a fresh process; keeps the fastest. */
async function bestOf(runs: number, rows: number, args: string[]) {
  const results: LoadChildResult[] = [];
  const processSeconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runJsonTimed<LoadChildResult>('bench/load-child.ts', args, LOADER_NODE_ARGS);
    results.push(run.result);
    processSeconds.push(run.processSeconds);
  }
  const best = results.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const throughput: ThroughputResult = {
    runs,
    seconds: best.seconds,
    rowsPerSecond: rows / best.seconds,
    peakRssMb: Math.max(...results.map((result) => result.peakRssMb)),
    medianProcessSeconds: median(processSeconds),
  };
  return { best, throughput };
}

/**
 * Measures loading one file: the loader's parse-only throughput and DuckDB's aggregate of the same
 * file, each best of `throughputRuns` fresh processes (peak RSS is theirs alone), then one
 * end-to-end CLI load per table name into fresh tables.
 */
export async function benchmarkLoad(options: {
  dataset: string;
  file: string;
  rows: number;
  dedupe: boolean;
  throughputRuns: number;
  /** Parse-only runs when fewer than `throughputRuns` (a 10M-row run takes half a minute). */
  parseOnlyRuns?: number;
  endpoint: string;
  /** Tables for end-to-end CLI loads, one run each; none skips them. */
  cliTableNames: string[];
  scratchDir: string;
}): Promise<LoadResult> {
  const { dataset, file, rows, dedupe, throughputRuns, endpoint, cliTableNames, scratchDir } = options;
  const ours = await bestOf(options.parseOnlyRuns ?? throughputRuns, rows, ['parse-only', file]);
  const duckdb = await bestOf(throughputRuns, rows, ['duckdb-aggregate', file, String(dedupe)]);
  const runs: LoaderCliRun[] = [];
  for (const tableName of cliTableNames) runs.push(await runLoaderCli(file, endpoint, tableName, scratchDir));
  return {
    dataset,
    rows,
    parseOnly: ours.throughput,
    duckdb: duckdb.throughput,
    crossCheck: {
      hours: ours.best.hours,
      events: ours.best.events,
      identical:
        ours.best.digest === duckdb.best.digest &&
        ours.best.hours === duckdb.best.hours &&
        ours.best.events === duckdb.best.events,
    },
    endToEnd:
      runs.length === 0
        ? null
        : {
            command: `node ${loadCommand().join(' ')}`,
            runs,
            medianSecondsToSummary: median(runs.map((run) => run.secondsToSummary)),
            peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
          },
  };
}
