import type { ColdStartResult } from './cold-start';
import type { CostResult } from './cost-bench';
import type { LoadResult } from './load-bench';
import type { LoaderMemoryResult } from './loader-memory';
import type { LoaderProfile } from './loader-profile';
import type { CrossCheckResult, EngineId, LatencyResult } from './query-bench';
import type { ShapeId } from './query-shapes';
import type { OnDemandPrices, WriteCostResult } from './write-cost';

/** The machine a run measured, so numbers are read against it. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  java: string;
  duckdb: string;
  duckdbThreads: number;
  /** 1-minute load average before and after the run: other work on the machine skews latency. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

/** One data set as the run found it. */
export interface DatasetResult {
  id: string;
  label: string;
  file: string;
  bytes: number;
  rows: number;
  /** Events after removing repeated transaction_ids: what the table stores. */
  storedEvents: number;
  customers: number;
  /** Events per hour of the customers the queries ask about (the three largest), on average. */
  queriedCustomerEventsPerHour: number;
  firstEventAt: string;
  lastEventAt: string;
  generatedSeconds?: number;
  duckdbMemoryLoadSeconds: number;
  /** Copying the in-memory events sorted by customer and time. */
  duckdbSortSeconds: number;
}

/** A target of the issue, evaluated on this run's numbers (null: not measured in this run). */
export interface TargetResult {
  id: TargetId;
  target: string;
  measured: string;
  met: boolean | null;
}

export type TargetId =
  | 'query-growth'
  | 'query-vs-csv-scan'
  | 'query-vs-duckdb-memory'
  | 'loader-throughput'
  | 'loader-memory-growth'
  | 'loader-memory-10m'
  | 'load-end-to-end'
  | 'bundle-size'
  | 'import-time';

/** Everything one `npm run bench` measured: bench/results/<timestamp>.json. */
export interface BenchResults {
  /** 2: the streaming loader (parse-only path, peak memory against file size, write cost). */
  schemaVersion: 2;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  smoke: boolean;
  machine: MachineInfo;
  settings: {
    sizes: string[];
    requests: number;
    warmup: number;
    variants: number;
    /** Mixed requests through our handler before timing: longer on the first set, the JVM has just started. */
    jitWarmupSeconds: { first: number; later: number };
    csvScan: { variants: number; requests: number; warmup: number };
    /** End-to-end CLI loads of the first data set; the others are loaded once, metered. */
    endToEndRuns: number;
    throughputRuns: number;
    coldStartRuns: number;
  };
  datasets: DatasetResult[];
  load: LoadResult[];
  /** Peak RSS of the loader's parse-only path on files of one shape at growing sizes. */
  loaderMemory: LoaderMemoryResult | null;
  /** Each data set loaded once into DynamoDB Local, metered: what loading costs on DynamoDB. */
  writeCost: { prices: OnDemandPrices; datasets: WriteCostResult[] };
  latencies: LatencyResult[];
  crossChecks: CrossCheckResult[];
  cost: CostResult[];
  coldStart: ColdStartResult | null;
  loaderProfile: LoaderProfile | null;
  targets: TargetResult[];
}

/** p50 of one engine on one shape and data set, if measured. */
export function p50(
  results: Pick<BenchResults, 'latencies'>,
  dataset: string,
  shape: ShapeId,
  engine: EngineId,
) {
  return results.latencies.find((l) => l.dataset === dataset && l.shape === shape && l.engine === engine)
    ?.p50Ms;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const mb = (value: number) => `${Math.round(value)} MB`;
const fileMb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB file`;

/** The loader's peak RSS on a file ten times larger may be at most this many times its peak on the smaller. */
export const MEMORY_GROWTH_LIMIT = 1.3;
/** The loader's peak RSS on the 10M-row file must stay under this. */
export const MEMORY_10M_LIMIT_MB = 512;

/**
 * Evaluates the targets as ratios within this run: the smallest data set is the base,
 * the largest the top (10M in a full run).
 */
export function evaluateTargets(results: Omit<BenchResults, 'targets'>): TargetResult[] {
  const base = results.datasets[0]?.id ?? '';
  const top = results.datasets.at(-1)?.id ?? '';
  const growthMeasured = results.datasets.length > 1;
  const shape = '72h-partial';
  const oursBase = p50(results, base, shape, 'ours-handler');
  const oursTop = p50(results, top, shape, 'ours-handler');
  const memoryTop = p50(results, top, shape, 'duckdb-memory');
  const loadTop = results.load.find((l) => l.dataset === top);
  const loadBase = results.load.find((l) => l.dataset === base);
  const cold = results.coldStart;
  const targets: TargetResult[] = [];
  const add = (id: TargetId, target: string, measured: string | undefined, met: boolean | undefined) =>
    targets.push({
      id,
      target,
      measured: measured ?? 'not measured',
      met: measured === undefined ? null : (met ?? null),
    });

  add(
    'query-growth',
    `72-hour partial-edge query: p50 at ${top} within 1.5× of its p50 at ${base}`,
    growthMeasured && oursBase !== undefined && oursTop !== undefined
      ? `${ms(oursTop)} at ${top} vs ${ms(oursBase)} at ${base}: ${ratio(oursTop / oursBase)}`
      : undefined,
    oursBase !== undefined && oursTop !== undefined && oursTop <= 1.5 * oursBase,
  );
  const csvRatios = results.datasets.flatMap(({ id }) => {
    const csv = p50(results, id, shape, 'duckdb-csv');
    const ours = p50(results, id, shape, 'ours-handler');
    return csv === undefined || ours === undefined ? [] : [{ id, csv, ours, times: csv / ours }];
  });
  add(
    'query-vs-csv-scan',
    'every data set: 72-hour query p50 at least 10× lower than DuckDB scanning the CSV',
    csvRatios.length === 0
      ? undefined
      : csvRatios.map((r) => `${r.id}: ${ms(r.ours)} vs ${ms(r.csv)}, ${ratio(r.times)}`).join('; '),
    csvRatios.every((r) => r.times >= 10),
  );
  add(
    'query-vs-duckdb-memory',
    `72-hour query: p50 lower than DuckDB with the events in memory at ${top}`,
    oursTop !== undefined && memoryTop !== undefined
      ? `${ms(oursTop)} vs ${ms(memoryTop)} (DuckDB / ours ${ratio(memoryTop / oursTop)})`
      : undefined,
    oursTop !== undefined && memoryTop !== undefined && oursTop < memoryTop,
  );
  add(
    'loader-throughput',
    `loader parse-only throughput (read, validate, buffer, deduplicate, plan) at least 1/3 of DuckDB's (${top})`,
    loadTop === undefined
      ? undefined
      : `${Math.round(loadTop.parseOnly.rowsPerSecond).toLocaleString('en-US')} vs ` +
          `${Math.round(loadTop.duckdb.rowsPerSecond).toLocaleString('en-US')} rows/s: ` +
          `1/${(loadTop.duckdb.rowsPerSecond / loadTop.parseOnly.rowsPerSecond).toFixed(1)}`,
    loadTop !== undefined && loadTop.parseOnly.rowsPerSecond * 3 >= loadTop.duckdb.rowsPerSecond,
  );
  const [small, large] = results.loaderMemory?.points ?? [];
  add(
    'loader-memory-growth',
    `loader peak RSS (parse-only, default buffer) on ${large?.id ?? 'a file 10× larger'} within ` +
      `${MEMORY_GROWTH_LIMIT}× of ${small?.id ?? 'the smaller'}`,
    small !== undefined && large !== undefined
      ? `${mb(large.peakRssMb)} (${fileMb(large.bytes)}) vs ${mb(small.peakRssMb)} (${fileMb(small.bytes)}): ` +
          ratio(large.peakRssMb / small.peakRssMb)
      : undefined,
    small !== undefined && large !== undefined && large.peakRssMb <= MEMORY_GROWTH_LIMIT * small.peakRssMb,
  );
  const tenMillion = results.loaderMemory?.points.find((point) => point.id === '10m');
  add(
    'loader-memory-10m',
    `loader peak RSS (parse-only, default buffer) on the 10M-row file under ${MEMORY_10M_LIMIT_MB} MB`,
    tenMillion === undefined ? undefined : `${mb(tenMillion.peakRssMb)} (${fileMb(tenMillion.bytes)})`,
    tenMillion !== undefined && tenMillion.peakRssMb < MEMORY_10M_LIMIT_MB,
  );
  const endToEnd = loadBase?.endToEnd ?? undefined;
  add(
    'load-end-to-end',
    `loading ${base} end to end (process start to summary) under 3 s`,
    endToEnd === undefined
      ? undefined
      : `${endToEnd.medianSecondsToSummary.toFixed(2)} s (median of ${endToEnd.runs.length})`,
    endToEnd !== undefined && endToEnd.medianSecondsToSummary < 3,
  );
  add(
    'bundle-size',
    'bundled handler under 500 KB',
    cold === null ? undefined : `${(cold.bundleBytes / 1000).toFixed(1)} KB`,
    cold !== null && cold.bundleBytes < 500_000,
  );
  add(
    'import-time',
    'bundle import under 150 ms (median, fresh Node process, --enable-source-maps as deployed)',
    cold === null
      ? undefined
      : `${ms(cold.medianImportWithSourceMapsMs)} (${ms(cold.medianImportMs)} without source maps)`,
    cold !== null && cold.medianImportWithSourceMapsMs < 150,
  );
  return targets;
}
