import { statSync } from 'node:fs';
import { relative } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCounterStore } from '../core/counter-store';
import type { ConsumedReadCapacity } from '../core/store-requests';
import { loadMemoryTables, memoryQuery, openDuckDb } from './duckdb-baseline';
import { type HotHoursSpec, planEdgeRequests, prepareHotHoursFile } from './hot-hours';
import { ROOT } from './processes';
import { HANDLER_OPTIONS, handlerEngine } from './query-bench';
import { profileRequests, type QueryProfile } from './query-profile';
import { findDifference, parseAnswer, type QueryRequest } from './query-shapes';
import { type LatencySummary, summarize } from './stats';
import { measurePartitionStorage, type PartitionStorage } from './storage';
import { benchmarkWriteCost, type WriteCostResult } from './write-cost';

/** Partial-edge requests on one of the two hours. */
export interface EdgeSeries extends LatencySummary {
  /** ISO start of the hour the requests cut. */
  hour: string;
  /** Events stored in that hour. */
  events: number;
  /** Distinct cut points: every timed request cuts the hour at another millisecond. */
  distinctRequests: number;
  /** DynamoDB read capacity units per request (`ReturnConsumedCapacity: TOTAL`, eventually consistent). */
  readUnitsPerRequest: number;
  queryCallsPerRequest: number;
  /** Items read per request other than the range's counters (time index parts, histograms). */
  indexItemsPerRequest: number;
}

/** The hot-hour section: one customer, one hour of 1,000,000 events and one of 1,000. */
export interface HotHoursResult {
  id: string;
  file: string;
  bytes: number;
  rows: number;
  customerId: string;
  /** The edge-hour cache of the handler (`createHandler`'s `edgeCacheBytes`): off, every request reads. */
  edgeCacheBytes: number;
  warmup: number;
  hot: EdgeSeries;
  quiet: EdgeSeries;
  /** Hot p50 over quiet p50: the issue wants at most 2. */
  p50Ratio: number;
  /** Requests whose answers were compared with DuckDB's before timing. */
  crossCheckedRequests: number;
  /** The customer's partition after the load, per event. */
  storage: PartitionStorage;
  /** A CPU profile of hot-hour requests in this process, after the timings. */
  profile: QueryProfile;
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Loads the hot-hour data set with the loader (metered, into a fresh table), cross-checks every
 * planned request against DuckDB, then times partial-edge requests on the hot and the quiet hour
 * through the handler in process with the edge cache off, alternating the two series request by
 * request so that whatever else runs on the machine weighs on both alike.
 */
export async function benchmarkHotHours(options: {
  spec: HotHoursSpec;
  dataDir: string;
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
  requests: number;
  warmup: number;
  /** Requests per hour metered for read units (the first ones of each series). */
  meteredRequests: number;
  /** Hot-hour requests run under the CPU profiler. */
  profiledRequests: number;
  log: (line: string) => void;
}): Promise<{ result: HotHoursResult; writeCost: WriteCostResult }> {
  const { spec, client, tableName, log } = options;
  const file = await prepareHotHoursFile(spec, options.dataDir);
  const rows = spec.hotEvents + spec.quietEvents;
  log(`  loading ${rows.toLocaleString('en-US')} events of one customer (metered)`);
  const writeCost = await benchmarkWriteCost({
    dataset: spec.id,
    file,
    endpoint: options.endpoint,
    tableName,
  });
  if (writeCost.events !== rows)
    throw new Error(`${spec.id}: the load counted ${writeCost.events} of ${rows} events`);
  log(`  loaded in ${writeCost.seconds.toFixed(1)} s; sizing the customer's partition`);
  const storage = await measurePartitionStorage({
    client,
    tableName,
    customerId: spec.customerId,
    events: rows,
  });

  const plans = {
    hot: planEdgeRequests(spec.customerId, spec.hotHour, options.requests, spec.seed),
    quiet: planEdgeRequests(spec.customerId, spec.quietHour, options.requests, spec.seed + 1),
  };
  const engine = handlerEngine(createCounterStore({ client, tableName }), HANDLER_OPTIONS.edgeCacheOff);
  const duckdb = await openDuckDb();
  const expected = new Map<QueryRequest, number>();
  try {
    await loadMemoryTables(duckdb, file, false);
    const reference = await memoryQuery(duckdb, 'events');
    for (const request of [...plans.hot, ...plans.quiet]) {
      const want = parseAnswer(await reference(request));
      const difference = findDifference(want, parseAnswer(await engine.answer(request)));
      if (difference !== undefined) {
        throw new Error(
          `${spec.id}: the handler differs from DuckDB for ${JSON.stringify(request)}: ${difference}`,
        );
      }
      expected.set(request, want.total);
    }
  } finally {
    duckdb.close();
  }
  log(`  cross-checked ${expected.size} partial-edge requests with DuckDB; timing`);

  const call = async (request: QueryRequest) => {
    const started = performance.now();
    const body = await engine.answer(request);
    const ms = performance.now() - started;
    if (parseAnswer(body).total !== expected.get(request))
      throw new Error(`${spec.id}: total changed between runs`);
    return ms;
  };
  const at = (list: QueryRequest[], i: number) => list[i % list.length] as QueryRequest;
  for (let i = 0; i < options.warmup; i++) {
    await call(at(plans.hot, i));
    await call(at(plans.quiet, i));
  }
  const samples = { hot: [] as number[], quiet: [] as number[] };
  for (let i = 0; i < options.requests; i++) {
    samples.hot.push(await call(at(plans.hot, i)));
    samples.quiet.push(await call(at(plans.quiet, i)));
  }

  const meter = async (requests: QueryRequest[]) => {
    let reads: ConsumedReadCapacity[] = [];
    const metered = handlerEngine(
      createCounterStore({ client, tableName, onConsumedCapacity: (read) => reads.push(read) }),
      HANDLER_OPTIONS.edgeCacheOff,
    );
    const totals = { units: 0, calls: 0, indexItems: 0 };
    const sample = requests.slice(0, Math.max(1, options.meteredRequests));
    for (const request of sample) {
      reads = [];
      await metered.answer(request);
      for (const read of reads) {
        totals.calls++;
        totals.units += read.capacityUnits;
        if (read.read !== 'counters') totals.indexItems += read.items;
      }
    }
    return {
      readUnitsPerRequest: round(totals.units / sample.length),
      queryCallsPerRequest: round(totals.calls / sample.length),
      indexItemsPerRequest: round(totals.indexItems / sample.length),
    };
  };
  const series = async (hour: number, events: number, key: 'hot' | 'quiet'): Promise<EdgeSeries> => ({
    hour: new Date(hour).toISOString(),
    events,
    distinctRequests: plans[key].length,
    ...summarize(samples[key]),
    ...(await meter(plans[key])),
  });
  const profile = await profileRequests(
    `${spec.id}-hot`,
    `partial edges on the hot hour (${spec.hotEvents.toLocaleString('en-US')} events), edge cache off`,
    engine,
    plans.hot.slice(0, options.profiledRequests),
  );
  const hot = await series(spec.hotHour, spec.hotEvents, 'hot');
  const quiet = await series(spec.quietHour, spec.quietEvents, 'quiet');
  log(
    `  partial edge p50: hot hour ${hot.p50Ms.toFixed(2)} ms (${hot.readUnitsPerRequest} RCU), ` +
      `quiet hour ${quiet.p50Ms.toFixed(2)} ms (${quiet.readUnitsPerRequest} RCU): ${(hot.p50Ms / quiet.p50Ms).toFixed(2)}×`,
  );
  return {
    result: {
      id: spec.id,
      file: file.startsWith(ROOT) ? relative(ROOT, file) : file,
      bytes: statSync(file).size,
      rows,
      customerId: spec.customerId,
      edgeCacheBytes: HANDLER_OPTIONS.edgeCacheOff.edgeCacheBytes,
      warmup: options.warmup,
      hot,
      quiet,
      p50Ratio: round(hot.p50Ms / quiet.p50Ms),
      crossCheckedRequests: expected.size,
      storage,
      profile,
    },
    writeCost,
  };
}
