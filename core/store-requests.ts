import type { QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DIGEST_ENTRY_BYTES, DigestFragment } from './digests';
import { CorruptItemError } from './errors';
import {
  counterKey,
  customerPk,
  DIRECTORY_SHARDS,
  directoryKey,
  directoryPk,
  hourOfCounterSk,
  hourRange,
  PK,
  SK,
} from './keys';
import { HOUR_MS } from './time';

/*
 * The requests the store sends and the reading of what comes back, as pure functions: which keys,
 * which expressions, which aliases for the reserved words `count` and `hour`. The I/O module
 * (core/counter-store.ts) only sends them.
 */

/** A customer's entry in the directory. */
export interface CustomerSummary {
  customerId: string;
  /** Epoch milliseconds of the customer's first and last counted event. */
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

/**
 * Which read of a range query a Query serves: the range's counters, or one hour's time index (its
 * `W` items, or with `minute` the parts of that minute).
 */
export type CounterRead =
  | { read: 'counters'; customerId: string; firstHour: number; lastHour: number }
  | { read: 'index'; customerId: string; hour: number; minute?: number };

/** What one page of a read returned and cost, as DynamoDB reports it (`ReturnConsumedCapacity`). */
export type ConsumedReadCapacity = CounterRead & { items: number; capacityUnits: number };

/** The outcome of a transaction: applied, or refused because another writer changed an hour first. */
export type CommitOutcome = 'committed' | 'stale';

/** What a load needs to know of one (customer, hour) before writing to it. */
export interface HourState {
  /** The number of writes the hour has had; 0 when nothing was ever written to it. */
  version: number;
  /** The digests of every event counted in the hour. */
  fragments: DigestFragment[];
}

export type Item = Record<string, unknown>;

export function between(tableName: string, pk: string, first: string, last: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
    ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
    ExpressionAttributeValues: { ':pk': pk, ':first': first, ':last': last },
  };
}

/** The counters of the hours `firstHour` to `lastHour` inclusive: one key range, counters only. */
export function counterQuery(tableName: string, customerId: string, firstHour: number, lastHour: number) {
  const first = counterKey(customerId, firstHour);
  const input = between(tableName, first[PK], first[SK], counterKey(customerId, lastHour)[SK]);
  return {
    ...input,
    ProjectionExpression: '#sk, #count',
    ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#count': 'count' },
  };
}

/** A stored value for a log message: its type and at most a short prefix of it. */
export function describeStored(value: unknown): string {
  if (value === undefined) return 'none';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

export function corruptItem(item: Item, problem: string): CorruptItemError {
  return new CorruptItemError(
    { pk: item[PK], sk: item[SK] },
    `stored item ${String(item[PK])} ${String(item[SK])} ${problem}`,
  );
}

export const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Counts by hour start from the items of a counter query.
 *
 * @throws CorruptItemError when an item is not a counter with a whole-number count: an answer
 *   from it would be wrong (a missing count used to become a `null` total).
 */
export function readHourCounts(items: readonly Item[]): Map<number, number> {
  const counts = new Map<number, number>();
  // Counters come in key order, a day's hours one after another: each day's date is parsed once
  // (a year is 8,784 keys), and the hour added to it.
  let day = '';
  let dayStartMs = Number.NaN;
  // Read once: run from TypeScript without bundling, an imported constant is a getter call.
  const skName = SK;
  const hourMs = HOUR_MS;
  for (const item of items) {
    const sk = item[skName];
    let hour = Number.NaN;
    if (typeof sk === 'string' && sk.startsWith('H#')) {
      const hourOfDay = counterSkHourOfDay(sk);
      if (hourOfDay === undefined) {
        hour = hourOfCounterSk(sk);
      } else {
        if (day === '' || !sk.startsWith(day)) {
          day = sk.slice(0, 13);
          dayStartMs = hourOfCounterSk(`${day}00`);
        }
        hour = dayStartMs + hourOfDay * hourMs;
      }
    }
    if (!Number.isFinite(hour))
      throw corruptItem(item, 'is not an hourly counter (sort key H#yyyy-mm-ddThh)');
    if (!isCount(item.count)) {
      throw corruptItem(item, `has count ${describeStored(item.count)}; a counter holds a whole number >= 0`);
    }
    counts.set(hour, item.count);
  }
  return counts;
}

/**
 * The hour of day 0-23 of a `H#yyyy-mm-ddThh` key, or undefined when the key does not end in `T`
 * and two such digits (hourOfCounterSk then decides on the whole key, as it always did).
 */
function counterSkHourOfDay(sk: string): number | undefined {
  if (sk.length !== 15 || sk.charCodeAt(12) !== 84 /* T */) return undefined;
  const tens = sk.charCodeAt(13) - 48;
  const ones = sk.charCodeAt(14) - 48;
  const hour = tens * 10 + ones;
  return tens >= 0 && tens <= 2 && ones >= 0 && ones <= 9 && hour <= 23 ? hour : undefined;
}

/** The digest fragments of one hour, read consistently (a load decides on them). */
export function hourStateQuery(tableName: string, customerId: string, hour: number): QueryCommandInput {
  const { first, last } = hourRange('X', hour);
  return {
    ...between(tableName, customerPk(customerId), first, last),
    ProjectionExpression: '#sk, digests',
    ConsistentRead: true,
  };
}

const DIGEST_FRAGMENT_SK = /^X#\d{4}-\d{2}-\d{2}T\d{2}#(\d{6})#0000$/;

/**
 * The state of one hour from (a page of) the items of its hour state query: its digests, its
 * version (the number of its last write) and the numbers of the writes seen, one digest fragment
 * each (`X#<hour>#<write>#0000`).
 *
 * @throws CorruptItemError for an item that is not a digest fragment of this layout.
 */
export function readHourState(items: readonly Item[]): HourState & { writes: number[] } {
  const state: HourState & { writes: number[] } = { version: 0, fragments: [], writes: [] };
  for (const item of items) {
    const write = DIGEST_FRAGMENT_SK.exec(String(item[SK]))?.[1];
    const digests = item.digests;
    if (
      write === undefined ||
      !(digests instanceof Uint8Array) ||
      digests.byteLength % DIGEST_ENTRY_BYTES !== 0
    ) {
      throw corruptItem(
        item,
        `is not a digest fragment (X#<hour>#<write>#0000 with ${DIGEST_ENTRY_BYTES}-byte entries)`,
      );
    }
    state.writes.push(Number(write));
    state.version = Math.max(state.version, Number(write));
    state.fragments.push(new DigestFragment(digests));
  }
  return state;
}

/**
 * True when `writes` are exactly 1 to their highest, once each. A Query is only read-committed
 * towards transactions, so it could in principle miss a committed write while seeing a later one;
 * a reader that missed write 2 would count its events again.
 */
export function isCompleteHistory(writes: readonly number[]): boolean {
  const seen = new Set(writes);
  return seen.size === writes.length && writes.every((write) => write >= 1 && write <= writes.length);
}

/**
 * The two updates that widen a customer's first and last event time to include `[first, last]`:
 * each only moves its bound outward, so repeating it changes nothing (a failed condition is the
 * normal "already wider").
 */
export function widenSpanUpdates(
  tableName: string,
  customerId: string,
  first: number,
  last: number,
): UpdateCommandInput[] {
  return [
    { name: 'firstEventAt', time: first, condition: '#at > :time' },
    { name: 'lastEventAt', time: last, condition: '#at < :time' },
  ].map(({ name, time, condition }) => ({
    TableName: tableName,
    Key: directoryKey(customerId),
    UpdateExpression: 'SET #at = :time',
    ConditionExpression: `attribute_not_exists(#at) OR ${condition}`,
    ExpressionAttributeNames: { '#at': name },
    ExpressionAttributeValues: { ':time': time },
  }));
}

/** The next entries of one directory shard after the customer id `after`. */
export function directoryShardQuery(
  tableName: string,
  shard: number,
  limit: number,
  after?: string,
): QueryCommandInput {
  return after === undefined
    ? {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': directoryPk(shard) },
        Limit: limit,
      }
    : {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND #sk > :after',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': directoryPk(shard), ':after': after },
        Limit: limit,
      };
}

/** The shard numbers of the directory. */
export const DIRECTORY_SHARD_NUMBERS = Array.from({ length: DIRECTORY_SHARDS }, (_, shard) => shard);

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * A directory item as a summary.
 *
 * @throws CorruptItemError when its span is not two epoch-millisecond numbers or its total is not a
 *   whole number (either would have become `null` in an answer).
 */
export function toCustomerSummary(item: Item): CustomerSummary {
  for (const name of ['firstEventAt', 'lastEventAt']) {
    if (!isTime(item[name])) {
      throw corruptItem(item, `has ${name} ${describeStored(item[name])}; expected epoch milliseconds`);
    }
  }
  // The span is widened before the events are added: in between, the entry has no total yet.
  const total = item.total ?? 0;
  if (!isCount(total)) throw corruptItem(item, `has total ${describeStored(total)}; expected a whole number`);
  return {
    customerId: String(item[SK]),
    firstEventAt: item.firstEventAt as number,
    lastEventAt: item.lastEventAt as number,
    totalEvents: total,
  };
}

/** The first `limit` entries of the shards' pages in customer id order, and whether more follow. */
export function mergeCustomerPages(pages: readonly Item[][], limit: number): CustomerPage {
  const merged = pages
    .flat()
    .map(toCustomerSummary)
    .sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  const customers = merged.slice(0, limit);
  return merged.length > limit ? { customers, lastCustomerId: customers.at(-1)?.customerId } : { customers };
}
