import type { ColdStartResult } from './cold-start';
import type { CostResult } from './cost-bench';
import type { HotHoursResult } from './hot-hours-bench';
import { endToEndVsDuckDb, type LoadResult } from './load-bench';
import type { LoaderMemoryResult } from './loader-memory';
import type { LoaderProfile } from './loader-profile';
import type { CrossCheckResult, EngineId, LatencyResult } from './query-bench';
import type { QueryProfile } from './query-profile';
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
  /** Events after removing repeated transaction_ids: what DuckDB holds in memory. */
  storedEvents: number;
  customers: number;
  /** What the table the queries read was loaded with: the whole file, or its queried customers' rows. */
  table: { rows: number; events: number; customers: number; description: string };
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
  /** How far a missed target is off: the factor the measured value must improve by (null unless missed). */
  missedBy: number | null;
}

export type TargetId =
  | 'hot-hour-edge'
  | 'hot-hour-storage'
  | 'load-end-to-end-vs-duckdb'
  | 'long-range-vs-duckdb-sorted'
  | 'bench-duration'
  | 'query-growth'
  | 'query-vs-csv-scan'
  | 'query-vs-duckdb-memory'
  | 'loader-throughput'
  | 'loader-memory-growth'
  | 'loader-memory-10m'
  | 'load-end-to-end'
  | 'bundle-size'
  | 'import-time';

/** The parts of a run, in the order they run. */
export const SECTIONS = ['loading', 'hot-hours', 'long-ranges', 'small-data', 'profile'] as const;
export type SectionId = (typeof SECTIONS)[number];

export const SECTION_LABELS: Record<SectionId, string> = {
  loading: 'Loading: end to end against DuckDB, parse-only against DuckDB, peak memory',
  'hot-hours': 'Hot hours: partial edges on a hot and a quiet hour of one customer',
  'long-ranges': 'Long ranges: every query shape on the large data set, 366 days included',
  'small-data': 'Small data: every query shape and engine on the small data set, cold start',
  profile: "The loader's CPU profile on the few-hours file",
};

/** Wall-clock time of one section of the run. */
export interface SectionTiming {
  id: SectionId;
  seconds: number;
}

/** The version of the results file this code writes and `--report` reads. */
export const SCHEMA_VERSION = 3;

/** Everything one `npm run bench` measured: bench/results/<timestamp>.json. */
export interface BenchResults {
  /**
   * 3: sections (hot hours, the few-hours file end to end against DuckDB as a process, long ranges at
   * 10M on the queried customers' table, small data) each with its wall-clock time.
   */
  schemaVersion: typeof SCHEMA_VERSION;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  smoke: boolean;
  machine: MachineInfo;
  /** Wall-clock seconds of each section that ran. */
  sections: SectionTiming[];
  settings: {
    sections: SectionId[];
    /** The data set of each role (bench/datasets.ts `BenchPlan`). */
    plan: { memory: string[]; largest: string; fewHours: string; small: string; longRanges: string };
    requests: number;
    warmup: number;
    variants: number;
    /** Mixed requests through our handler before timing: longer on the first set, the JVM has just started. */
    jitWarmupSeconds: { first: number; later: number };
    csvScan: { variants: number; requests: number; warmup: number };
    /** End-to-end CLI loads of the small and the few-hours files, each into a fresh table. */
    endToEndRuns: { small: number; fewHours: number };
    throughputRuns: number;
    /** What every load of the bench passes `loadEvents` besides store and input (the CLI's defaults). */
    loaderOptions: { parseThreads?: number };
    /** Parse-only runs per file of the memory series. */
    memoryRuns: number;
    /** Parse-only runs of the few-hours and the largest files. */
    largeFileParseOnlyRuns: number;
    coldStartRuns: number;
    /** Partial-edge requests per hour of the hot-hour series, after `warmup` untimed pairs. */
    hotHours: { requests: number; warmup: number; meteredRequests: number; profiledRequests: number };
    /**
     * Timed requests per shape and engine at the long-range data set; DuckDB in memory in file order
     * scans all its rows per request, so it gets fewer.
     */
    longRanges: {
      requests: number;
      warmup: number;
      memoryScan: { variants: number; requests: number; warmup: number };
    };
  };
  datasets: DatasetResult[];
  load: LoadResult[];
  /** Peak RSS of the loader's parse-only path on files of one shape at growing sizes. */
  loaderMemory: LoaderMemoryResult | null;
  hotHours: HotHoursResult | null;
  /** Each data set loaded once into DynamoDB Local, metered: what loading costs on DynamoDB. */
  writeCost: { prices: OnDemandPrices; datasets: WriteCostResult[] };
  latencies: LatencyResult[];
  crossChecks: CrossCheckResult[];
  cost: CostResult[];
  coldStart: ColdStartResult | null;
  loaderProfile: LoaderProfile | null;
  /** CPU profiles of request series in the bench's process: hot-hour edges, 366 days, 72 hours. */
  queryProfiles: QueryProfile[];
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
const int = (value: number) => Math.round(value).toLocaleString('en-US');

/** The loader's peak RSS on a file ten times larger may be at most this many times its peak on the smaller. */
export const MEMORY_GROWTH_LIMIT = 1.3;
/** The loader's peak RSS on the 10M-row file must stay under this. */
export const MEMORY_10M_LIMIT_MB = 512;
/** A partial edge on the hot hour may take at most this many times one on the quiet hour (p50). */
export const HOT_HOUR_LIMIT = 2;
/**
 * Bytes stored per event: the 4-byte time index the exactly-once issue started from plus the 16
 * bytes it allowed the deduplication data.
 */
export const STORAGE_BYTES_PER_EVENT_LIMIT = 20;
/** The whole default run must finish within this many seconds (15 minutes). */
export const BENCH_DURATION_LIMIT_SECONDS = 900;

/**
 * Evaluates the targets as ratios within this run, each on the data set of its role
 * (`settings.plan`): the absolute ones are the peak RSS on 10M rows, the end-to-end time at 147k,
 * the bundle size, the import time and the run's own duration.
 */
export function evaluateTargets(results: Omit<BenchResults, 'targets'>): TargetResult[] {
  const { plan } = results.settings;
  const small = plan.small;
  const top = plan.longRanges;
  const shape = '72h-partial';
  const oursSmall = p50(results, small, shape, 'ours-handler');
  const oursTop = p50(results, top, shape, 'ours-handler');
  const memoryTop = p50(results, top, shape, 'duckdb-memory');
  const loadOf = (id: string) => results.load.find((l) => l.dataset === id);
  const cold = results.coldStart;
  const hot = results.hotHours;
  const targets: TargetResult[] = [];
  /** `check`: the measured value against its limit, which it must stay at or below (or at or above). */
  const add = (
    id: TargetId,
    target: string,
    measured: string | undefined,
    check: { value: number; limit: number; atMost: boolean } | undefined,
  ) => {
    if (measured === undefined || check === undefined || !Number.isFinite(check.value)) {
      targets.push({ id, target, measured: measured ?? 'not measured', met: null, missedBy: null });
      return;
    }
    const { value, limit, atMost } = check;
    const met = atMost ? value <= limit : value >= limit;
    const off = atMost ? value / limit : limit / value;
    targets.push({ id, target, measured, met, missedBy: met ? null : Math.round(off * 100) / 100 });
  };
  const atMost = (value: number | undefined, limit: number) =>
    value === undefined ? undefined : { value, limit, atMost: true };
  const atLeast = (value: number | undefined, limit: number) =>
    value === undefined ? undefined : { value, limit, atMost: false };
  const over = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;

  add(
    'hot-hour-edge',
    `partial-edge request p50 on an hour of ${hot === null ? '1,000,000' : hot.hot.events.toLocaleString('en-US')} ` +
      `events at most ${HOT_HOUR_LIMIT}× the p50 on an hour of ${hot === null ? '1,000' : hot.quiet.events.toLocaleString('en-US')} ` +
      '(handler in process, edge cache off, distinct cut points)',
    hot === null
      ? undefined
      : `${ms(hot.hot.p50Ms)} vs ${ms(hot.quiet.p50Ms)}: ${ratio(hot.hot.p50Ms / hot.quiet.p50Ms)} ` +
          `(${hot.hot.readUnitsPerRequest} vs ${hot.quiet.readUnitsPerRequest} read units a request)`,
    atMost(hot === null ? undefined : hot.hot.p50Ms / hot.quiet.p50Ms, HOT_HOUR_LIMIT),
  );
  add(
    'hot-hour-storage',
    `storage per event of the hot-hour customer at most ${STORAGE_BYTES_PER_EVENT_LIMIT} bytes ` +
      '(the 4-byte time index plus the 16 bytes the exactly-once issue allowed for deduplication)',
    hot === null
      ? undefined
      : `${hot.storage.totalBytesPerEvent.toFixed(2)} bytes: ${hot.storage.queryBytesPerEvent.toFixed(2)} ` +
          `read by queries, ${hot.storage.dedupBytesPerEvent.toFixed(2)} deduplication`,
    atMost(hot?.storage.totalBytesPerEvent, STORAGE_BYTES_PER_EVENT_LIMIT),
  );
  const fewHours = loadOf(plan.fewHours);
  const endToEnd = fewHours === undefined ? null : endToEndVsDuckDb(fewHours);
  add(
    'load-end-to-end-vs-duckdb',
    `loading ${plan.fewHours} end to end (\`npm run load\`, process start to summary) at 1/3 or more of the rate ` +
      'of DuckDB computing the same hourly counts (a fresh process, start to result)',
    fewHours?.endToEnd == null || endToEnd === null
      ? undefined
      : `${fewHours.endToEnd.medianSecondsToSummary.toFixed(2)} s vs ${fewHours.duckdb.medianProcessSeconds.toFixed(2)} s: ` +
          `${int(endToEnd.oursRowsPerSecond)} vs ${int(endToEnd.duckdbRowsPerSecond)} rows/s, 1/${(1 / endToEnd.ratio).toFixed(1)}`,
    atLeast(endToEnd?.ratio, 1 / 3),
  );
  const largest = loadOf(plan.largest);
  add(
    'loader-throughput',
    `loader parse-only throughput (read, validate, buffer, deduplicate, plan) at least 1/3 of DuckDB's (${plan.largest})`,
    largest === undefined
      ? undefined
      : `${int(largest.parseOnly.rowsPerSecond)} vs ${int(largest.duckdb.rowsPerSecond)} rows/s: ` +
          `1/${(largest.duckdb.rowsPerSecond / largest.parseOnly.rowsPerSecond).toFixed(1)}`,
    atLeast(over(largest?.parseOnly.rowsPerSecond, largest?.duckdb.rowsPerSecond), 1 / 3),
  );
  const longOurs = p50(results, top, '366d', 'ours-handler');
  const longSorted = p50(results, top, '366d', 'duckdb-memory-sorted');
  add(
    'long-range-vs-duckdb-sorted',
    `366-day hourly request at ${top}: p50 at or below DuckDB's with the events in memory, sorted`,
    longOurs !== undefined && longSorted !== undefined
      ? `${ms(longOurs)} vs ${ms(longSorted)}: ${ratio(longOurs / longSorted)}`
      : undefined,
    atMost(over(longOurs, longSorted), 1),
  );
  const csv = p50(results, small, shape, 'duckdb-csv');
  add(
    'query-vs-csv-scan',
    `72-hour partial-edge query at ${small} (edge cache on, as deployed): p50 at least 10× lower than DuckDB scanning the CSV`,
    csv === undefined || oursSmall === undefined
      ? undefined
      : `${ms(oursSmall)} vs ${ms(csv)}: ${ratio(csv / oursSmall)}`,
    atLeast(over(csv, oursSmall), 10),
  );
  add(
    'query-growth',
    `72-hour partial-edge query: p50 at ${top} within 1.5× of its p50 at ${small}`,
    oursSmall !== undefined && oursTop !== undefined
      ? `${ms(oursTop)} at ${top} vs ${ms(oursSmall)} at ${small}: ${ratio(oursTop / oursSmall)}`
      : undefined,
    atMost(over(oursTop, oursSmall), 1.5),
  );
  add(
    'query-vs-duckdb-memory',
    `72-hour query: p50 at or below DuckDB's with the events in memory at ${top}`,
    oursTop !== undefined && memoryTop !== undefined
      ? `${ms(oursTop)} vs ${ms(memoryTop)} (DuckDB / ours ${ratio(memoryTop / oursTop)})`
      : undefined,
    atMost(over(oursTop, memoryTop), 1),
  );
  const points = results.loaderMemory?.points ?? [];
  const [smallFile, largeFile] = points;
  add(
    'loader-memory-growth',
    `loader peak RSS (parse-only, default buffer) on ${largeFile?.id ?? 'a file 10× larger'} within ` +
      `${MEMORY_GROWTH_LIMIT}× of ${smallFile?.id ?? 'the smaller'}`,
    smallFile !== undefined && largeFile !== undefined
      ? `${mb(largeFile.peakRssMb)} (${fileMb(largeFile.bytes)}) vs ${mb(smallFile.peakRssMb)} (${fileMb(smallFile.bytes)}): ` +
          ratio(largeFile.peakRssMb / smallFile.peakRssMb)
      : undefined,
    atMost(over(largeFile?.peakRssMb, smallFile?.peakRssMb), MEMORY_GROWTH_LIMIT),
  );
  const tenMillion = points.find((point) => point.id === '10m');
  add(
    'loader-memory-10m',
    `loader peak RSS (parse-only, default buffer) on the 10M-row file under ${MEMORY_10M_LIMIT_MB} MB`,
    tenMillion === undefined ? undefined : `${mb(tenMillion.peakRssMb)} (${fileMb(tenMillion.bytes)})`,
    atMost(tenMillion?.peakRssMb, MEMORY_10M_LIMIT_MB),
  );
  const smallEndToEnd = loadOf(small)?.endToEnd ?? undefined;
  add(
    'load-end-to-end',
    `loading ${small} end to end (process start to summary) under 3 s`,
    smallEndToEnd === undefined
      ? undefined
      : `${smallEndToEnd.medianSecondsToSummary.toFixed(2)} s (median of ${smallEndToEnd.runs.length})`,
    atMost(smallEndToEnd?.medianSecondsToSummary, 3),
  );
  add(
    'bundle-size',
    'bundled handler under 500 KB',
    cold === null ? undefined : `${(cold.bundleBytes / 1000).toFixed(1)} KB`,
    atMost(cold?.bundleBytes, 500_000),
  );
  add(
    'import-time',
    'bundle import under 150 ms (median, fresh Node process, --enable-source-maps as deployed)',
    cold === null
      ? undefined
      : `${ms(cold.medianImportWithSourceMapsMs)} (${ms(cold.medianImportMs)} without source maps)`,
    atMost(cold?.medianImportWithSourceMapsMs, 150),
  );
  const allSections = results.settings.sections.length === SECTIONS.length;
  add(
    'bench-duration',
    `the default \`npm run bench\` (every section) in under ${BENCH_DURATION_LIMIT_SECONDS / 60} minutes on this machine`,
    results.smoke || !allSections
      ? undefined
      : `${Math.floor(results.durationSeconds / 60)} min ${Math.round(results.durationSeconds % 60)} s`,
    atMost(results.durationSeconds, BENCH_DURATION_LIMIT_SECONDS),
  );
  return targets;
}
