import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { benchmarkColdStart, type ColdStartResult } from './cold-start';
import { benchmarkCost, type CostResult } from './cost-bench';
import { copyCustomerRows } from './customer-subset';
import { type DatasetSpec, prepareDataset } from './datasets';
import {
  countRows,
  csvScanQuery,
  describeMemoryTable,
  loadMemoryTables,
  memoryQuery,
  openDuckDb,
} from './duckdb-baseline';
import { childEnv, startUntilReady, stop } from './processes';
import {
  apiGatewayEvent,
  benchmarkQueries,
  type CrossCheckResult,
  type Engine,
  HANDLER_OPTIONS,
  handlerEngine,
  httpEngine,
  type LatencyResult,
  planAllShapes,
} from './query-bench';
import { profileRequests, type QueryProfile } from './query-profile';
import { planRequests, QUERY_SHAPES, type QueryRequest, type ShapeId } from './query-shapes';
import type { DatasetResult } from './results';
import { benchmarkWriteCost, type WriteCostResult } from './write-cost';

/** The customers every query plan asks about (bench/query-shapes.ts `planRequests`): the three largest. */
export const QUERIED_CUSTOMERS = 3;

const SHAPE_72H = QUERY_SHAPES.find((shape) => shape.id === '72h-partial') as (typeof QUERY_SHAPES)[number];

/** How one query data set is measured. */
export interface QueryDatasetOptions {
  spec: DatasetSpec;
  /**
   * `all`: the whole file is loaded into DynamoDB Local. `queried`: only the rows of the customers
   * the queries ask about, copied byte for byte: their partitions then hold exactly the items a
   * load of the whole file writes for them, since the loader writes each (customer, hour) on its
   * own, and a range query reads nothing outside the customer's partition.
   */
  table: 'all' | 'queried';
  /** The engines besides ours in process and DuckDB in memory (file order and sorted). */
  withHttp: boolean;
  /**
   * Fewer requests for DuckDB with the events in memory in file order, which scans every row per
   * request (a fifth of a second at 10M rows); undefined times it like the other engines.
   */
  memoryScanLimits?: { variants: number; requests: number; warmup: number };
  /** DuckDB scanning the CSV: on every shape, or only on these, with fewer requests. */
  csvScan:
    | 'all'
    | { shapes: readonly ShapeId[]; variants: number; requests: number; warmup: number }
    | 'none';
  coldStartRuns: number;
  /** A CPU profile of this many requests of one shape through our handler (as timed), after the timings. */
  profile: { shape: ShapeId; requests: number };
  variants: number;
  requests: number;
  warmup: number;
  jitWarmupSeconds: number;
  httpPort: () => Promise<number>;
  endpoint: string;
  runId: string;
  dataDir: string;
  scratchDir: string;
  log: (line: string) => void;
}

/** What one query data set measured. */
export interface QueryDatasetResult {
  dataset: DatasetResult;
  writeCost: WriteCostResult;
  latencies: LatencyResult[];
  crossChecks: CrossCheckResult[];
  cost: CostResult[];
  coldStart: ColdStartResult | undefined;
  profile: QueryProfile;
}

/**
 * Measures one data set's queries: DuckDB holds every event of the file in memory (in file order and
 * sorted), DynamoDB Local holds what one metered load of the file (or of its queried customers)
 * wrote, and every engine answers every shape, cross-checked before timing; then the read units per
 * shape and, if asked, the Lambda cold start against that table.
 */
export async function benchmarkQueryDataset(options: QueryDatasetOptions): Promise<QueryDatasetResult> {
  const { spec, log } = options;
  log(`[${spec.id}] ${spec.label}`);
  const prepared = await prepareDataset(spec, options.dataDir, options.scratchDir, log);
  const duckdb = await openDuckDb();
  const client = createDynamoDbClient({ endpoint: options.endpoint });
  const tableName = `bench-${options.runId}-${spec.id}`;
  let server: Awaited<ReturnType<typeof startUntilReady>> | undefined;
  let http: ReturnType<typeof httpEngine> | undefined;
  try {
    const { rows, transactions } = await countRows(duckdb, prepared.file);
    const dedupe = transactions < rows;
    const memory = await loadMemoryTables(duckdb, prepared.file, dedupe);
    const span = await describeMemoryTable(duckdb);
    const storedEvents = span.customers.reduce((sum, c) => sum + c.events, 0);
    const queried = span.customers.slice(0, QUERIED_CUSTOMERS);
    log(
      `  DuckDB holds ${storedEvents.toLocaleString('en-US')} events in memory ` +
        `(${memory.loadSeconds.toFixed(1)} s, sorted copy ${memory.sortSeconds.toFixed(1)} s)`,
    );

    let loadFile = prepared.file;
    let tableDescription = 'every row of the file';
    if (options.table === 'queried') {
      loadFile = join(options.scratchDir, `${spec.id}-queried-customers.csv`);
      const copied = await copyCustomerRows(
        prepared.file,
        loadFile,
        queried.map((c) => c.customerId),
      );
      tableDescription =
        `the ${copied.toLocaleString('en-US')} rows of the ${queried.length} customers the queries ask about, ` +
        'copied byte for byte from the file';
    }
    log(`  loading ${tableDescription} into DynamoDB Local (metered)`);
    const writeCost = await benchmarkWriteCost({
      dataset: spec.id,
      file: loadFile,
      endpoint: options.endpoint,
      tableName,
    });
    const tableEvents =
      options.table === 'all' ? storedEvents : queried.reduce((sum, c) => sum + c.events, 0);
    if (writeCost.events !== tableEvents) {
      throw new Error(
        `${spec.id}: the metered load counted ${writeCost.events} events, DuckDB ${tableEvents}`,
      );
    }
    log(
      `  loaded in ${writeCost.seconds.toFixed(1)} s, ${writeCost.perMillionEvents.writeUnits.toLocaleString('en-US')} ` +
        `write units and ${writeCost.perMillionEvents.readUnits.toLocaleString('en-US')} read units per million events`,
    );

    const hours = (span.lastEventAt - span.firstEventAt) / 3_600_000;
    const dataset: DatasetResult = {
      id: spec.id,
      label: spec.label,
      file: prepared.displayPath,
      bytes: statSync(prepared.file).size,
      rows,
      storedEvents,
      customers: span.customers.length,
      table: {
        rows: writeCost.rows,
        events: writeCost.events,
        customers: options.table === 'all' ? span.customers.length : queried.length,
        description: tableDescription,
      },
      queriedCustomerEventsPerHour:
        queried.reduce((sum, c) => sum + c.events, 0) / queried.length / Math.max(1, hours),
      firstEventAt: new Date(span.firstEventAt).toISOString(),
      lastEventAt: new Date(span.lastEventAt).toISOString(),
      generatedSeconds: prepared.generatedSeconds,
      duckdbMemoryLoadSeconds: memory.loadSeconds,
      duckdbSortSeconds: memory.sortSeconds,
    };

    const store = createCounterStore({ client, tableName });
    const engines: Engine[] = [
      {
        id: 'duckdb-memory',
        answer: await memoryQuery(duckdb, 'events'),
        limits:
          options.memoryScanLimits === undefined
            ? undefined
            : { ...options.memoryScanLimits, shapes: QUERY_SHAPES.map((shape) => shape.id) },
      },
      { id: 'duckdb-memory-sorted', answer: await memoryQuery(duckdb, 'events_sorted') },
      handlerEngine(store, HANDLER_OPTIONS.asDeployed),
    ];
    if (options.withHttp) {
      const port = await options.httpPort();
      server = await startUntilReady(
        process.execPath,
        ['--import', 'tsx', 'local/serve.ts'],
        childEnv({ DYNAMODB_ENDPOINT: options.endpoint, TABLE_NAME: tableName, PORT: String(port) }),
        /serving at/,
      );
      http = httpEngine(port);
      engines.push(http);
    }
    if (options.csvScan !== 'none') {
      engines.push({
        id: 'duckdb-csv',
        answer: await csvScanQuery(duckdb, prepared.file, dedupe),
        limits: options.csvScan === 'all' ? undefined : options.csvScan,
      });
    }
    log('  queries: cross-checking every distinct request, then timing');
    const queries = await benchmarkQueries({
      dataset: spec.id,
      storedEvents,
      span,
      engines,
      variants: options.variants,
      requests: options.requests,
      warmup: options.warmup,
      jitWarmupSeconds: options.jitWarmupSeconds,
      seed: 20210301,
      log,
    });
    const profiled = planAllShapes(span, options.variants, 20210301).find(
      (plan) => plan.shape.id === options.profile.shape,
    );
    const profileRequestList = Array.from(
      { length: options.profile.requests },
      (_, i) => profiled?.requests[i % profiled.requests.length] as QueryRequest,
    );
    const profile = await profileRequests(
      `${spec.id}-${options.profile.shape}`,
      `${profiled?.shape.label ?? options.profile.shape} at ${spec.id}, handler as deployed`,
      engines.find((engine) => engine.id === 'ours-handler') as Engine,
      profileRequestList,
    );
    const cost = await benchmarkCost({
      dataset: spec.id,
      client,
      tableName,
      span,
      variants: options.variants,
      seed: 20210301,
    });
    let coldStart: ColdStartResult | undefined;
    if (options.coldStartRuns > 0) {
      log(`  cold start: bundling lambda/api-handler.ts, ${options.coldStartRuns} fresh processes`);
      const [request] = planRequests(SHAPE_72H, span, 1, 1);
      coldStart = await benchmarkColdStart({
        outDir: join(options.scratchDir, 'lambda-bundle'),
        runs: options.coldStartRuns,
        endpoint: options.endpoint,
        tableName,
        event: apiGatewayEvent(request as NonNullable<typeof request>, 'cold-start'),
      });
    }
    return { dataset, writeCost, ...queries, cost, coldStart, profile };
  } finally {
    http?.close();
    if (server !== undefined) await stop(server);
    duckdb.close();
    // Free DynamoDB Local's memory before the next section.
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    client.destroy();
  }
}
