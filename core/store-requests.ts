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
  indexMinuteRange,
  indexWholeRange,
  PK,
  SK,
} from './keys';
import { HOUR_MS } from './time';
import {
  type HourIndex,
  MINUTE_HISTOGRAM_BYTES,
  MINUTE_MS,
  MINUTES_PER_HOUR,
  unpackOffsets,
  unpackUint16,
} from './time-index';

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

type Item = Record<string, unknown>;

function between(tableName: string, pk: string, first: string, last: string): QueryCommandInput {
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
function describeStored(value: unknown): string {
  if (value === undefined) return 'none';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

function corruptItem(item: Item, problem: string): CorruptItemError {
  return new CorruptItemError(
    { pk: item[PK], sk: item[SK] },
    `stored item ${String(item[PK])} ${String(item[SK])} ${problem}`,
  );
}

const isCount = (value: unknown): value is number =>
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

/** The `W` items of one hour's writes: each write's offsets, or its minute histogram when split. */
export function indexWholeQuery(tableName: string, customerId: string, hour: number): QueryCommandInput {
  const { first, last } = indexWholeRange(hour);
  const input = between(tableName, customerPk(customerId), first, last);
  return {
    ...input,
    ProjectionExpression: '#sk, #events, #offsets, #minutes',
    ExpressionAttributeNames: {
      ...input.ExpressionAttributeNames,
      '#events': 'events',
      '#offsets': 'offsets',
      '#minutes': 'minutes',
    },
  };
}

/** The parts of one minute of an hour, one per split write with events in that minute. */
export function indexMinuteQuery(
  tableName: string,
  customerId: string,
  hour: number,
  minute: number,
): QueryCommandInput {
  const { first, last } = indexMinuteRange(hour, minute);
  const input = between(tableName, customerPk(customerId), first, last);
  return {
    ...input,
    ProjectionExpression: '#sk, #offsets',
    ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#offsets': 'offsets' },
  };
}

const WHOLE_SK = /^I#\d{4}-\d{2}-\d{2}T\d{2}#W#(\d{6})$/;
const MINUTE_SK = /^I#\d{4}-\d{2}-\d{2}T\d{2}#M(\d{2})#(\d{6})$/;

/** What one read of an hour's time index saw, and whether it may stand for a state of the hour. */
export interface HourIndexRead {
  index: HourIndex;
  /**
   * False when the read saw part of a write only (a write's `W` item without the minute part its
   * histogram promises) or missed a write between two it saw: Queries are read-committed towards
   * transactions, not atomic, and eventually consistent. Such a read is counted from what it saw
   * (the parts it lacks count 0) and is never cached.
   */
  consistent: boolean;
}

function sortedConcat<T extends Uint32Array | Uint16Array>(lists: T[], create: (length: number) => T): T {
  const all = create(lists.reduce((sum, list) => sum + list.length, 0));
  let at = 0;
  for (const list of lists) {
    all.set(list, at);
    at += list.length;
  }
  // One list is sorted already; several are merged by a numeric typed-array sort.
  if (lists.length > 1) all.sort();
  return all;
}

/**
 * Decodes one read of an hour's time index: its `W` items (`indexWholeQuery`) and the parts of the
 * minutes read (`indexMinuteQuery`), keyed by minute. Parts of writes newer than every `W` item seen
 * are left out: the read saw them, but not their writes.
 *
 * @throws CorruptItemError for an item of another layout, offsets that are not binary or out of
 *   range, a histogram that does not add up to the write's events, or a part of another length than
 *   its write's histogram says.
 */
export function decodeHourIndex(
  wholeItems: readonly Item[],
  minuteItems: ReadonlyMap<number, readonly Item[]>,
): HourIndexRead {
  const writes: number[] = [];
  const whole: Uint32Array[] = [];
  const histograms = new Map<number, Uint16Array>();
  let events = 0;
  for (const item of wholeItems) {
    const write = WHOLE_SK.exec(String(item[SK]))?.[1];
    const count = item.events;
    if (write === undefined || !isCount(count) || count === 0) {
      throw corruptItem(item, 'is not a time index item (I#<hour>#W#<write> with a number of events >= 1)');
    }
    if (item.offsets instanceof Uint8Array && item.offsets.byteLength === count * 4) {
      const offsets = unpackOffsets(item.offsets);
      if (offsets.some((offset) => offset >= HOUR_MS)) throw corruptItem(item, 'has an offset past the hour');
      whole.push(offsets);
    } else if (item.minutes instanceof Uint8Array && item.minutes.byteLength === MINUTE_HISTOGRAM_BYTES) {
      const histogram = unpackUint16(item.minutes);
      if (histogram.reduce((sum, n) => sum + n, 0) !== count) {
        throw corruptItem(item, `has a minute histogram that does not add up to its ${count} events`);
      }
      histograms.set(Number(write), histogram);
    } else {
      throw corruptItem(
        item,
        `has offsets ${describeStored(item.offsets)} and minutes ${describeStored(item.minutes)}; expected ` +
          `${count * 4} bytes of offsets or a ${MINUTE_HISTOGRAM_BYTES}-byte minute histogram`,
      );
    }
    writes.push(Number(write));
    events += count;
  }
  let consistent = isCompleteHistory(writes);
  // Not Math.max(...writes): an hour may have up to 999,999 writes, too many for call arguments.
  const newest = writes.reduce((max, write) => Math.max(max, write), 0);
  const splitBefore = new Uint32Array(MINUTES_PER_HOUR + 1);
  for (const histogram of histograms.values()) {
    for (let minute = 0; minute < MINUTES_PER_HOUR; minute++) {
      splitBefore[minute + 1] = (splitBefore[minute + 1] as number) + (histogram[minute] as number);
    }
  }
  for (let minute = 0; minute < MINUTES_PER_HOUR; minute++) {
    splitBefore[minute + 1] = (splitBefore[minute + 1] as number) + (splitBefore[minute] as number);
  }
  const minutes = new Map<number, Uint16Array>();
  for (const [minute, items] of minuteItems) {
    const parts: Uint16Array[] = [];
    const seen = new Set<number>();
    for (const item of items) {
      const match = MINUTE_SK.exec(String(item[SK]));
      const offsets = item.offsets;
      if (match === null || Number(match[1]) !== minute || !(offsets instanceof Uint8Array)) {
        throw corruptItem(
          item,
          `is not a part of minute ${minute} (I#<hour>#M<mm>#<write> with binary offsets)`,
        );
      }
      const write = Number(match[2]);
      const histogram = histograms.get(write);
      if (histogram === undefined) {
        // A part of a write this read did not see whole: newer than its W items, or torn.
        if (write <= newest) consistent = false;
        continue;
      }
      if (offsets.byteLength !== (histogram[minute] as number) * 2) {
        throw corruptItem(
          item,
          `holds ${offsets.byteLength} bytes; its write has ${histogram[minute]} events in it`,
        );
      }
      const values = unpackUint16(offsets);
      if (values.some((offset) => offset >= MINUTE_MS))
        throw corruptItem(item, 'has an offset past the minute');
      parts.push(values);
      seen.add(write);
    }
    for (const [write, histogram] of histograms) {
      if ((histogram[minute] as number) > 0 && !seen.has(write)) consistent = false;
    }
    minutes.set(
      minute,
      sortedConcat(parts, (length) => new Uint16Array(length)),
    );
  }
  return {
    index: {
      writes: writes.length,
      events,
      whole: sortedConcat(whole, (length) => new Uint32Array(length)),
      splitBefore,
      minutes,
    },
    consistent,
  };
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
