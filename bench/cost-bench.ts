import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCounterStore } from '../core/counter-store';
import type { ConsumedReadCapacity } from '../core/store-requests';
import { HANDLER_OPTIONS, handlerEngine, planAllShapes } from './query-bench';
import type { DatasetSpan, QueryRequest, ShapeId } from './query-shapes';

const HOUR = 3_600_000;

/** What one request of a shape reads from DynamoDB, averaged over its distinct requests. */
export interface CostResult {
  dataset: string;
  shape: ShapeId;
  requests: number;
  /** DynamoDB Query calls (pages) per request. */
  queryCallsPerRequest: number;
  counterItemsPerRequest: number;
  indexItemsPerRequest: number;
  /** Read capacity units DynamoDB reported (`ReturnConsumedCapacity: TOTAL`, eventually consistent). */
  readCapacityUnitsPerRequest: number;
  /** Time-index reads of partial edge hours, over all requests. */
  edgeIndexReads: number;
  /** Time-index reads of hours the range covers whole, over all requests: the design says 0. */
  wholeHourIndexReads: number;
}

/** True when `[start, end)` covers only part of the clock hour starting at `hour`. */
function isPartialHour(hour: number, request: QueryRequest): boolean {
  return request.start > hour || request.end < hour + HOUR;
}

/**
 * Runs every distinct request of every shape once through the handler (edge cache off: what a
 * request reads when its edge hours are not cached) over a store that asks DynamoDB for the
 * capacity each Query consumed, and sorts the index reads into edge and whole hours.
 */
export async function benchmarkCost(options: {
  dataset: string;
  client: DynamoDBClient;
  tableName: string;
  span: DatasetSpan;
  variants: number;
  seed: number;
}): Promise<CostResult[]> {
  let reads: ConsumedReadCapacity[] = [];
  const store = createCounterStore({
    client: options.client,
    tableName: options.tableName,
    onConsumedCapacity: (consumed) => reads.push(consumed),
  });
  const engine = handlerEngine(store, HANDLER_OPTIONS.edgeCacheOff);
  const results: CostResult[] = [];
  for (const { shape, requests } of planAllShapes(options.span, options.variants, options.seed)) {
    const totals = { calls: 0, counterItems: 0, indexItems: 0, units: 0, edge: 0, whole: 0 };
    for (const request of requests) {
      reads = [];
      await engine.answer(request);
      for (const read of reads) {
        totals.calls++;
        totals.units += read.capacityUnits;
        if (read.read === 'counters') {
          totals.counterItems += read.items;
        } else {
          totals.indexItems += read.items;
          if (isPartialHour(read.hour, request)) totals.edge++;
          else totals.whole++;
        }
      }
    }
    const per = (value: number) => Math.round((value / requests.length) * 100) / 100;
    results.push({
      dataset: options.dataset,
      shape: shape.id,
      requests: requests.length,
      queryCallsPerRequest: per(totals.calls),
      counterItemsPerRequest: per(totals.counterItems),
      indexItemsPerRequest: per(totals.indexItems),
      readCapacityUnitsPerRequest: per(totals.units),
      edgeIndexReads: totals.edge,
      wholeHourIndexReads: totals.whole,
    });
  }
  return results;
}
