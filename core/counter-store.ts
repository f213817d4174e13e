import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RETRY_POLICY, isRetryableError, type RetryPolicy, withRetries } from './retry';

/*
 * Item layout (docs/data-model.md has a worked example):
 *
 *   pk = C#<customer_id>   sk = H#<yyyy-mm-ddThh>                 count, hour      hourly counter
 *   pk = C#<customer_id>   sk = I#<yyyy-mm-ddThh>#<load_id>#<part> offsets, events time index fragment
 *   pk = L#<load_id>       sk = CHUNK#<nnnnnn>                    chunk marker (applied once)
 *   pk = L#<load_id>       sk = DONE                              load summary
 *   pk = D#customers       sk = <customer_id>                     total, firstTimes, lastTimes  directory
 *
 * Customer partitions start with `C#` and internal ones with `L#` or `D#`, so no customer id can
 * collide with an internal item; inside a customer partition counters (`H#`) and indexes (`I#`)
 * sort apart, so a BETWEEN on `H#` keys reads counters only.
 */

const PK = 'pk';
const SK = 'sk';

/** DynamoDB allows at most 100 actions in one transaction; one is the chunk's marker. */
export const MAX_ACTIONS_PER_CHUNK = 100;
/** A transaction may carry at most 4 MB; stay well below it. */
export const MAX_CHUNK_BYTES = 3_500_000;
/** 96,000 offsets of 4 bytes keep an index fragment under the 400 KB item limit. */
export const MAX_OFFSETS_PER_INDEX_ITEM = 96_000;
/** Bumped if the chunk plan ever changes, so a resumed load never mixes two plans. */
const CHUNK_PLAN_VERSION = 'v2';
/** The one partition of the customer directory; `D#` sorts apart from `C#` and `L#` partitions. */
const CUSTOMERS_PK = 'D#customers';

/** The events of one customer in one clock hour, from one load. */
export interface HourAggregate {
  customerId: string;
  /** Epoch milliseconds of the hour's start. */
  hour: number;
  /** Sorted millisecond offsets of each event within the hour (0 to 3,599,999). */
  offsets: Uint32Array;
}

/** What one load adds to a customer's directory entry. */
export interface CustomerTotals {
  customerId: string;
  events: number;
  /** Epoch milliseconds of the customer's first and last event in this load. */
  firstEventAt: number;
  lastEventAt: number;
}

/** One transaction's worth of writes: applied completely, once, or not at all. */
export interface WriteChunk {
  loadId: string;
  sequence: number;
  counters: { customerId: string; hour: number; count: number }[];
  indexParts: { customerId: string; hour: number; part: number; offsets: Uint32Array }[];
  customers: CustomerTotals[];
}

/** A customer's entry in the directory: every load's events added up. */
export interface CustomerSummary {
  customerId: string;
  /** Epoch milliseconds of the customer's first and last event over all loads. */
  firstEventAt: number;
  lastEventAt: number;
  totalEvents: number;
}

/** One page of the customer directory, in customer id order. */
export interface CustomerPage {
  customers: CustomerSummary[];
  /** The last customer id of this page when more follow; pass it as `after` for the next page. */
  lastCustomerId?: string;
}

/** What the DONE item of a load records. */
export interface LoadRecord {
  loadId: string;
  source: string;
  completedAt: string;
  rows: number;
  accepted: number;
  chunks: number;
}

/** Which read of a range query a Query serves: the range's counters, or one hour's time index. */
export type CounterRead =
  | { read: 'counters'; customerId: string; firstHour: number; lastHour: number }
  | { read: 'index'; customerId: string; hour: number };

/** What one page of a read returned and cost, as DynamoDB reports it (`ReturnConsumedCapacity`). */
export type ConsumedReadCapacity = CounterRead & { items: number; capacityUnits: number };

export interface CounterStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  retryPolicy?: RetryPolicy;
  /** Called after every page of a counter or index read; asks DynamoDB for the capacity consumed. */
  onConsumedCapacity?: (consumed: ConsumedReadCapacity) => void;
}

/** Formats an hour start as the 13-character key part `2021-03-01T04`. */
export function hourKeyPart(hour: number): string {
  return new Date(hour).toISOString().slice(0, 13);
}

function parseHourKeyPart(part: string): number {
  return Date.parse(`${part}:00:00.000Z`);
}

const customerPk = (customerId: string) => `C#${customerId}`;
const counterSk = (hour: number) => `H#${hourKeyPart(hour)}`;
const indexSkPrefix = (hour: number) => `I#${hourKeyPart(hour)}#`;
const loadPk = (loadId: string) => `L#${loadId}`;
const chunkSk = (sequence: number) => `CHUNK#${CHUNK_PLAN_VERSION}#${String(sequence).padStart(6, '0')}`;

/**
 * Splits one load's hourly aggregates into transactions that respect DynamoDB's limits (100
 * actions including the marker, 4 MB, 400 KB per item). The plan depends only on the aggregates,
 * so a re-run of the same file produces the same chunks and finds the ones already applied.
 * Counters and indexes come first; the load's customer directory updates follow in chunks of
 * their own, one action per customer, so concurrent chunks never contend for a directory item.
 */
export function planChunks(loadId: string, hours: readonly HourAggregate[]): WriteChunk[] {
  const chunks: WriteChunk[] = [];
  let current: WriteChunk = { loadId, sequence: 0, counters: [], indexParts: [], customers: [] };
  let bytes = 0;
  const room = (itemBytes: number) =>
    1 + current.counters.length + current.indexParts.length < MAX_ACTIONS_PER_CHUNK &&
    bytes + itemBytes <= MAX_CHUNK_BYTES;
  const flushIfFull = (itemBytes: number) => {
    if (room(itemBytes)) return;
    chunks.push(current);
    current = { loadId, sequence: chunks.length, counters: [], indexParts: [], customers: [] };
    bytes = 0;
  };
  const sorted = [...hours].sort((a, b) =>
    a.customerId === b.customerId ? a.hour - b.hour : a.customerId < b.customerId ? -1 : 1,
  );
  for (const { customerId, hour, offsets } of sorted) {
    if (offsets.length === 0) continue;
    for (let part = 0; part * MAX_OFFSETS_PER_INDEX_ITEM < offsets.length; part++) {
      const slice = offsets.subarray(
        part * MAX_OFFSETS_PER_INDEX_ITEM,
        (part + 1) * MAX_OFFSETS_PER_INDEX_ITEM,
      );
      flushIfFull(slice.byteLength + 256);
      current.indexParts.push({ customerId, hour, part, offsets: slice });
      bytes += slice.byteLength + 256;
    }
    flushIfFull(256);
    current.counters.push({ customerId, hour, count: offsets.length });
    bytes += 256;
  }
  if (current.counters.length + current.indexParts.length > 0) chunks.push(current);
  const totals = customerTotals(sorted);
  for (let i = 0; i < totals.length; i += MAX_ACTIONS_PER_CHUNK - 1) {
    chunks.push({
      loadId,
      sequence: chunks.length,
      counters: [],
      indexParts: [],
      customers: totals.slice(i, i + MAX_ACTIONS_PER_CHUNK - 1),
    });
  }
  return chunks;
}

/** Events, first and last event time per customer, from aggregates sorted by customer and hour. */
function customerTotals(sorted: readonly HourAggregate[]): CustomerTotals[] {
  const totals: CustomerTotals[] = [];
  let last: CustomerTotals | undefined;
  for (const { customerId, hour, offsets } of sorted) {
    if (offsets.length === 0) continue;
    const first = hour + (offsets[0] as number);
    const final = hour + (offsets[offsets.length - 1] as number);
    if (last?.customerId === customerId) {
      last.events += offsets.length;
      last.lastEventAt = final;
    } else {
      last = { customerId, events: offsets.length, firstEventAt: first, lastEventAt: final };
      totals.push(last);
    }
  }
  return totals;
}

function toBytes(offsets: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < offsets.length; i++) view.setUint32(i * 4, offsets[i] as number, true);
  return bytes;
}

/** Number of little-endian uint32 values in the sorted `bytes` that are >= `value`'s position. */
function lowerBound(view: DataView, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view.getUint32(mid * 4, true) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts the offsets in `[from, to)` of one packed, sorted index fragment. */
export function countOffsetsInRange(packed: Uint8Array, from: number, to: number): number {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const length = packed.byteLength / 4;
  return lowerBound(view, length, to) - lowerBound(view, length, from);
}

/** The result of applying one chunk. */
export type ChunkOutcome = { status: 'applied'; itemsWritten: number } | { status: 'already-applied' };

/**
 * The only module that talks to DynamoDB: queries counters and time indexes, applies load chunks
 * exactly once, and creates the table for local runs.
 */
export function createCounterStore({
  client,
  tableName,
  retryPolicy = DEFAULT_RETRY_POLICY,
  onConsumedCapacity,
}: CounterStoreOptions) {
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });

  async function queryAll(input: QueryCommandInput, read: CounterRead): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const returnCapacity = onConsumedCapacity === undefined ? undefined : 'TOTAL';
    let startKey: Record<string, unknown> | undefined;
    do {
      // Each page stops at 1 MB; keep following LastEvaluatedKey.
      const page = await documentClient.send(
        new QueryCommand({ ...input, ExclusiveStartKey: startKey, ReturnConsumedCapacity: returnCapacity }),
      );
      onConsumedCapacity?.({
        ...read,
        items: page.Count ?? 0,
        capacityUnits: page.ConsumedCapacity?.CapacityUnits ?? 0,
      });
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  return {
    tableName,

    /** Hourly counters of one customer for the hours `firstHour` to `lastHour` inclusive, keyed by hour start. */
    async queryHourCounts(
      customerId: string,
      firstHour: number,
      lastHour: number,
    ): Promise<Map<number, number>> {
      const items = await queryAll(
        {
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
          ProjectionExpression: '#sk, #count',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#count': 'count' },
          ExpressionAttributeValues: {
            ':pk': customerPk(customerId),
            ':first': counterSk(firstHour),
            ':last': counterSk(lastHour),
          },
        },
        { read: 'counters', customerId, firstHour, lastHour },
      );
      const counts = new Map<number, number>();
      for (const item of items) {
        counts.set(parseHourKeyPart(String(item[SK]).slice(2)), Number(item.count));
      }
      return counts;
    },

    /** Number of events of one customer in `[hour + fromOffset, hour + toOffset)`, from the hour's time index. */
    async countEventsInHour(
      customerId: string,
      hour: number,
      fromOffset: number,
      toOffset: number,
    ): Promise<number> {
      // `I#<hour>#` up to `I#<hour>$` ('$' follows '#'): the keys begins_with would match. DynamoDB
      // reads both the same way, but DynamoDB Local scans the whole partition for begins_with.
      const prefix = indexSkPrefix(hour);
      const items = await queryAll(
        {
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
          ProjectionExpression: 'offsets',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': customerPk(customerId),
            ':first': prefix,
            ':last': `${prefix.slice(0, -1)}$`,
          },
        },
        { read: 'index', customerId, hour },
      );
      let count = 0;
      for (const item of items) {
        count += countOffsetsInRange(item.offsets as Uint8Array, fromOffset, toOffset);
      }
      return count;
    },

    /**
     * Applies one chunk in a single transaction guarded by its marker item, so a chunk is counted
     * once however often it is retried or re-run. Throttling, conflicts and 5xx are retried with
     * backoff; a failed marker condition means an earlier run already applied the chunk.
     */
    async applyChunk(chunk: WriteChunk): Promise<ChunkOutcome> {
      const appliedAt = new Date().toISOString();
      const input: TransactWriteCommandInput = {
        // One token for every retry of this call: if an attempt committed but its response was lost,
        // DynamoDB answers the retry with success instead of running it again (10-minute window).
        ClientRequestToken: randomUUID(),
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: {
                [PK]: loadPk(chunk.loadId),
                [SK]: chunkSk(chunk.sequence),
                appliedAt,
                counters: chunk.counters.length,
                indexParts: chunk.indexParts.length,
                customers: chunk.customers.length,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PK },
            },
          },
          ...chunk.indexParts.map(({ customerId, hour, part, offsets }) => ({
            Put: {
              TableName: tableName,
              Item: {
                [PK]: customerPk(customerId),
                [SK]: `${indexSkPrefix(hour)}${chunk.loadId}#${String(part).padStart(4, '0')}`,
                events: offsets.length,
                offsets: toBytes(offsets),
              },
            },
          })),
          ...chunk.counters.map(({ customerId, hour, count }) => ({
            Update: {
              TableName: tableName,
              Key: { [PK]: customerPk(customerId), [SK]: counterSk(hour) },
              UpdateExpression: 'ADD #count :count SET #hour = :hour',
              ExpressionAttributeNames: { '#count': 'count', '#hour': 'hour' },
              ExpressionAttributeValues: { ':count': count, ':hour': new Date(hour).toISOString() },
            },
          })),
          // DynamoDB cannot keep a minimum or maximum in an update, so each load adds its first and
          // last event time to number sets; readers take the min and max.
          ...chunk.customers.map(({ customerId, events, firstEventAt, lastEventAt }) => ({
            Update: {
              TableName: tableName,
              Key: { [PK]: CUSTOMERS_PK, [SK]: customerId },
              UpdateExpression: 'ADD #total :events, #firstTimes :first, #lastTimes :last',
              ExpressionAttributeNames: {
                '#total': 'total',
                '#firstTimes': 'firstTimes',
                '#lastTimes': 'lastTimes',
              },
              ExpressionAttributeValues: {
                ':events': events,
                ':first': new Set([firstEventAt]),
                ':last': new Set([lastEventAt]),
              },
            },
          })),
        ],
      };
      try {
        await withRetries(
          () => documentClient.send(new TransactWriteCommand(input)),
          retryPolicy,
          (error) => isRetryableError(error) || isRetryableCancellation(error),
        );
        return { status: 'applied', itemsWritten: input.TransactItems?.length ?? 0 };
      } catch (error) {
        if (isMarkerConflict(error)) return { status: 'already-applied' };
        throw error;
      }
    },

    /** The directory entry of one customer, or undefined when no load has counted its events. */
    async getCustomer(customerId: string): Promise<CustomerSummary | undefined> {
      const result = await documentClient.send(
        new GetCommand({ TableName: tableName, Key: { [PK]: CUSTOMERS_PK, [SK]: customerId } }),
      );
      return result.Item === undefined ? undefined : toCustomerSummary(result.Item);
    },

    /**
     * Up to `limit` directory entries in customer id order, starting after the customer id `after`.
     * One Query on the directory partition, never a Scan; it asks for one entry more than the
     * page to know whether another page follows.
     */
    async listCustomers({ limit, after }: { limit: number; after?: string }): Promise<CustomerPage> {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined =
        after === undefined ? undefined : { [PK]: CUSTOMERS_PK, [SK]: after };
      do {
        const page = await documentClient.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': CUSTOMERS_PK },
            Limit: limit + 1 - items.length,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && items.length <= limit);
      const customers = items.slice(0, limit).map(toCustomerSummary);
      return items.length > limit
        ? { customers, lastCustomerId: customers.at(-1)?.customerId }
        : { customers };
    },

    /** The DONE record of a load, or undefined when the load has not completed. */
    async getLoad(loadId: string): Promise<LoadRecord | undefined> {
      const result = await withRetries(
        () =>
          documentClient.send(
            new GetCommand({ TableName: tableName, Key: { [PK]: loadPk(loadId), [SK]: 'DONE' } }),
          ),
        retryPolicy,
      );
      if (result.Item === undefined) return undefined;
      const { pk: _pk, sk: _sk, ...record } = result.Item;
      return record as LoadRecord;
    },

    /** Records that every chunk of a load is applied. */
    async completeLoad(record: LoadRecord): Promise<void> {
      await withRetries(
        () =>
          documentClient.send(
            new PutCommand({
              TableName: tableName,
              Item: { [PK]: loadPk(record.loadId), [SK]: 'DONE', ...record },
            }),
          ),
        retryPolicy,
      );
    },

    /** Creates the table (on-demand, `pk`/`sk` strings) unless it exists, and waits until it is active. */
    async ensureTable(): Promise<'created' | 'exists'> {
      try {
        await client.send(new DescribeTableCommand({ TableName: tableName }));
        return 'exists';
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      try {
        await client.send(
          new CreateTableCommand({
            TableName: tableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: PK, AttributeType: 'S' },
              { AttributeName: SK, AttributeType: 'S' },
            ],
            KeySchema: [
              { AttributeName: PK, KeyType: 'HASH' },
              { AttributeName: SK, KeyType: 'RANGE' },
            ],
          }),
        );
      } catch (error) {
        // Another process created it first.
        if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
      }
      for (;;) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        if (Table?.TableStatus === 'ACTIVE') return 'created';
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

export type CounterStore = ReturnType<typeof createCounterStore>;

function extreme(values: unknown, pick: (a: number, b: number) => number): number {
  let result: number | undefined;
  for (const value of values as Set<number>) result = result === undefined ? value : pick(result, value);
  return result ?? Number.NaN;
}

function toCustomerSummary(item: Record<string, unknown>): CustomerSummary {
  return {
    customerId: String(item[SK]),
    firstEventAt: extreme(item.firstTimes, Math.min),
    lastEventAt: extreme(item.lastTimes, Math.max),
    totalEvents: Number(item.total),
  };
}

function cancellationCodes(error: unknown): (string | undefined)[] {
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

/** The transaction failed only because its marker already exists: the chunk was applied before. */
function isMarkerConflict(error: unknown): boolean {
  return cancellationCodes(error)[0] === 'ConditionalCheckFailed';
}

const RETRYABLE_CANCELLATION_CODES = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

function isRetryableCancellation(error: unknown): boolean {
  const codes = cancellationCodes(error);
  return (
    codes[0] !== 'ConditionalCheckFailed' &&
    codes.some((code) => RETRYABLE_CANCELLATION_CODES.has(code ?? ''))
  );
}
