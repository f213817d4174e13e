import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QUERY_SHAPES } from '../../bench/query-shapes';
import type { BenchResults } from '../../bench/results';
import { requireEnv } from '../../core/config';

const ROOT = resolve(__dirname, '..', '..');
const ENGINES = ['duckdb-memory', 'duckdb-memory-sorted', 'ours-handler', 'ours-http', 'duckdb-csv'];

describe('npm run bench -- --smoke', () => {
  let dir: string;
  let results: BenchResults;
  let report: string;
  let chart: string;
  let output: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    const run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'bench/run.ts',
        '--smoke',
        '--endpoint',
        requireEnv('DYNAMODB_ENDPOINT'),
        '--http-port',
        '0',
        '--results-dir',
        join(dir, 'results'),
        '--docs',
        join(dir, 'benchmarks.md'),
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    output = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`bench --smoke exited with ${run.status}:\n${output}`);
    const [file] = readdirSync(join(dir, 'results'));
    results = JSON.parse(readFileSync(join(dir, 'results', file as string), 'utf8')) as BenchResults;
    report = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
    chart = readFileSync(join(dir, 'benchmarks', 'query-latency.svg'), 'utf8');
  }, 120_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the smoke data set and finds the loader and DuckDB counting the same hours', () => {
    expect(results.smoke).toBe(true);
    expect(results.datasets).toEqual([
      expect.objectContaining({ id: 'smoke', rows: 3000, storedEvents: 3000 }),
    ]);
    const [load] = results.load;
    expect(load?.crossCheck).toMatchObject({ identical: true, events: 3000 });
    expect(load?.parseOnly.rowsPerSecond).toBeGreaterThan(0);
    expect(load?.parseOnly.peakRssMb).toBeGreaterThan(0);
    expect(load?.endToEnd?.runs).toHaveLength(1);
    expect(load?.endToEnd?.runs[0]).toMatchObject({ rows: 3000, accepted: 3000 });
    expect(load?.endToEnd?.runs[0]?.startupSeconds).toBeGreaterThan(0);
    expect(load?.duckdb.peakRssMb).toBeGreaterThan(0);
  });

  it("measures the loader's peak memory on files ten times apart, each in a fresh process", () => {
    const memory = results.loaderMemory;
    expect(memory?.baselineRssMb).toBeGreaterThan(0);
    expect(memory?.points.map((point) => point.rows)).toEqual([2_000, 20_000]);
    for (const point of memory?.points ?? []) {
      expect(point.bytes).toBeGreaterThan(0);
      expect(point.peakRssMb).toBeGreaterThan(memory?.baselineRssMb ?? 0);
    }
    expect(results.targets.find((target) => target.id === 'loader-memory-growth')?.met).not.toBeNull();
    expect(results.targets.find((target) => target.id === 'loader-memory-10m')?.met).toBeNull();
    expect(report).toContain('## Loader memory against file size');
  });

  it('meters the load into DynamoDB and prices its writes and dedup reads per million events', () => {
    const { prices, datasets } = results.writeCost;
    expect(prices).toMatchObject({ writeUsdPerMillionUnits: 0.625, region: 'us-east-1' });
    expect(datasets).toHaveLength(1);
    const [cost] = datasets;
    expect(cost).toMatchObject({ dataset: 'smoke', rows: 3000, events: 3000 });
    expect(cost?.peakRssMb).toBeGreaterThan(0);
    // Two units per KB of each transactional item, so at least two per item written.
    expect(cost?.writeUnits.transactions).toBeGreaterThanOrEqual(2 * (cost?.itemsWritten ?? 1));
    expect(cost?.perMillionEvents.writeUnits).toBeGreaterThan(0);
    expect(cost?.perMillionEvents.writeUsd).toBeGreaterThan(0);
    // One strongly consistent read of each customer-hour, at least one unit each.
    expect(cost?.readUnits.queries).toBeGreaterThan(0);
    expect(cost?.readUnits.dedupReads).toBeGreaterThanOrEqual(cost?.readUnits.queries ?? 1);
    expect(cost?.dedupStorage.bytesPerEvent).toBeGreaterThan(12);
    expect(report).toContain('## Write cost per million events');
  });

  it('cross-checks every engine on every query shape before timing', () => {
    expect(results.crossChecks.map((check) => check.shape)).toEqual(QUERY_SHAPES.map((shape) => shape.id));
    for (const check of results.crossChecks) {
      expect(check).toMatchObject({ identical: true, engines: ENGINES });
    }
  });

  it('reports p50, p95 and p99 for each shape and engine', () => {
    expect(results.latencies).toHaveLength(QUERY_SHAPES.length * ENGINES.length);
    for (const latency of results.latencies) {
      expect(latency.requests).toBeGreaterThan(0);
      expect(latency.p50Ms).toBeGreaterThan(0);
      expect(latency.p95Ms).toBeGreaterThanOrEqual(latency.p50Ms);
      expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p95Ms);
    }
  });

  it('shows that no query reads the time index of an hour it covers whole', () => {
    const byShape = Object.fromEntries(results.cost.map((cost) => [cost.shape, cost]));
    for (const cost of results.cost) expect(cost.wholeHourIndexReads).toBe(0);
    expect(byShape['1h']).toMatchObject({ edgeIndexReads: 0, indexItemsPerRequest: 0 });
    expect(byShape['72h-partial']?.edgeIndexReads).toBeGreaterThan(0);
    expect(byShape['72h-partial']?.readCapacityUnitsPerRequest).toBeGreaterThan(0);
  });

  it('bundles the handler and times its import in fresh processes', () => {
    expect(results.coldStart?.bundleBytes).toBeGreaterThan(10_000);
    expect(results.coldStart?.medianImportMs).toBeGreaterThan(0);
    expect(results.coldStart?.largestInputs.length).toBeGreaterThan(0);
  });

  it('evaluates every target and writes the report with its chart', () => {
    expect(results.targets).toHaveLength(9);
    expect(results.targets.find((target) => target.id === 'query-growth')?.met).toBeNull();
    expect(report).toContain('## Targets');
    expect(report).toContain('![Query latency (p50) against stored events](benchmarks/query-latency.svg)');
    expect(chart.startsWith('<svg')).toBe(true);
    expect(output).toContain('Finished in');
  });
});
