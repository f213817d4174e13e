import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QUERY_SHAPES } from '../../bench/query-shapes';
import { type BenchResults, SCHEMA_VERSION, SECTIONS } from '../../bench/results';
import { requireEnv } from '../../core/config';

const ROOT = resolve(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const SMALL_ENGINES = ['duckdb-memory', 'duckdb-memory-sorted', 'ours-handler', 'ours-http', 'duckdb-csv'];
const LONG_RANGE_ENGINES = ['duckdb-memory', 'duckdb-memory-sorted', 'ours-handler'];

function bench(args: string[]) {
  const run = spawnSync(TSX, ['bench/run.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: ENV });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('npm run bench -- --smoke', () => {
  let dir: string;
  let resultsFile: string;
  let results: BenchResults;
  let report: string;
  let chart: string;
  let output: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    const run = bench([
      '--smoke',
      '--endpoint',
      requireEnv('DYNAMODB_ENDPOINT'),
      '--http-port',
      '0',
      '--results-dir',
      join(dir, 'results'),
      '--docs',
      join(dir, 'benchmarks.md'),
    ]);
    output = run.output;
    if (run.status !== 0) throw new Error(`bench --smoke exited with ${run.status}:\n${output}`);
    const [file] = readdirSync(join(dir, 'results'));
    resultsFile = join(dir, 'results', file as string);
    results = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
    report = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
    chart = readFileSync(join(dir, 'benchmarks', 'query-latency.svg'), 'utf8');
  }, 180_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every section and records the wall-clock time of each', () => {
    expect(results.schemaVersion).toBe(SCHEMA_VERSION);
    expect(results.smoke).toBe(true);
    expect(results.sections.map((section) => section.id)).toEqual([...SECTIONS]);
    for (const section of results.sections) expect(section.seconds).toBeGreaterThan(0);
    expect(report).toContain('## Sections and their wall-clock time');
  });

  it('loads the small and the few-hours files end to end and times DuckDB as a process too', () => {
    const { plan } = results.settings;
    expect(results.load.map((load) => load.dataset)).toEqual([plan.small, plan.fewHours, plan.largest]);
    const [small, fewHours, largest] = results.load;
    expect(small?.endToEnd?.runs).toHaveLength(1);
    expect(small?.endToEnd?.runs[0]).toMatchObject({ rows: 3000, accepted: 3000 });
    // What `npm run load` runs, whatever package.json makes of it.
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(small?.endToEnd?.command).toBe(scripts.load);
    expect(fewHours?.endToEnd?.runs[0]).toMatchObject({ rows: 30_000, accepted: 30_000 });
    expect(fewHours?.duckdb.medianProcessSeconds).toBeGreaterThan(fewHours?.duckdb.seconds ?? 0);
    expect(largest?.endToEnd).toBeNull();
    for (const load of results.load) {
      expect(load.crossCheck.identical).toBe(true);
      expect(load.parseOnly.rowsPerSecond).toBeGreaterThan(0);
    }
    expect(results.targets.find((t) => t.id === 'load-end-to-end-vs-duckdb')?.met).not.toBeNull();
    expect(report).toContain('*Against DuckDB*');
  });

  it("measures the loader's peak memory on files ten times apart, then on the largest file", () => {
    const memory = results.loaderMemory;
    expect(memory?.baselineRssMb).toBeGreaterThan(0);
    expect(memory?.points.map((point) => point.rows)).toEqual([2_000, 20_000, 40_000]);
    for (const point of memory?.points ?? []) {
      expect(point.bytes).toBeGreaterThan(0);
      expect(point.peakRssMb).toBeGreaterThan(memory?.baselineRssMb ?? 0);
    }
    expect(results.targets.find((target) => target.id === 'loader-memory-growth')?.met).not.toBeNull();
    expect(results.targets.find((target) => target.id === 'loader-memory-10m')?.met).toBeNull();
    expect(report).toContain('## Loader memory against file size');
  });

  it('times partial edges on the hot and the quiet hour with distinct cuts, and sizes what they store', () => {
    const hot = results.hotHours;
    expect(hot).toMatchObject({ rows: 5_050, edgeCacheBytes: 0, crossCheckedRequests: 8 });
    expect(hot?.hot).toMatchObject({ events: 5_000, requests: 4, distinctRequests: 4 });
    expect(hot?.quiet).toMatchObject({ events: 50, requests: 4, distinctRequests: 4 });
    expect(hot?.hot.readUnitsPerRequest).toBeGreaterThanOrEqual(hot?.quiet.readUnitsPerRequest ?? Infinity);
    expect(hot?.storage.events).toBe(5_050);
    expect(hot?.storage.dedupBytesPerEvent).toBeGreaterThan(12);
    expect(hot?.storage.kinds.map((kind) => kind.kind)).toEqual(expect.arrayContaining(['H', 'X']));
    expect(results.targets.find((t) => t.id === 'hot-hour-edge')?.met).not.toBeNull();
    expect(results.targets.find((t) => t.id === 'hot-hour-storage')?.met).toBe(true);
    expect(report).toContain('## Hot hours');
    expect(readFileSync(join(dir, 'benchmarks', 'hot-hours.svg'), 'utf8')).toMatch(
      /^<svg[\s\S]*target: 2× quiet/,
    );
  });

  it('loads only the queried customers for the long ranges, while DuckDB holds the whole file', () => {
    const long = results.datasets.find((d) => d.id === results.settings.plan.longRanges);
    expect(long?.table.customers).toBe(3);
    expect(long?.customers).toBeGreaterThan(3);
    expect(long?.table.rows).toBeLessThan(long?.rows ?? 0);
    expect(results.targets.find((t) => t.id === 'long-range-vs-duckdb-sorted')?.met).not.toBeNull();
    const small = results.datasets.find((d) => d.id === results.settings.plan.small);
    expect(small).toMatchObject({ rows: 3000, storedEvents: 3000 });
    expect(small?.table).toMatchObject({ rows: 3000, customers: small?.customers });
  });

  it('meters every load into DynamoDB and prices its writes and dedup reads per million events', () => {
    const { prices, datasets } = results.writeCost;
    expect(prices).toMatchObject({ writeUsdPerMillionUnits: 0.625, region: 'us-east-1' });
    const { plan } = results.settings;
    expect(datasets.map((cost) => cost.dataset)).toEqual(['smoke-hot-hours', plan.longRanges, plan.small]);
    for (const cost of datasets) {
      // Two units per KB of each transactional item, so at least two per item written.
      expect(cost.writeUnits.transactions).toBeGreaterThanOrEqual(2 * cost.itemsWritten);
      expect(cost.perMillionEvents.writeUsd).toBeGreaterThan(0);
      // One strongly consistent read of each customer-hour, at least one unit each.
      expect(cost.readUnits.dedupReads).toBeGreaterThanOrEqual(cost.readUnits.queries);
    }
    expect(report).toContain('## Write cost per million events');
  });

  it('cross-checks every engine on every query shape before timing', () => {
    const { plan } = results.settings;
    const engines = (id: string) => results.crossChecks.filter((check) => check.dataset === id);
    expect(engines(plan.longRanges).map((check) => check.shape)).toEqual(QUERY_SHAPES.map((s) => s.id));
    for (const check of engines(plan.longRanges)) {
      expect(check).toMatchObject({ identical: true, engines: LONG_RANGE_ENGINES });
    }
    for (const check of engines(plan.small)) {
      expect(check).toMatchObject({ identical: true, engines: SMALL_ENGINES });
    }
  });

  it('reports p50, p95 and p99 for each shape and engine', () => {
    expect(results.latencies).toHaveLength(
      QUERY_SHAPES.length * (SMALL_ENGINES.length + LONG_RANGE_ENGINES.length),
    );
    for (const latency of results.latencies) {
      expect(latency.requests).toBeGreaterThan(0);
      expect(latency.p50Ms).toBeGreaterThan(0);
      expect(latency.p95Ms).toBeGreaterThanOrEqual(latency.p50Ms);
      expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p95Ms);
    }
  });

  it('shows that no query reads the time index of an hour it covers whole', () => {
    for (const cost of results.cost) expect(cost.wholeHourIndexReads).toBe(0);
    const small = results.cost.filter((cost) => cost.dataset === results.settings.plan.small);
    const byShape = Object.fromEntries(small.map((cost) => [cost.shape, cost]));
    expect(byShape['1h']).toMatchObject({ edgeIndexReads: 0, indexItemsPerRequest: 0 });
    expect(byShape['72h-partial']?.edgeIndexReads).toBeGreaterThan(0);
    expect(byShape['72h-partial']?.readCapacityUnitsPerRequest).toBeGreaterThan(0);
  });

  it('profiles a series of requests of each query section in the bench process', () => {
    const { plan } = results.settings;
    expect(results.queryProfiles.map((profile) => profile.id)).toEqual([
      'smoke-hot-hours-hot',
      `${plan.longRanges}-366d`,
      `${plan.small}-72h-partial`,
    ]);
    for (const profile of results.queryProfiles) {
      expect(profile.requests).toBe(2);
      expect(profile.wallMs).toBeGreaterThan(0);
      expect(profile.hotSpots.length).toBeGreaterThan(0);
    }
    expect(report).toContain('## Where a request spends its time');
  });

  it('bundles the handler and times its import in fresh processes', () => {
    expect(results.coldStart?.bundleBytes).toBeGreaterThan(10_000);
    expect(results.coldStart?.medianImportMs).toBeGreaterThan(0);
    expect(results.coldStart?.largestInputs.length).toBeGreaterThan(0);
  });

  it('evaluates every target and writes the report with its chart', () => {
    expect(results.targets).toHaveLength(14);
    expect(results.targets.find((target) => target.id === 'query-growth')?.met).not.toBeNull();
    // A smoke run says nothing about the duration of a full one.
    expect(results.targets.find((target) => target.id === 'bench-duration')?.met).toBeNull();
    expect(report).toContain('## Targets');
    expect(report).toContain('![Query latency (p50) against stored events](benchmarks/query-latency.svg)');
    expect(chart.startsWith('<svg')).toBe(true);
    expect(output).toContain('Finished in');
  });

  it('re-renders the same report from the results file with --report', () => {
    const again = join(dir, 'again.md');
    const run = bench(['--report', resultsFile, '--docs', again]);

    expect(run.status).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(report);
  });
});

describe('npm run bench with a bad option', () => {
  it('names the section it does not know and exits with the usage code', () => {
    const run = bench(['--sections', 'loading,hot-hour']);

    expect(run.status).toBe(2);
    expect(run.output).toContain('--sections takes loading, hot-hours, long-ranges, small-data, profile');
    expect(run.output).toContain('received "hot-hour"');
  });
});
