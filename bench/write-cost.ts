import { STORED_ITEM_OVERHEAD_BYTES } from './capacity-meter';
import { LOADER_NODE_ARGS, runJson } from './processes';
import type { MeteredLoad } from './write-cost-child';

/**
 * DynamoDB on-demand prices the cost is computed with. AWS halved on-demand throughput prices on
 * 2024-11-01; these are the us-east-1 prices since then, as listed when this benchmark was written.
 */
export const ON_DEMAND_PRICES = {
  region: 'us-east-1',
  writeUsdPerMillionUnits: 0.625,
  readUsdPerMillionUnits: 0.125,
  effectiveSince: '2024-11-01',
  asOf: '2026-12-02',
  source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
} as const;

export type OnDemandPrices = typeof ON_DEMAND_PRICES;

/** Digest bytes per counted event in the deduplication data (core/digests.ts DIGEST_ENTRY_BYTES). */
const DIGEST_ENTRY_BYTES = 12;

/** One data set loaded into a fresh table of DynamoDB Local, and what that load would cost on DynamoDB. */
export interface WriteCostResult {
  dataset: string;
  rows: number;
  /** Events the load counted. */
  events: number;
  seconds: number;
  rowsPerSecond: number;
  /** Peak RSS of the loading process (loader, AWS SDK, Node and tsx). */
  peakRssMb: number;
  bufferWrites: number;
  transactions: number;
  itemsWritten: number;
  /** Write request units by DynamoDB's rules: transactions at 2 per KB per item, span updates at 1. */
  writeUnits: { transactions: number; spanUpdates: number; total: number };
  /** What DynamoDB Local reported for the same transactions (`onWriteCapacity`): not per item. */
  transactionWriteUnitsReportedByDynamoDbLocal: number;
  /** The loader's strongly consistent reads of each hour's dedup data, 1 unit per 4 KB, at least 1 a page. */
  readUnits: { dedupReads: number; queries: number; reportedByDynamoDbLocal: number };
  perMillionEvents: {
    writeUnits: number;
    readUnits: number;
    writeUsd: number;
    readUsd: number;
    totalUsd: number;
  };
  /** The deduplication data stored: digest fragments, with DynamoDB's per-item overhead. */
  dedupStorage: {
    items: number;
    bytes: number;
    bytesPerEvent: number;
    digestEntryBytesPerEvent: number;
  };
}

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

/** The cost figures of one metered load. */
export function summarizeWriteCost(dataset: string, load: MeteredLoad): WriteCostResult {
  const { capacity } = load;
  const events = load.accepted;
  const perMillion = (value: number) => (events === 0 ? 0 : (value / events) * 1e6);
  const writeUnits = {
    transactions: capacity.transactions.billedWriteUnits,
    spanUpdates: capacity.spanUpdates.billedWriteUnits,
    total: capacity.transactions.billedWriteUnits + capacity.spanUpdates.billedWriteUnits,
  };
  const readUnits = capacity.dedupReads.billedReadUnits;
  const writeUsd = (perMillion(writeUnits.total) / 1e6) * ON_DEMAND_PRICES.writeUsdPerMillionUnits;
  const readUsd = (perMillion(readUnits) / 1e6) * ON_DEMAND_PRICES.readUsdPerMillionUnits;
  const { fragments: dedupItems, fragmentBytes } = capacity.dedupStorage;
  const dedupBytes = fragmentBytes + dedupItems * STORED_ITEM_OVERHEAD_BYTES;
  return {
    dataset,
    rows: load.rows,
    events,
    seconds: round(load.seconds),
    rowsPerSecond: Math.round(load.rows / load.seconds),
    peakRssMb: round(load.peakRssMb, 1),
    bufferWrites: load.bufferWrites,
    transactions: load.transactions,
    itemsWritten: load.itemsWritten,
    writeUnits,
    transactionWriteUnitsReportedByDynamoDbLocal: load.reportedTransactionWriteUnits,
    readUnits: {
      dedupReads: readUnits,
      queries: capacity.dedupReads.calls,
      reportedByDynamoDbLocal: capacity.dedupReads.reportedReadUnits,
    },
    perMillionEvents: {
      writeUnits: Math.round(perMillion(writeUnits.total)),
      readUnits: Math.round(perMillion(readUnits)),
      writeUsd: round(writeUsd, 4),
      readUsd: round(readUsd, 4),
      totalUsd: round(writeUsd + readUsd, 4),
    },
    dedupStorage: {
      items: dedupItems,
      bytes: dedupBytes,
      bytesPerEvent: events === 0 ? 0 : round(dedupBytes / events),
      digestEntryBytesPerEvent: DIGEST_ENTRY_BYTES,
    },
  };
}

/**
 * Loads `file` into a fresh table `tableName` of DynamoDB Local in a child process (loader defaults,
 * as `npm run load`), metering every write and dedup read. The table stays loaded for the query sections.
 */
export async function benchmarkWriteCost(options: {
  dataset: string;
  file: string;
  endpoint: string;
  tableName: string;
}): Promise<WriteCostResult> {
  const load = await runJson<MeteredLoad>(
    'bench/write-cost-child.ts',
    [options.file, options.endpoint, options.tableName],
    LOADER_NODE_ARGS,
  );
  return summarizeWriteCost(options.dataset, load);
}
