import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DigestFragment } from './digests';
import { IncompleteReadError } from './errors';
import { decodeHourIndex, type HourIndexRead, indexMinuteQuery, indexWholeQuery } from './index-requests';
import { directoryKey } from './keys';
import { DEFAULT_RETRY_POLICY, isRetryableError, type RetryPolicy, withRetries } from './retry';
import {
  cancellationCodes,
  classifyCancellation,
  isConditionFailure,
  isRetryableCancellation,
  translateStoreError,
} from './store-errors';
import {
  type CommitOutcome,
  type ConsumedReadCapacity,
  type CounterRead,
  type CustomerPage,
  type CustomerSummary,
  counterQuery,
  DIRECTORY_SHARD_NUMBERS,
  directoryShardQuery,
  type HourState,
  hourStateQuery,
  isCompleteHistory,
  mergeCustomerPages,
  readHourCounts,
  readHourState,
  toCustomerSummary,
  widenSpanUpdates,
} from './store-requests';
import { tableAdmin } from './table-admin';
import { countInHourIndex, minutesOfCuts } from './time-index';
import type { PlannedTransaction } from './write-plan';

export type { HourIndexRead } from './index-requests';
export type { CustomerPage, CustomerSummary, HourState } from './store-requests';

export interface CounterStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How the loader's calls are retried (the API's reads rely on the client's own attempts). */
  retryPolicy?: RetryPolicy;
  /** Called after every page of a counter or index read; asks DynamoDB for the capacity consumed. */
  onConsumedCapacity?: (consumed: ConsumedReadCapacity) => void;
  /** Called after every committed transaction with the write capacity units it consumed. */
  onWriteCapacity?: (capacityUnits: number) => void;
}

/**
 * The module that talks to DynamoDB (core/table-admin.ts, spread in, makes the table's own calls): it
 * sends the requests that core/store-requests.ts, core/index-requests.ts and core/write-plan.ts
 * build, follows pagination, retries the loader's calls, and translates every SDK error into the
 * project's named errors (core/store-errors.ts).
 */
export function createCounterStore({
  client,
  tableName,
  retryPolicy = DEFAULT_RETRY_POLICY,
  onConsumedCapacity,
  onWriteCapacity,
}: CounterStoreOptions) {
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  /** Sends one request; `retried` requests (the loader's) go through the retry policy first. */
  async function send<T>(call: () => Promise<T>, retried = false): Promise<T> {
    try {
      return retried ? await withRetries(call, retryPolicy) : await call();
    } catch (error) {
      throw translateStoreError(error, tableName);
    }
  }

  /** Calls `onPage` with the items of each page of a Query, following LastEvaluatedKey past each page's 1 MB. */
  async function queryPages(
    input: QueryCommandInput,
    onPage: (items: Record<string, unknown>[]) => void,
    read?: CounterRead,
  ): Promise<void> {
    const capacity = read !== undefined && onConsumedCapacity !== undefined ? ('TOTAL' as const) : undefined;
    let startKey: Record<string, unknown> | undefined;
    do {
      const query = { ...input, ExclusiveStartKey: startKey, ReturnConsumedCapacity: capacity };
      const page = await send(() => documentClient.send(new QueryCommand(query)), read === undefined);
      if (read !== undefined) {
        const capacityUnits = page.ConsumedCapacity?.CapacityUnits ?? 0;
        onConsumedCapacity?.({ ...read, items: page.Count ?? 0, capacityUnits });
      }
      onPage(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Every item of a Query. */
  async function queryAll(input: QueryCommandInput, read?: CounterRead): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    await queryPages(input, (page) => items.push(...page), read);
    return items;
  }

  /**
   * One read of an hour's time index: its `W` items and the parts of `minutes`, in parallel. A read
   * that saw part of a write (see HourIndexRead) is repeated, at most INDEX_READ_ATTEMPTS times in
   * all, and then returned as it is, marked inconsistent.
   */
  async function readHourIndex(
    customerId: string,
    hour: number,
    minutes: readonly number[],
  ): Promise<HourIndexRead> {
    let result: HourIndexRead | undefined;
    for (let attempt = 1; attempt <= INDEX_READ_ATTEMPTS && !result?.consistent; attempt++) {
      const [whole, ...parts] = await Promise.all([
        queryAll(indexWholeQuery(tableName, customerId, hour), { read: 'index', customerId, hour }),
        ...minutes.map((minute) =>
          queryAll(indexMinuteQuery(tableName, customerId, hour, minute), {
            read: 'index',
            customerId,
            hour,
            minute,
          }),
        ),
      ]);
      result = decodeHourIndex(whole ?? [], new Map(minutes.map((minute, i) => [minute, parts[i] ?? []])));
      // A torn read shows a write still being applied: give it a moment before reading again.
      if (!result.consistent && attempt < INDEX_READ_ATTEMPTS) await pause(25 * attempt);
    }
    return result as HourIndexRead;
  }

  return {
    tableName,

    /** Hourly counters of one customer for the hours `firstHour` to `lastHour` inclusive, keyed by hour start. */
    async queryHourCounts(
      customerId: string,
      firstHour: number,
      lastHour: number,
    ): Promise<Map<number, number>> {
      const read: CounterRead = { read: 'counters', customerId, firstHour, lastHour };
      return readHourCounts(await queryAll(counterQuery(tableName, customerId, firstHour, lastHour), read));
    },

    readHourIndex,

    /**
     * Number of events of one customer in `[hour + fromOffset, hour + toOffset)`, from the hour's
     * time index: its `W` items and the parts of the minutes the two cuts fall in, nothing more.
     */
    async countEventsInHour(
      customerId: string,
      hour: number,
      fromOffset: number,
      toOffset: number,
    ): Promise<number> {
      const { index } = await readHourIndex(customerId, hour, minutesOfCuts(fromOffset, toOffset));
      return countInHourIndex(index, fromOffset, toOffset);
    },

    /**
     * The version and digest fragments of one (customer, hour), read consistently. With `onFragment`,
     * each fragment is handed over as its page arrives and not kept, so a hot hour's digests never
     * sit in memory all at once; the state then holds the version only.
     */
    async readHourState(
      customerId: string,
      hour: number,
      onFragment?: (fragment: DigestFragment) => void,
    ): Promise<HourState> {
      // Read again (with backoff) until the writes seen are complete: see isCompleteHistory.
      const read = async () => {
        const state: HourState = { version: 0, fragments: [] };
        const writes: number[] = [];
        await queryPages(hourStateQuery(tableName, customerId, hour), (items) => {
          const page = readHourState(items);
          writes.push(...page.writes);
          state.version = Math.max(state.version, page.version);
          if (onFragment === undefined) state.fragments.push(...page.fragments);
          else for (const fragment of page.fragments) onFragment(fragment);
        });
        if (!isCompleteHistory(writes)) throw new IncompleteReadError();
        return state;
      };
      const state = await withRetries(read, retryPolicy, (error) => error instanceof IncompleteReadError);
      return state;
    },

    /**
     * Commits one planned transaction. Conflicts with concurrent transactions, throttling and lost
     * responses are retried with backoff under one client request token, so an attempt that
     * committed unseen is not applied again. `stale`: an hour's version moved; re-read and re-plan.
     */
    async commit(transaction: PlannedTransaction): Promise<CommitOutcome> {
      const command = new TransactWriteCommand({
        ClientRequestToken: randomUUID(),
        TransactItems: transaction.items,
        ReturnConsumedCapacity: onWriteCapacity === undefined ? undefined : 'TOTAL',
      });
      try {
        const result = await withRetries(
          () => documentClient.send(command),
          retryPolicy,
          (error) => isRetryableError(error) || isRetryableCancellation(error),
        );
        const units = (result.ConsumedCapacity ?? []).map((used) => used.CapacityUnits ?? 0);
        onWriteCapacity?.(units.reduce((sum, used) => sum + used, 0));
        return 'committed';
      } catch (error) {
        if (classifyCancellation(cancellationCodes(error)) === 'stale') return 'stale';
        throw translateStoreError(error, tableName);
      }
    },

    /** Widens a customer's first and last event time to include `[first, last]`; repeating it changes nothing. */
    async widenCustomerSpan(customerId: string, first: number, last: number): Promise<void> {
      await Promise.all(
        widenSpanUpdates(tableName, customerId, first, last).map(async (input) => {
          try {
            await withRetries(() => documentClient.send(new UpdateCommand(input)), retryPolicy);
          } catch (error) {
            if (!isConditionFailure(error)) throw translateStoreError(error, tableName);
          }
        }),
      );
    },

    /** The directory entry of one customer, or undefined when none of its events was counted. */
    async getCustomer(customerId: string): Promise<CustomerSummary | undefined> {
      const get = new GetCommand({ TableName: tableName, Key: directoryKey(customerId) });
      const result = await send(() => documentClient.send(get));
      return result.Item === undefined ? undefined : toCustomerSummary(result.Item);
    },

    /**
     * Up to `limit` directory entries in customer id order, after the customer id `after`: one
     * Query per directory shard for its next `limit + 1` entries (never a Scan), merged by id.
     */
    async listCustomers({ limit, after }: { limit: number; after?: string }): Promise<CustomerPage> {
      const pages = await Promise.all(
        DIRECTORY_SHARD_NUMBERS.map(async (shard) => {
          const items: Record<string, unknown>[] = [];
          let startKey: Record<string, unknown> | undefined;
          do {
            const input = directoryShardQuery(tableName, shard, limit + 1 - items.length, after);
            const page = await send(() =>
              documentClient.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
            );
            items.push(...(page.Items ?? []));
            startKey = page.LastEvaluatedKey;
          } while (startKey !== undefined && items.length <= limit);
          return items;
        }),
      );
      return mergeCustomerPages(pages, limit);
    },

    ...tableAdmin({ client, documentClient, tableName, send }),
  };
}

/** Reads of an hour's time index before answering from one that saw part of a write. */
const INDEX_READ_ATTEMPTS = 3;

const pause = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

export type CounterStore = ReturnType<typeof createCounterStore>;
