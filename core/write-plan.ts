import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DIGEST_ENTRY_BYTES, MAX_DIGESTS_PER_ITEM } from './digests';
import {
  counterKey,
  digestFragmentKey,
  directoryKey,
  indexMinuteKey,
  indexWholeKey,
  MAX_WRITE_VERSION,
  PK,
} from './keys';
import { MINUTE_HISTOGRAM_BYTES, MINUTE_MS, packOffsets, SPLIT_THRESHOLD, splitByMinute } from './time-index';

/*
 * What a load writes, decided in pure code: hour writes in, transactions out. The DynamoDB I/O
 * module only sends them (core/counter-store.ts).
 */

/** DynamoDB allows at most 100 actions in one transaction. */
export const MAX_ACTIONS_PER_TRANSACTION = 100;
/** A transaction may carry at most 4 MB; stay well below it. */
export const MAX_TRANSACTION_BYTES = 3_500_000;
/**
 * Events one hour write carries at most: what one digest fragment holds, so that each write's
 * digests are one item. A Query is only read-committed towards transactions: it could return some
 * items of a committed write and not others, and a reader that saw half of a write's digests would
 * count the other half again. One item is seen whole or not at all. A larger batch is written as
 * several hour writes, one after the other.
 */
export const MAX_EVENTS_PER_HOUR_WRITE = MAX_DIGESTS_PER_ITEM;
/** Room for keys, attribute names and numbers of one item, on top of its binary payload. */
const ITEM_OVERHEAD_BYTES = 256;

/** New events of one (customer, hour), guarded by the number of writes the hour had when it was read. */
export interface HourWrite {
  customerId: string;
  /** Epoch milliseconds of the hour's start. */
  hour: number;
  /** The hour's version as read before this write (its number of writes): 0 when never written. */
  version: number;
  /** Millisecond offsets within the hour of the new events, sorted. */
  offsets: Uint32Array;
  /** The new events' digest entries (core/digests.ts), packed and sorted by digest. */
  digests: Uint8Array;
}

/** One transaction's items, in the form of the DynamoDB document client. */
export type TransactionItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** A transaction and the hour writes it applies: all of them, or none. */
export interface PlannedTransaction {
  writes: HourWrite[];
  items: TransactionItems;
}

const events = (write: HourWrite) => write.offsets.length;

/** Counter, digest fragment and the write's `W` time index item. */
const HOUR_WRITE_ITEMS = 3;

/** Whether a write's time index goes into minute parts (core/time-index.ts). */
const isSplit = (write: HourWrite) => events(write) > SPLIT_THRESHOLD;

/**
 * The actions of one hour write: its three items, plus one per minute with events when split.
 * Counted from the offsets (sorted) without building the parts.
 */
function hourWriteActions(write: HourWrite): number {
  if (!isSplit(write)) return HOUR_WRITE_ITEMS;
  let minutes = 0;
  let last = -1;
  for (const offset of write.offsets) {
    const minute = Math.floor(offset / MINUTE_MS);
    if (minute !== last) minutes++;
    last = minute;
  }
  return HOUR_WRITE_ITEMS + minutes;
}

/** Its bytes: offsets at 4 bytes an event whole, 2 split (plus a histogram), and each item's overhead. */
function hourWriteBytes(write: HourWrite, actions: number): number {
  const offsetBytes = isSplit(write) ? 2 * events(write) + MINUTE_HISTOGRAM_BYTES : 4 * events(write);
  return offsetBytes + write.digests.byteLength + actions * ITEM_OVERHEAD_BYTES;
}

/** The time index items of one write, named by its version `next` (core/time-index.ts has the layout). */
function indexItems(tableName: string, write: HourWrite, next: number): TransactionItems {
  const { customerId, hour, offsets } = write;
  if (!isSplit(write)) {
    const item = {
      ...indexWholeKey(customerId, hour, next),
      events: offsets.length,
      offsets: packOffsets(offsets),
    };
    return [{ Put: { TableName: tableName, Item: item } }];
  }
  const { histogram, parts } = splitByMinute(offsets);
  return [
    {
      Put: {
        TableName: tableName,
        Item: { ...indexWholeKey(customerId, hour, next), events: offsets.length, minutes: histogram },
      },
    },
    ...parts.map(({ minute, offsets: packed }) => ({
      Put: {
        TableName: tableName,
        Item: { ...indexMinuteKey(customerId, hour, minute, next), offsets: packed },
      },
    })),
  ];
}

/**
 * The items of one hour write: the counter adds the new events, and the time index and digests of
 * the new events go into items named by the write's version, `version + 1`. The first digest
 * fragment is put on condition that it does not exist: two writers that read the same version race
 * for one key, and only one of them commits. So no fragment is ever overwritten and no event is
 * added twice. The counter and every time index item of the write commit together, so a write
 * always adds at least one event to the counter with its index: readers rely on that (the edge cache).
 */
function hourWriteItems(tableName: string, write: HourWrite): TransactionItems {
  const { customerId, hour, version, offsets, digests } = write;
  const next = version + 1;
  if (next > MAX_WRITE_VERSION) {
    throw new RangeError(`hour ${new Date(hour).toISOString()} of ${customerId} has had ${version} writes`);
  }
  return [
    {
      Update: {
        TableName: tableName,
        Key: counterKey(customerId, hour),
        UpdateExpression: 'ADD #count :events SET #hour = :hour',
        ExpressionAttributeNames: { '#count': 'count', '#hour': 'hour' },
        ExpressionAttributeValues: { ':events': offsets.length, ':hour': new Date(hour).toISOString() },
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: { ...digestFragmentKey(customerId, hour, next, 0), events: offsets.length, digests },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    },
    ...indexItems(tableName, write, next),
  ];
}

/** What a transaction adds to one customer's directory entry. */
interface DirectoryAddition {
  events: number;
  /** Epoch milliseconds of the first and last event the transaction counts. */
  first: number;
  last: number;
}

/**
 * The directory update of one customer in a transaction: its new events, added once. An entry the
 * transaction creates gets its first and last event time from these events; later writes widen
 * them with conditional updates (`widenSpanUpdates`), so the span never lacks or exceeds what is counted.
 */
function directoryItem(
  tableName: string,
  customerId: string,
  added: DirectoryAddition,
): TransactionItems[number] {
  return {
    Update: {
      TableName: tableName,
      Key: directoryKey(customerId),
      UpdateExpression:
        'ADD #total :events SET #first = if_not_exists(#first, :first), #last = if_not_exists(#last, :last)',
      ExpressionAttributeNames: { '#total': 'total', '#first': 'firstEventAt', '#last': 'lastEventAt' },
      ExpressionAttributeValues: { ':events': added.events, ':first': added.first, ':last': added.last },
    },
  };
}

/**
 * Packs hour writes into transactions within DynamoDB's limits (100 actions, 4 MB, never two
 * actions on one item): each write's items, plus one directory update per customer of the
 * transaction carrying the events it adds. Writes are taken in customer and hour order, so a
 * customer's hours share few transactions and few directory updates.
 *
 * @throws RangeError when a write holds more than MAX_EVENTS_PER_HOUR_WRITE events.
 */
export function planTransactions(tableName: string, writes: readonly HourWrite[]): PlannedTransaction[] {
  const sorted = [...writes].sort((a, b) =>
    a.customerId === b.customerId ? a.hour - b.hour : a.customerId < b.customerId ? -1 : 1,
  );
  const planned: PlannedTransaction[] = [];
  let current: HourWrite[] = [];
  let actions = 0;
  let bytes = 0;
  const customers = new Set<string>();
  const hours = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    const added = new Map<string, DirectoryAddition>();
    for (const write of current) {
      const first = write.hour + (write.offsets[0] as number);
      const last = write.hour + (write.offsets[write.offsets.length - 1] as number);
      const sum = added.get(write.customerId);
      if (sum === undefined) added.set(write.customerId, { events: events(write), first, last });
      else {
        sum.events += events(write);
        sum.first = Math.min(sum.first, first);
        sum.last = Math.max(sum.last, last);
      }
    }
    planned.push({
      writes: current,
      items: [
        ...current.flatMap((write) => hourWriteItems(tableName, write)),
        ...[...added].map(([customerId, addition]) => directoryItem(tableName, customerId, addition)),
      ],
    });
    current = [];
    actions = 0;
    bytes = 0;
    customers.clear();
  };
  for (const write of sorted) {
    if (events(write) === 0) continue;
    if (
      events(write) > MAX_EVENTS_PER_HOUR_WRITE ||
      write.digests.byteLength !== events(write) * DIGEST_ENTRY_BYTES
    ) {
      throw new RangeError(
        `an hour write holds 1 to ${MAX_EVENTS_PER_HOUR_WRITE} events with one digest entry each; ` +
          `received ${events(write)} offsets and ${write.digests.byteLength} digest bytes`,
      );
    }
    const hourKey = `${write.customerId}\u0000${write.hour}`;
    if (hours.has(hourKey)) {
      // Both would update the hour's counter and put its next digest fragment: one transaction may not
      // touch an item twice, and two transactions from the same version would refuse each other.
      throw new RangeError(
        `two writes to hour ${new Date(write.hour).toISOString()} of ${write.customerId} in one plan`,
      );
    }
    hours.add(hourKey);
    const writeActions = hourWriteActions(write);
    const writeBytes = hourWriteBytes(write, writeActions);
    if (
      actions + writeActions + (customers.has(write.customerId) ? 0 : 1) > MAX_ACTIONS_PER_TRANSACTION ||
      bytes + writeBytes > MAX_TRANSACTION_BYTES
    ) {
      close();
    }
    // After a close the customer needs its directory update again.
    actions += writeActions + (customers.has(write.customerId) ? 0 : 1);
    bytes += writeBytes;
    customers.add(write.customerId);
    current.push(write);
  }
  close();
  return planned;
}

/** The customers a transaction updates in the directory. */
export function customersOf(transaction: PlannedTransaction): string[] {
  return [...new Set(transaction.writes.map((write) => write.customerId))];
}
