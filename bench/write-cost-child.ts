import { createReadStream } from 'node:fs';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { errorMessage } from '../core/errors';
import { loadEvents } from '../loader/load-events';
import { type CapacityTotals, meterCapacity } from './capacity-meter';
import { peakRssMb } from './peak-rss';
import { LOADER_OPTIONS, stackFrames } from './processes';

/*
 * One metered load into DynamoDB, in a process of its own so that its peak RSS is the load's:
 * `write-cost-child.ts <file> <endpoint> <table>` creates the table, loads the file with the
 * loader's defaults and the client settings of `npm run load`, and prints one JSON line: the load's
 * summary, its peak RSS, the write units DynamoDB Local reported for the transactions (the store's
 * `onWriteCapacity`), and what bench/capacity-meter.ts metered.
 */

/** What the metered load printed. */
export interface MeteredLoad {
  rows: number;
  accepted: number;
  duplicates: number;
  /** Times the loader's buffer was written. */
  bufferWrites: number;
  transactions: number;
  itemsWritten: number;
  seconds: number;
  peakRssMb: number;
  /** The sum of `onWriteCapacity` over the committed transactions, as DynamoDB Local reported it. */
  reportedTransactionWriteUnits: number;
  capacity: CapacityTotals;
}

/** Matches loader/cli.ts: the store retries, the SDK does not, and a hung request is abandoned. */
const REQUEST_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const [file, endpoint, tableName] = process.argv.slice(2);
  if (file === undefined || endpoint === undefined || tableName === undefined) {
    throw new Error('usage: write-cost-child.ts <file> <endpoint> <table>');
  }
  const client = createDynamoDbClient({ endpoint, maxAttempts: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const capacity = meterCapacity(client);
  let reportedTransactionWriteUnits = 0;
  const store = createCounterStore({
    client,
    tableName,
    onWriteCapacity: (units) => {
      reportedTransactionWriteUnits += units;
    },
  });
  await store.ensureTable();
  await store.checkFormat();
  const summary = await loadEvents({ ...LOADER_OPTIONS, store, input: createReadStream(file), source: file });
  const result: MeteredLoad = {
    rows: summary.rows,
    accepted: summary.accepted,
    duplicates: summary.duplicates,
    bufferWrites: summary.writes,
    transactions: summary.transactions,
    itemsWritten: summary.itemsWritten,
    seconds: summary.seconds,
    peakRssMb: peakRssMb(),
    reportedTransactionWriteUnits,
    capacity,
  };
  client.destroy();
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  const frames = stackFrames(error);
  console.error(`error: ${errorMessage(error)}${frames === undefined ? '' : `\n${frames}`}`);
  process.exitCode = 1;
});
