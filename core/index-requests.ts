import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { customerPk, indexMinuteRange, indexWholeRange, SK } from './keys';
import {
  between,
  corruptItem,
  describeStored,
  type Item,
  isCompleteHistory,
  isCount,
} from './store-requests';
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
 * The time index reads of a partial edge hour, as pure functions: the Queries for an hour's `W`
 * items and for one minute's parts, and the decoding of what they return into an `HourIndex`
 * (core/time-index.ts). The I/O module (core/counter-store.ts) only sends them.
 */

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
