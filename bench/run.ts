import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, type as osType, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { EXIT_FAILURE, EXIT_USAGE, printCliError } from '../core/cli-options';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { renderLatencyChart } from './chart';
import { benchmarkColdStart, type ColdStartResult } from './cold-start';
import { benchmarkCost, type CostResult } from './cost-bench';
import {
  type DatasetSpec,
  MEMORY_SIZES,
  prepareDataset,
  SIZES,
  SMOKE_DATASET,
  SMOKE_MEMORY_SIZES,
} from './datasets';
import {
  countRows,
  csvScanQuery,
  describeMemoryTable,
  loadMemoryTables,
  memoryQuery,
  openDuckDb,
} from './duckdb-baseline';
import { benchmarkLoad, type LoadResult } from './load-bench';
import { benchmarkLoaderMemory, type LoaderMemoryResult } from './loader-memory';
import { type LoaderProfile, profileLoader } from './loader-profile';
import { childEnv, ROOT, stackFrames, startUntilReady, stop } from './processes';
import {
  apiGatewayEvent,
  benchmarkQueries,
  type CrossCheckResult,
  type Engine,
  handlerEngine,
  httpEngine,
  type LatencyResult,
} from './query-bench';
import { planRequests, QUERY_SHAPES } from './query-shapes';
import { renderReport } from './report';
import { type BenchResults, type DatasetResult, evaluateTargets, type MachineInfo } from './results';
import { benchmarkWriteCost, ON_DEMAND_PRICES, type WriteCostResult } from './write-cost';

const HELP = `Usage: npm run bench -- [options]

Measures loading (the loader's parse-only rate against DuckDB's, its peak memory against file
size, and the DynamoDB write cost per million events), query latency, growth with stored events,
DynamoDB cost per query and the Lambda cold start, against DuckDB over the same CSV (every answer
cross-checked first). Writes bench/results/<timestamp>.json and regenerates docs/benchmarks.md and
its chart.

Options:
  --sizes LIST        data sets, comma-separated: 147k (data/events.csv), 1m, 10m (generated into
                      --data-dir with npm run generate, then reused); default 147k,1m,10m. The
                      loader's peak memory is always measured on generated 200k and 2m files, and
                      on 10m when it is selected
  --smoke             a tiny run of every section on the first 3,000 rows of data/events.csv
  --requests N        timed requests per query shape and engine (default 200; --smoke 3)
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
  npm run bench                          # everything; loading 10m into DynamoDB Local takes hours
  npm run bench -- --sizes 147k,1m       # about 20 minutes on 2 cores, 10 of them loading 1m
  npm run bench -- --sizes 147k          # data/events.csv only, about 5 minutes
  npm run bench -- --report bench/results/<file>.json   # re-render docs/benchmarks.md
  npm run bench -- --smoke --results-dir /tmp/bench --docs /tmp/bench/benchmarks.md`;

const OPTIONS = {
  sizes: { type: 'string' },
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

/** The loader is profiled on the largest set up to this size: 10M rows would take minutes and show the same. */
const PROFILE_MAX_ROWS = 1_000_000;

const SHAPE_72H = QUERY_SHAPES.find((shape) => shape.id === '72h-partial') as (typeof QUERY_SHAPES)[number];

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

function parseSizes(value: string | undefined): DatasetSpec[] {
  const ids = (value ?? '147k,1m,10m').split(',').map((id) => id.trim().toLowerCase());
  return ids.map((id) => {
    const spec = SIZES[id];
    if (spec === undefined) {
      throw new UsageError(`--sizes takes ${Object.keys(SIZES).join(', ')}; received ${JSON.stringify(id)}`);
    }
    return spec;
  });
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

/** The recorded settings of a run, plus what only the running harness needs. */
interface Settings extends Omit<BenchResults['settings'], 'sizes'> {
  smoke: boolean;
  specs: DatasetSpec[];
  httpPort: number;
  dataDir: string;
  scratchDir: string;
}

/**
 * Measures one data set: the loader without I/O against DuckDB, end-to-end CLI loads (first set
 * only), one metered load whose table the queries then read, the queries, their cost and (on the
 * first set) the cold start.
 */
async function benchmarkDataset(
  spec: DatasetSpec,
  index: number,
  settings: Settings,
  endpoint: string,
  runId: string,
  log: (line: string) => void,
) {
  log(`[${spec.id}] ${spec.label}`);
  const prepared = await prepareDataset(spec, settings.dataDir, settings.scratchDir, log);
  const duckdb = await openDuckDb();
  const client = createDynamoDbClient({ endpoint });
  const cliRuns = index === 0 ? settings.endToEndRuns : 0;
  const cliTableNames = Array.from({ length: cliRuns }, (_, i) => `bench-${runId}-${spec.id}-cli-${i + 1}`);
  const tableName = `bench-${runId}-${spec.id}`;
  const tableNames = [...cliTableNames, tableName];
  let server: Awaited<ReturnType<typeof startUntilReady>> | undefined;
  let http: ReturnType<typeof httpEngine> | undefined;
  try {
    const { rows, transactions } = await countRows(duckdb, prepared.file);
    const dedupe = transactions < rows;
    log(
      `  load: ${rows.toLocaleString('en-US')} rows, parse-only, aggregating in DuckDB, ${cliRuns} end-to-end CLI load(s)`,
    );
    const load: LoadResult = await benchmarkLoad({
      dataset: spec.id,
      file: prepared.file,
      rows,
      dedupe,
      throughputRuns: settings.throughputRuns,
      endpoint,
      cliTableNames,
      scratchDir: settings.scratchDir,
    });
    if (!load.crossCheck.identical)
      throw new Error(`${spec.id}: the loader's hourly counts differ from DuckDB's`);
    log(
      `  load: parse-only ${Math.round(load.parseOnly.rowsPerSecond)} rows/s, DuckDB ${Math.round(load.duckdb.rowsPerSecond)} rows/s` +
        (load.endToEnd === null ? '' : `, end to end ${load.endToEnd.medianSecondsToSummary.toFixed(2)} s`),
    );
    log('  load: one metered load into DynamoDB Local (the table the queries read)');
    const writeCost = await benchmarkWriteCost({
      dataset: spec.id,
      file: prepared.file,
      endpoint,
      tableName,
    });
    if (writeCost.events !== load.crossCheck.events) {
      throw new Error(
        `${spec.id}: the metered load counted ${writeCost.events} events, DuckDB ${load.crossCheck.events}`,
      );
    }
    log(
      `  load: ${writeCost.seconds.toFixed(1)} s, ${writeCost.perMillionEvents.writeUnits.toLocaleString('en-US')} ` +
        `write units and ${writeCost.perMillionEvents.readUnits.toLocaleString('en-US')} read units per million events`,
    );

    const memory = await loadMemoryTables(duckdb, prepared.file, dedupe);
    const span = await describeMemoryTable(duckdb);
    const storedEvents = span.customers.reduce((sum, c) => sum + c.events, 0);
    if (storedEvents !== load.crossCheck.events) {
      throw new Error(
        `${spec.id}: DuckDB holds ${storedEvents} events, the loader counted ${load.crossCheck.events}`,
      );
    }
    const hours = (span.lastEventAt - span.firstEventAt) / 3_600_000;
    const queried = span.customers.slice(0, 3);
    const dataset: DatasetResult = {
      id: spec.id,
      label: spec.label,
      file: prepared.displayPath,
      bytes: statSync(prepared.file).size,
      rows,
      storedEvents,
      customers: span.customers.length,
      queriedCustomerEventsPerHour:
        queried.reduce((sum, c) => sum + c.events, 0) / queried.length / Math.max(1, hours),
      firstEventAt: new Date(span.firstEventAt).toISOString(),
      lastEventAt: new Date(span.lastEventAt).toISOString(),
      generatedSeconds: prepared.generatedSeconds,
      duckdbMemoryLoadSeconds: memory.loadSeconds,
      duckdbSortSeconds: memory.sortSeconds,
    };

    const port = settings.httpPort === 0 ? await freePort() : settings.httpPort;
    server = await startUntilReady(
      process.execPath,
      ['--import', 'tsx', 'local/serve.ts'],
      childEnv({ DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName, PORT: String(port) }),
      /serving at/,
    );
    http = httpEngine(port);
    const store = createCounterStore({ client, tableName });
    const base = index === 0;
    const engines: Engine[] = [
      { id: 'duckdb-memory', answer: await memoryQuery(duckdb, 'events') },
      { id: 'duckdb-memory-sorted', answer: await memoryQuery(duckdb, 'events_sorted') },
      handlerEngine(store),
      http,
      {
        id: 'duckdb-csv',
        answer: await csvScanQuery(duckdb, prepared.file, dedupe),
        limits: base ? undefined : { ...settings.csvScan, shapes: ['72h-partial'] },
      },
    ];
    log('  queries: cross-checking every distinct request, then timing');
    const queries = await benchmarkQueries({
      dataset: spec.id,
      storedEvents,
      span,
      engines,
      variants: settings.variants,
      requests: settings.requests,
      warmup: settings.warmup,
      jitWarmupSeconds: index === 0 ? settings.jitWarmupSeconds.first : settings.jitWarmupSeconds.later,
      seed: 20210301,
      log,
    });
    const cost = await benchmarkCost({
      dataset: spec.id,
      client,
      tableName,
      span,
      variants: settings.variants,
      seed: 20210301,
    });
    let coldStart: ColdStartResult | undefined;
    if (base) {
      log(`  cold start: bundling lambda/api-handler.ts, ${settings.coldStartRuns} fresh processes`);
      const [request] = planRequests(SHAPE_72H, span, 1, 1);
      coldStart = await benchmarkColdStart({
        outDir: join(settings.scratchDir, 'lambda-bundle'),
        runs: settings.coldStartRuns,
        endpoint,
        tableName,
        event: apiGatewayEvent(request as NonNullable<typeof request>, 'cold-start'),
      });
    }
    return { dataset, load, writeCost, ...queries, cost, coldStart, file: prepared.file };
  } finally {
    http?.close();
    if (server !== undefined) await stop(server);
    duckdb.close();
    // Free DynamoDB Local's memory before the next, larger set; a failed load may have left a table out.
    for (const name of tableNames) {
      await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    }
    client.destroy();
  }
}

/** Writes the report and its chart from a run's results, and prints the targets. */
function writeReport(results: BenchResults, resultsFile: string, docsFile: string): void {
  const chartFile = join(dirname(docsFile), 'benchmarks', 'query-latency.svg');
  mkdirSync(dirname(chartFile), { recursive: true });
  writeFileSync(chartFile, renderLatencyChart(results));
  writeFileSync(docsFile, renderReport(results, relative(ROOT, resultsFile)));
  console.log(
    `\nResults: ${relative(process.cwd(), resultsFile)}\nReport:  ${relative(process.cwd(), docsFile)}\n`,
  );
  for (const target of results.targets) {
    const mark = target.met === null ? 'not measured' : target.met ? 'met' : 'MISSED';
    console.log(`${mark.padEnd(12)} ${target.target}: ${target.measured}`);
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
    if (results.schemaVersion !== 2) {
      throw new UsageError(
        `--report reads results of schema version 2 (the streaming loader); ${values.report} has ` +
          `version ${JSON.stringify(results.schemaVersion)}: re-run the benchmark`,
      );
    }
    writeReport(results, resultsFile, docsFile);
    return 0;
  }
  const smoke = values.smoke === true;
  // The SDK's notice about Node versions would only add noise to the progress output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const settings: Settings = {
    smoke,
    specs: smoke ? [SMOKE_DATASET] : parseSizes(values.sizes),
    requests: parseCount('requests', values.requests, smoke ? 3 : 200, 1),
    warmup: parseCount('warmup', values.warmup, smoke ? 1 : 50, 0),
    variants: smoke ? 2 : 25,
    jitWarmupSeconds: smoke ? { first: 0, later: 0 } : { first: 60, later: 20 },
    csvScan: smoke ? { variants: 1, requests: 2, warmup: 0 } : { variants: 3, requests: 20, warmup: 1 },
    endToEndRuns: smoke ? 1 : 3,
    throughputRuns: smoke ? 1 : 2,
    coldStartRuns: smoke ? 1 : 15,
    httpPort: parseCount('http-port', values['http-port'], 3400, 0),
    dataDir: resolve(values['data-dir'] ?? join(ROOT, 'bench', 'data')),
    scratchDir: mkdtempSync(join(tmpdir(), 'event-counts-bench-')),
  };
  const resultsDir = resolve(values['results-dir'] ?? join(ROOT, 'bench', 'results'));
  const started = new Date();
  const runId = started.getTime().toString(36);
  const log = (line: string) => console.log(line);
  const machine = await describeMachine();

  let dynamo: RunningDynamoDbLocal | undefined;
  const datasets: DatasetResult[] = [];
  const load: LoadResult[] = [];
  const writeCost: WriteCostResult[] = [];
  const latencies: LatencyResult[] = [];
  const crossChecks: CrossCheckResult[] = [];
  const cost: CostResult[] = [];
  let coldStart: ColdStartResult | null = null;
  let loaderProfile: LoaderProfile | null = null;
  let loaderMemory: LoaderMemoryResult | null = null;
  try {
    log("Measuring the loader's peak memory against file size (parse-only, fresh processes)");
    loaderMemory = await benchmarkLoaderMemory({
      specs: smoke
        ? SMOKE_MEMORY_SIZES
        : [...MEMORY_SIZES, ...settings.specs.filter((spec) => spec.id === '10m')],
      runs: settings.throughputRuns,
      // The smoke run's tiny files are not worth keeping.
      dataDir: smoke ? settings.scratchDir : settings.dataDir,
      scratchDir: settings.scratchDir,
      log,
    });
    let endpoint = values.endpoint;
    if (endpoint === undefined) {
      const port = parseCount('dynamodb-port', values['dynamodb-port'], 8400, 1);
      log(`Starting DynamoDB Local (in memory) on port ${port}`);
      dynamo = await startDynamoDbLocal({ port });
      endpoint = dynamo.endpoint;
    }
    let profiled: { id: string; file: string } | undefined;
    for (const [index, spec] of settings.specs.entries()) {
      const result = await benchmarkDataset(spec, index, settings, endpoint, runId, log);
      datasets.push(result.dataset);
      load.push(result.load);
      writeCost.push(result.writeCost);
      latencies.push(...result.latencies);
      crossChecks.push(...result.crossChecks);
      cost.push(...result.cost);
      coldStart ??= result.coldStart ?? null;
      if (result.dataset.rows <= PROFILE_MAX_ROWS) profiled = { id: spec.id, file: result.file };
    }
    if (!smoke && profiled !== undefined) {
      log(`Profiling the loader's parse-only path on ${profiled.id}`);
      loaderProfile = await profileLoader(profiled.id, profiled.file, settings.scratchDir);
    }
  } finally {
    await dynamo?.stop();
    rmSync(settings.scratchDir, { recursive: true, force: true });
  }

  const finished = new Date();
  machine.loadAverageEnd = loadavg()[0] ?? 0;
  const partial: Omit<BenchResults, 'targets'> = {
    schemaVersion: 2,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    smoke,
    machine,
    settings: {
      sizes: settings.specs.map((spec) => spec.id),
      requests: settings.requests,
      warmup: settings.warmup,
      variants: settings.variants,
      jitWarmupSeconds: settings.jitWarmupSeconds,
      csvScan: settings.csvScan,
      endToEndRuns: settings.endToEndRuns,
      throughputRuns: settings.throughputRuns,
      coldStartRuns: settings.coldStartRuns,
    },
    datasets,
    load,
    loaderMemory,
    writeCost: { prices: ON_DEMAND_PRICES, datasets: writeCost },
    latencies,
    crossChecks,
    cost,
    coldStart,
    loaderProfile,
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
