import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, type as osType, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { EXIT_FAILURE, EXIT_USAGE, printCliError } from '../core/cli-options';
import { createDynamoDbClient } from '../core/config';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { renderHotHoursChart, renderLatencyChart } from './chart';
import type { ColdStartResult } from './cold-start';
import type { CostResult } from './cost-bench';
import { FULL_PLAN, prepareDataset, SMOKE_PLAN } from './datasets';
import { openDuckDb } from './duckdb-baseline';
import { HOT_HOURS, SMOKE_HOT_HOURS } from './hot-hours';
import { benchmarkHotHours, type HotHoursResult } from './hot-hours-bench';
import type { LoadResult } from './load-bench';
import { benchmarkLoading } from './load-section';
import type { LoaderMemoryResult } from './loader-memory';
import { type LoaderProfile, profileLoader } from './loader-profile';
import { LOADER_OPTIONS, ROOT, stackFrames } from './processes';
import type { CrossCheckResult, LatencyResult } from './query-bench';
import { benchmarkQueryDataset } from './query-dataset';
import type { QueryProfile } from './query-profile';
import { renderReport } from './report';
import {
  type BenchResults,
  type DatasetResult,
  evaluateTargets,
  type MachineInfo,
  SCHEMA_VERSION,
  SECTION_LABELS,
  SECTIONS,
  type SectionId,
  type SectionTiming,
} from './results';
import { ON_DEMAND_PRICES, type WriteCostResult } from './write-cost';

const HELP = `Usage: npm run bench -- [options]

Measures what issue 13 asks, every target as a ratio within this one run, and writes
bench/results/<timestamp>.json and docs/benchmarks.md with its chart. Sections, in order:

  loading       data/events.csv and a 3M-row, 3-customer, 1-day file loaded end to end by the CLI
                (the latter against DuckDB computing the same hourly counts in a fresh process);
                10M rows parse-only against DuckDB; the loader's peak memory on 200k, 2M and 10M rows
  hot-hours     one customer with 1,000,000 events in one hour and 1,000 in another, loaded by the
                loader: partial-edge requests on each (edge cache off), read units, bytes per event
  long-ranges   every query shape at 10M rows, 366 days included: DuckDB holds all 10M rows, the
                table the rows of the three customers the queries ask about
  small-data    every query shape and engine at data/events.csv (edge cache on, as deployed), the
                HTTP server, DuckDB scanning the CSV, the Lambda cold start
  profile       a V8 CPU profile of the loader's parse-only path on the 3M-row file

Every load into DynamoDB Local is metered: write and read units per million events, in dollars.
Generated files are kept in --data-dir and reused. About 10 minutes on 2 cores.

Options:
  --sections LIST     run only these sections, comma-separated (default: all)
  --smoke             every section on files of a few thousand rows (about a minute)
  --requests N        timed requests per query shape and engine at 147k (default 200; --smoke 3)
  --warmup N          untimed requests before each timed series (default 50; --smoke 1)
  --endpoint URL      use this DynamoDB Local instead of starting one
  --dynamodb-port P   port of the DynamoDB Local it starts (default 8400)
  --http-port P       port of the local HTTP server it starts (default 3400; 0 = any free port)
  --data-dir DIR      where generated data sets are kept (default bench/data, git-ignored)
  --results-dir DIR   where the results JSON goes (default bench/results)
  --docs FILE         the report to regenerate (default docs/benchmarks.md; the chart goes to
                      benchmarks/query-latency.svg next to it)
  --report FILE       measure nothing: regenerate the report and chart from a results file
  -h, --help          show this help

Examples:
  npm run bench                                        # everything, about 10 minutes
  npm run bench -- --sections hot-hours,small-data     # a part of it
  npm run bench -- --report bench/results/<file>.json  # re-render docs/benchmarks.md
  npm run bench -- --smoke --results-dir /tmp/bench --docs /tmp/bench/benchmarks.md`;

const OPTIONS = {
  sections: { type: 'string' },
  smoke: { type: 'boolean' },
  requests: { type: 'string' },
  warmup: { type: 'string' },
  endpoint: { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'http-port': { type: 'string' },
  'data-dir': { type: 'string' },
  'results-dir': { type: 'string' },
  docs: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Thrown for bad command-line input: printed with the usage, exit code 2. */
class UsageError extends Error {}

function parseCount(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isInteger(count) || count < min) {
    throw new UsageError(
      `--${name} must be a whole number of at least ${min}; received ${JSON.stringify(value)}`,
    );
  }
  return count;
}

/** The sections `--sections` names, in the order they run. */
function parseSections(value: string | undefined): SectionId[] {
  if (value === undefined) return [...SECTIONS];
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`--sections takes ${SECTIONS.join(', ')}; received ${JSON.stringify(name)}`);
    }
  }
  return SECTIONS.filter((section) => names.includes(section));
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(),
      );
    });
  });
}

function javaVersion(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (result.stderr ?? '').split('\n')[0]?.trim() || 'java unknown';
}

async function describeMachine(): Promise<MachineInfo> {
  const duckdb = await openDuckDb();
  duckdb.close();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: totalmem() / 1024 ** 3,
    os: `${osType()} ${release()}`,
    node: process.version,
    java: javaVersion(),
    duckdb: duckdb.version,
    duckdbThreads: duckdb.threads,
    loadAverageStart: loadavg()[0] ?? 0,
    loadAverageEnd: 0,
  };
}

/** Writes the report and its chart from a run's results, and prints the targets. */
function writeReport(results: BenchResults, resultsFile: string, docsFile: string): void {
  const chartFile = join(dirname(docsFile), 'benchmarks', 'query-latency.svg');
  mkdirSync(dirname(chartFile), { recursive: true });
  writeFileSync(chartFile, renderLatencyChart(results));
  if (results.hotHours !== null) {
    writeFileSync(join(dirname(chartFile), 'hot-hours.svg'), renderHotHoursChart(results.hotHours));
  }
  writeFileSync(docsFile, renderReport(results, relative(ROOT, resultsFile)));
  console.log(
    `\nResults: ${relative(process.cwd(), resultsFile)}\nReport:  ${relative(process.cwd(), docsFile)}\n`,
  );
  for (const target of results.targets) {
    const mark = target.met === null ? 'not measured' : target.met ? 'met' : 'MISSED';
    const off = target.missedBy === null ? '' : ` (${target.missedBy.toFixed(2)}× off)`;
    console.log(`${mark.padEnd(12)} ${target.target}: ${target.measured}${off}`);
  }
}

function timestampName(date: Date): string {
  return `${date.toISOString().slice(0, 19).replaceAll(':', '-')}Z`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const docsFile = resolve(values.docs ?? join(ROOT, 'docs', 'benchmarks.md'));
  if (values.report !== undefined) {
    const resultsFile = resolve(values.report);
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
    if (results.schemaVersion !== SCHEMA_VERSION) {
      throw new UsageError(
        `--report reads results of schema version ${SCHEMA_VERSION} (sections, hot hours, long ranges); ` +
          `${values.report} has version ${JSON.stringify(results.schemaVersion)}: re-run the benchmark`,
      );
    }
    writeReport(results, resultsFile, docsFile);
    return 0;
  }
  const smoke = values.smoke === true;
  // The SDK's notice about Node versions would only add noise to the progress output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const plan = smoke ? SMOKE_PLAN : FULL_PLAN;
  const hotSpec = smoke ? SMOKE_HOT_HOURS : HOT_HOURS;
  const sections = parseSections(values.sections);
  const requests = parseCount('requests', values.requests, smoke ? 3 : 200, 1);
  const warmup = parseCount('warmup', values.warmup, smoke ? 1 : 50, 0);
  const settings: BenchResults['settings'] = {
    sections,
    plan: {
      memory: plan.memory.map((spec) => spec.id),
      largest: plan.largest.id,
      fewHours: plan.fewHours.id,
      small: plan.small.id,
      longRanges: plan.longRanges.id,
    },
    requests,
    warmup,
    variants: smoke ? 2 : 25,
    // DynamoDB Local's JIT has run the loads and the hot-hour series by then; this settles it on queries.
    jitWarmupSeconds: smoke ? { first: 0, later: 0 } : { first: 20, later: 10 },
    csvScan: smoke ? { variants: 1, requests: 2, warmup: 0 } : { variants: 3, requests: 20, warmup: 1 },
    endToEndRuns: smoke ? { small: 1, fewHours: 1 } : { small: 3, fewHours: 2 },
    throughputRuns: smoke ? 1 : 2,
    memoryRuns: 1,
    loaderOptions: LOADER_OPTIONS,
    largeFileParseOnlyRuns: 1,
    coldStartRuns: smoke ? 1 : 15,
    hotHours: smoke
      ? { requests: 4, warmup: 1, meteredRequests: 2, profiledRequests: 2 }
      : { requests: 100, warmup: 10, meteredRequests: 10, profiledRequests: 30 },
    longRanges: smoke
      ? { requests: 3, warmup: 1, memoryScan: { variants: 1, requests: 2, warmup: 0 } }
      : { requests: 100, warmup: 20, memoryScan: { variants: 5, requests: 20, warmup: 2 } },
  };
  const httpPort = parseCount('http-port', values['http-port'], 3400, 0);
  const dataDir = resolve(values['data-dir'] ?? join(ROOT, 'bench', 'data'));
  // The smoke run's tiny files are not worth keeping.
  const scratchDir = mkdtempSync(join(tmpdir(), 'event-counts-bench-'));
  const generatedDir = smoke ? scratchDir : dataDir;
  const resultsDir = resolve(values['results-dir'] ?? join(ROOT, 'bench', 'results'));
  const started = new Date();
  const runId = started.getTime().toString(36);
  const log = (line: string) => console.log(line);
  const machine = await describeMachine();

  let dynamo: RunningDynamoDbLocal | undefined;
  const timings: SectionTiming[] = [];
  const datasets: DatasetResult[] = [];
  let load: LoadResult[] = [];
  const writeCost: WriteCostResult[] = [];
  const latencies: LatencyResult[] = [];
  const crossChecks: CrossCheckResult[] = [];
  const cost: CostResult[] = [];
  let coldStart: ColdStartResult | null = null;
  let loaderProfile: LoaderProfile | null = null;
  let loaderMemory: LoaderMemoryResult | null = null;
  let hotHours: HotHoursResult | null = null;
  const queryProfiles: QueryProfile[] = [];
  const section = async (id: SectionId, work: () => Promise<void>) => {
    if (!sections.includes(id)) return;
    log(`\n== ${SECTION_LABELS[id]}`);
    const sectionStarted = performance.now();
    await work();
    const seconds = Math.round((performance.now() - sectionStarted) / 100) / 10;
    timings.push({ id, seconds });
    log(`== ${id}: ${seconds} s`);
  };
  try {
    let endpoint = values.endpoint;
    if (endpoint === undefined) {
      const port = parseCount('dynamodb-port', values['dynamodb-port'], 8400, 1);
      log(`Starting DynamoDB Local (in memory) on port ${port}`);
      dynamo = await startDynamoDbLocal({ port });
      endpoint = dynamo.endpoint;
    }
    const dynamoEndpoint = endpoint;
    const context = { endpoint: dynamoEndpoint, runId, dataDir: generatedDir, scratchDir, log };
    let fewHoursFile: string | undefined;
    await section('loading', async () => {
      const loading = await benchmarkLoading(
        plan,
        {
          throughputRuns: settings.throughputRuns,
          memoryRuns: settings.memoryRuns,
          largeFileParseOnlyRuns: settings.largeFileParseOnlyRuns,
          fewHoursEndToEndRuns: settings.endToEndRuns.fewHours,
          smallEndToEndRuns: settings.endToEndRuns.small,
        },
        context,
      );
      load = loading.load;
      loaderMemory = loading.loaderMemory;
      fewHoursFile = loading.fewHoursFile;
    });
    await section('hot-hours', async () => {
      const client = createDynamoDbClient({ endpoint: dynamoEndpoint });
      const tableName = `bench-${runId}-${hotSpec.id}`;
      try {
        const hot = await benchmarkHotHours({
          spec: hotSpec,
          dataDir: generatedDir,
          endpoint: dynamoEndpoint,
          client,
          tableName,
          ...settings.hotHours,
          log,
        });
        hotHours = hot.result;
        queryProfiles.push(hot.result.profile);
        writeCost.push(hot.writeCost);
      } finally {
        await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
        client.destroy();
      }
    });
    const queryContext = {
      httpPort: () => (httpPort === 0 ? freePort() : Promise.resolve(httpPort)),
      endpoint: dynamoEndpoint,
      runId,
      dataDir: generatedDir,
      scratchDir,
      log,
    };
    let queryDatasets = 0;
    const measured = (result: Awaited<ReturnType<typeof benchmarkQueryDataset>>) => {
      queryDatasets++;
      datasets.push(result.dataset);
      writeCost.push(result.writeCost);
      latencies.push(...result.latencies);
      crossChecks.push(...result.crossChecks);
      cost.push(...result.cost);
      coldStart ??= result.coldStart ?? null;
      queryProfiles.push(result.profile);
    };
    const jitWarmup = () =>
      queryDatasets === 0 ? settings.jitWarmupSeconds.first : settings.jitWarmupSeconds.later;
    await section('long-ranges', async () => {
      measured(
        await benchmarkQueryDataset({
          ...queryContext,
          spec: plan.longRanges,
          table: 'queried',
          withHttp: false,
          csvScan: 'none',
          memoryScanLimits: settings.longRanges.memoryScan,
          coldStartRuns: 0,
          profile: { shape: '366d', requests: smoke ? 2 : 30 },
          variants: settings.variants,
          requests: settings.longRanges.requests,
          warmup: settings.longRanges.warmup,
          jitWarmupSeconds: jitWarmup(),
        }),
      );
    });
    await section('small-data', async () => {
      measured(
        await benchmarkQueryDataset({
          ...queryContext,
          spec: plan.small,
          table: 'all',
          withHttp: true,
          csvScan: 'all',
          coldStartRuns: settings.coldStartRuns,
          profile: { shape: '72h-partial', requests: smoke ? 2 : 200 },
          variants: settings.variants,
          requests,
          warmup,
          jitWarmupSeconds: jitWarmup(),
        }),
      );
    });
    await section('profile', async () => {
      const file = fewHoursFile ?? (await prepareDataset(plan.fewHours, generatedDir, scratchDir, log)).file;
      log(`  profiling the loader's parse-only path on ${plan.fewHours.id}`);
      loaderProfile = await profileLoader(plan.fewHours.id, file, scratchDir);
    });
  } finally {
    await dynamo?.stop();
    rmSync(scratchDir, { recursive: true, force: true });
  }

  const finished = new Date();
  machine.loadAverageEnd = loadavg()[0] ?? 0;
  const partial: Omit<BenchResults, 'targets'> = {
    schemaVersion: SCHEMA_VERSION,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    smoke,
    machine,
    sections: timings,
    settings,
    datasets,
    load,
    loaderMemory,
    hotHours,
    writeCost: { prices: ON_DEMAND_PRICES, datasets: writeCost },
    latencies,
    crossChecks,
    cost,
    coldStart,
    loaderProfile,
    queryProfiles,
  };
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${timestampName(started)}.json`);
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeReport(results, resultsFile, docsFile);
  log(`\nFinished in ${results.durationSeconds} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      printCliError(error, `\n${HELP}`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    printCliError(error, stackFrames(error));
    process.exitCode = EXIT_FAILURE;
  },
);
