import { createHash } from 'node:crypto';
import { DIGEST_ENTRY_BYTES } from '../../core/digests';
import {
  counterKey,
  digestFragmentKey,
  directoryKey,
  indexMinuteKey,
  indexWholeKey,
  MAX_WRITE_VERSION,
} from '../../core/keys';
import { SPLIT_THRESHOLD } from '../../core/time-index';
import {
  customersOf,
  type HourWrite,
  MAX_ACTIONS_PER_TRANSACTION,
  MAX_EVENTS_PER_HOUR_WRITE,
  MAX_TRANSACTION_BYTES,
  type PlannedTransaction,
  planTransactions,
  type TransactionItems,
} from '../../core/write-plan';

const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const TABLE_NAME = 'event-counts-unit';
/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's transaction size limit. */
const DYNAMODB_TRANSACTION_BYTES = 4 * 1024 * 1024;

type Action = TransactionItems[number];
type Item = Record<string, unknown>;

let nextWriteId = 1;

/**
 * An hour write of `events` events: sorted offsets spread over the hour, and digest entries whose
 * high word names the write and low word the event, so that every entry is unique and sorted.
 */
function hourWrite(customerId: string, hourIndex: number, events: number, version = 0): HourWrite {
  const writeId = nextWriteId++;
  const offsets = Uint32Array.from({ length: events }, (_, i) => Math.floor((i * HOUR) / events));
  const digests = new Uint8Array(events * DIGEST_ENTRY_BYTES);
  const view = new DataView(digests.buffer);
  for (let i = 0; i < events; i++) {
    view.setUint32(i * DIGEST_ENTRY_BYTES, writeId);
    view.setUint32(i * DIGEST_ENTRY_BYTES + 4, i);
    view.setUint32(i * DIGEST_ENTRY_BYTES + 8, (writeId * 31 + i) >>> 0);
  }
  return { customerId, hour: FIRST_HOUR + hourIndex * HOUR, version, offsets, digests };
}

/** The key an action writes, equal for actions on one item. */
function itemKeyOf(action: Action): string {
  const { TableName, key } =
    action.Put !== undefined
      ? { TableName: action.Put.TableName, key: action.Put.Item as Item }
      : action.Update !== undefined
        ? { TableName: action.Update.TableName, key: action.Update.Key as Item }
        : { TableName: undefined, key: {} };
  return `${String(TableName)} ${String(key.pk)} ${String(key.sk)}`;
}

const binaryValues = (item: Item) =>
  Object.values(item).filter((value): value is Uint8Array => value instanceof Uint8Array);

/** The binary payload of a transaction: its packed offsets and digests. */
const binaryBytes = (items: TransactionItems) =>
  items.reduce(
    (sum, action) =>
      sum + binaryValues((action.Put?.Item ?? {}) as Item).reduce((s, bytes) => s + bytes.byteLength, 0),
    0,
  );

/** An item's size as DynamoDB counts it: names plus values (numbers at their 21-byte maximum). */
function itemBytes(item: Item): number {
  return Object.entries(item).reduce((sum, [name, value]) => {
    const size =
      value instanceof Uint8Array
        ? value.byteLength
        : typeof value === 'string'
          ? Buffer.byteLength(value)
          : typeof value === 'number'
            ? 21
            : Number.NaN;
    return sum + Buffer.byteLength(name) + size;
  }, 0);
}

const puts = (items: TransactionItems) => items.flatMap((action) => (action.Put ? [action.Put] : []));
const updates = (items: TransactionItems) =>
  items.flatMap((action) => (action.Update ? [action.Update] : []));

/** The digest fragments of one write in `items`, in part order. */
function digestFragmentsOf(items: TransactionItems, write: HourWrite): Item[] {
  const first = digestFragmentKey(write.customerId, write.hour, write.version + 1, 0);
  const stem = first.sk.slice(0, -4);
  return puts(items)
    .map((put) => put.Item as Item)
    .filter((item) => item.pk === first.pk && String(item.sk).startsWith(stem))
    .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
}

/** The time index items of one write in `items` (`I#<hour>#…#<write>`), in key order: minute parts, then W. */
function indexItemsOf(items: TransactionItems, write: HourWrite): Item[] {
  const whole = indexWholeKey(write.customerId, write.hour, write.version + 1);
  const hourPrefix = whole.sk.slice(0, 'I#2021-03-01T04#'.length);
  const writeSuffix = whole.sk.slice(-'#000001'.length);
  return puts(items)
    .map((put) => put.Item as Item)
    .filter(
      (item) =>
        item.pk === whole.pk &&
        String(item.sk).startsWith(hourPrefix) &&
        String(item.sk).endsWith(writeSuffix),
    )
    .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The hour offsets a write's time index items hold, decoded as docs/data-model.md describes them:
 * the W item's uint32 offsets, or the minute parts' uint16 offsets within their minute.
 */
function offsetsFromIndex(index: Item[]): number[] {
  const whole = index.find((item) => String(item.sk).includes('#W#'));
  if (whole?.offsets instanceof Uint8Array) {
    const bytes = whole.offsets;
    return Array.from({ length: bytes.byteLength / 4 }, (_, i) => view(bytes).getUint32(i * 4, true));
  }
  return index
    .filter((item) => !String(item.sk).includes('#W#'))
    .flatMap((part) => {
      const minute = Number(
        String(part.sk).slice('I#2021-03-01T04#M'.length, 'I#2021-03-01T04#M'.length + 2),
      );
      const bytes = part.offsets as Uint8Array;
      return Array.from(
        { length: bytes.byteLength / 2 },
        (_, i) => minute * 60_000 + view(bytes).getUint16(i * 2, true),
      );
    });
}

/** The 60 counts of a split write's W item. */
function histogramOf(whole: Item): number[] {
  const bytes = whole.minutes as Uint8Array;
  return Array.from({ length: bytes.byteLength / 2 }, (_, i) => view(bytes).getUint16(i * 2, true));
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((part) => Buffer.from(part)));

/** True when two byte arrays hold the same bytes (no deep equality: a failing diff of megabytes never ends). */
const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A plan as comparable text: every action's key and expressions, binary attributes by length and hash. */
function describePlan(plan: readonly PlannedTransaction[]): string[][] {
  return plan.map(({ items }) =>
    items.map((action) =>
      JSON.stringify(action, (_key, value: unknown) =>
        value instanceof Uint8Array
          ? `${value.byteLength} bytes ${createHash('sha1').update(value).digest('hex')}`
          : value,
      ),
    ),
  );
}

function sameKey(a: Item, b: Item): boolean {
  return a.pk === b.pk && a.sk === b.sk;
}

/** Busy, light and heavy customers: the action, byte and fragment limits all come into play. */
function busyWrites(): HourWrite[] {
  return [
    ...Array.from({ length: 150 }, (_, h) => hourWrite('alpha', h, 3, h % 3)),
    ...Array.from({ length: 80 }, (_, h) => hourWrite('bravo', h, 40, h % 2 === 0 ? 0 : 17)),
    hourWrite('charlie', 0, 1),
    hourWrite('hot', 0, MAX_EVENTS_PER_HOUR_WRITE, 4),
    hourWrite('hot', 1, MAX_EVENTS_PER_HOUR_WRITE - 1),
    ...Array.from({ length: 40 }, (_, h) => hourWrite('heavy', h, SPLIT_THRESHOLD)),
    ...Array.from({ length: 3 }, (_, h) => hourWrite('split', h, SPLIT_THRESHOLD + 1 + h * 5_000, h)),
  ];
}

describe('planTransactions', () => {
  const writes = busyWrites();
  const plan = planTransactions(TABLE_NAME, writes);
  const transactionOf = new Map<HourWrite, PlannedTransaction>();
  for (const transaction of plan)
    for (const write of transaction.writes) transactionOf.set(write, transaction);

  it('plans several transactions for this load, with every write in exactly one', () => {
    const planned = plan.flatMap((transaction) => transaction.writes);

    expect(plan.length).toBeGreaterThan(5);
    expect(planned).toHaveLength(writes.length);
    expect(writes.every((write) => planned.includes(write))).toBe(true);
  });

  it('never plans more than 100 actions in a transaction, and fills them up to it', () => {
    expect(MAX_ACTIONS_PER_TRANSACTION).toBe(100);
    for (const { items } of plan) expect(items.length).toBeLessThanOrEqual(MAX_ACTIONS_PER_TRANSACTION);
    // alpha's 150 small hours (4 items each) cannot fit one transaction: the action limit binds.
    expect(Math.max(...plan.map(({ items }) => items.length))).toBeGreaterThan(90);
  });

  it('keeps the binary payload of a transaction within MAX_TRANSACTION_BYTES, under 4 MB', () => {
    expect(MAX_TRANSACTION_BYTES).toBeLessThan(DYNAMODB_TRANSACTION_BYTES);
    for (const { items } of plan) expect(binaryBytes(items)).toBeLessThanOrEqual(MAX_TRANSACTION_BYTES);
    // 33 whole writes of SPLIT_THRESHOLD events (100 actions, 131 KB each) cannot fit one
    // transaction: the byte limit binds.
    const heavy = plan.filter((transaction) => customersOf(transaction).includes('heavy'));
    expect(heavy.length).toBeGreaterThan(1);
    expect(Math.max(...heavy.map(({ items }) => binaryBytes(items)))).toBeGreaterThan(2_000_000);
  });

  it('never writes one item twice in a transaction (full keys compared)', () => {
    for (const { items } of plan) {
      const keys = items.map(itemKeyOf);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('writes to the table it is given, and only Puts and Updates', () => {
    for (const { items } of plan) {
      for (const action of items) {
        expect(Object.keys(action)).toHaveLength(1);
        expect(action.Put?.TableName ?? action.Update?.TableName).toBe(TABLE_NAME);
      }
    }
  });

  it('keeps every item under the 400 KB item limit', () => {
    for (const { items } of plan) {
      for (const put of puts(items)) expect(itemBytes(put.Item as Item)).toBeLessThan(MAX_ITEM_BYTES);
    }
  });

  it("writes each event's offset and digest entry exactly once, in its write's transaction", () => {
    for (const write of writes) {
      const { items } = transactionOf.get(write) as PlannedTransaction;
      const index = indexItemsOf(items, write);
      const digests = digestFragmentsOf(items, write);

      expect(offsetsFromIndex(index)).toEqual([...write.offsets]);
      expect(sameBytes(concat(digests.map((item) => item.digests as Uint8Array)), write.digests)).toBe(true);
      expect(digests.map((item) => item.events)).toEqual(
        digests.map((item) => (item.digests as Uint8Array).byteLength / DIGEST_ENTRY_BYTES),
      );
    }
  });

  it('writes no time index item or fragment of a write into another transaction', () => {
    for (const write of writes) {
      const own = transactionOf.get(write);
      for (const other of plan.filter((transaction) => transaction !== own)) {
        expect(indexItemsOf(other.items, write).length + digestFragmentsOf(other.items, write).length).toBe(
          0,
        );
      }
    }
  });

  it('writes one W item with all the events of a write, and its offsets in it up to SPLIT_THRESHOLD events', () => {
    for (const write of writes.filter((w) => w.offsets.length <= SPLIT_THRESHOLD)) {
      const { items } = transactionOf.get(write) as PlannedTransaction;

      const index = indexItemsOf(items, write);
      const digests = digestFragmentsOf(items, write);
      expect([index.length, digests.length]).toEqual([1, 1]);
      expect(index[0]?.minutes).toBeUndefined();
      expect([index[0]?.events, digests[0]?.events]).toEqual([write.offsets.length, write.offsets.length]);
    }
  });

  it('splits a larger write: its W item holds the minute histogram, one part per minute with events', () => {
    const split = writes.filter((w) => w.offsets.length > SPLIT_THRESHOLD);
    expect(split.length).toBeGreaterThanOrEqual(4);
    for (const write of split) {
      const { items } = transactionOf.get(write) as PlannedTransaction;
      const index = indexItemsOf(items, write);
      const whole = index.at(-1) as Item;

      const histogram = histogramOf(whole);
      expect(whole.offsets).toBeUndefined();
      expect(whole.events).toBe(write.offsets.length);
      expect(histogram).toEqual(
        Array.from(
          { length: 60 },
          (_, m) => write.offsets.filter((o) => Math.floor(o / 60_000) === m).length,
        ),
      );
      expect(index.length - 1).toBe(histogram.filter((count) => count > 0).length);
      for (const part of index.slice(0, -1)) {
        const minute = Number(String(part.sk).slice(-9, -7));
        expect((part.offsets as Uint8Array).byteLength).toBe(2 * (histogram[minute] ?? 0));
        expect(Object.keys(part).sort()).toEqual(['offsets', 'pk', 'sk']);
      }
    }
  });

  it('keys the items by the new version: W#<write>, M<mm>#<write> and digest parts numbered from 0', () => {
    for (const write of writes) {
      const { items } = transactionOf.get(write) as PlannedTransaction;
      const next = write.version + 1;
      const index = indexItemsOf(items, write);

      expect(sameKey(index.at(-1) as Item, indexWholeKey(write.customerId, write.hour, next))).toBe(true);
      for (const part of index.slice(0, -1)) {
        const minute = Number(String(part.sk).slice(-9, -7));
        expect(sameKey(part, indexMinuteKey(write.customerId, write.hour, minute, next))).toBe(true);
      }
      digestFragmentsOf(items, write).forEach((item, part) => {
        expect(sameKey(item, digestFragmentKey(write.customerId, write.hour, next, part))).toBe(true);
      });
    }
  });

  it('never puts two split writes in one transaction: 63 actions each with 60 minutes', () => {
    const two = [hourWrite('a', 0, MAX_EVENTS_PER_HOUR_WRITE), hourWrite('a', 1, MAX_EVENTS_PER_HOUR_WRITE)];

    const planned = planTransactions(TABLE_NAME, two);

    expect(planned.map(({ items }) => items.length)).toEqual([3 + 60 + 1, 3 + 60 + 1]);
  });

  it('counts only the minutes a split write has events in, so small ones share a transaction', () => {
    // Each write's events lie in its first minute: 3 + 1 actions, plus one directory update.
    const oneMinute = (hourIndex: number): HourWrite => {
      const write = hourWrite('b', hourIndex, SPLIT_THRESHOLD + 1);
      return { ...write, offsets: write.offsets.map((o) => Math.floor(o / 60)) };
    };

    const planned = planTransactions(
      TABLE_NAME,
      Array.from({ length: 30 }, (_, h) => oneMinute(h)),
    );

    expect(planned.map(({ items }) => items.length)).toEqual([24 * 4 + 1, 6 * 4 + 1]);
  });

  it('adds the events of each write to its hour counter, with the reserved words aliased', () => {
    for (const write of writes) {
      const { items } = transactionOf.get(write) as PlannedTransaction;
      const key = counterKey(write.customerId, write.hour);
      const counters = updates(items).filter((update) => sameKey(update.Key as Item, key));

      expect(counters).toHaveLength(1);
      const [counter] = counters;
      expect(counter?.UpdateExpression).toMatch(/^ADD #count :events SET #hour = :hour$/);
      expect(counter?.ExpressionAttributeNames).toEqual({ '#count': 'count', '#hour': 'hour' });
      expect(counter?.ExpressionAttributeValues).toEqual({
        ':events': write.offsets.length,
        ':hour': new Date(write.hour).toISOString(),
      });
      expect(counter?.ConditionExpression).toBeUndefined();
    }
  });

  it('puts the first digest fragment of version + 1 on condition that no writer put it first', () => {
    for (const write of writes) {
      const { items } = transactionOf.get(write) as PlannedTransaction;
      const key = digestFragmentKey(write.customerId, write.hour, write.version + 1, 0);
      const firsts = puts(items).filter((put) => sameKey(put.Item as Item, key));

      expect(firsts).toHaveLength(1);
      expect(firsts[0]?.ConditionExpression).toBe('attribute_not_exists(#pk)');
      expect(firsts[0]?.ExpressionAttributeNames).toEqual({ '#pk': 'pk' });
    }
  });

  it('conditions only the first digest fragment of each write: everything else is written unconditionally', () => {
    for (const { items, writes: planned } of plan) {
      const conditioned = items.filter(
        (action) => (action.Put?.ConditionExpression ?? action.Update?.ConditionExpression) !== undefined,
      );
      expect(conditioned.map((action) => String(action.Put?.Item?.sk)).sort()).toEqual(
        planned
          .map((write) => digestFragmentKey(write.customerId, write.hour, write.version + 1, 0).sk)
          .sort(),
      );
    }
  });

  it('declares exactly the attribute names and values its expressions use', () => {
    // DynamoDB rejects a request with an unused expression attribute name or value.
    for (const { items } of plan) {
      for (const update of updates(items)) {
        const expressions = [update.UpdateExpression, update.ConditionExpression].join(' ');
        const usedNames = new Set(expressions.match(/#\w+/g) ?? []);
        const usedValues = new Set(expressions.match(/:\w+/g) ?? []);

        expect(new Set(Object.keys(update.ExpressionAttributeNames ?? {}))).toEqual(usedNames);
        expect(new Set(Object.keys(update.ExpressionAttributeValues ?? {}))).toEqual(usedValues);
      }
    }
  });

  it('adds the events of each customer once per transaction to its directory entry, with their span if new', () => {
    for (const transaction of plan) {
      const directory = updates(transaction.items).filter((update) =>
        String((update.Key as Item).pk).startsWith('D#'),
      );

      const expected = new Map<string, { events: number; first: number; last: number }>();
      for (const write of transaction.writes) {
        const first = write.hour + write.offsets.reduce((a, b) => Math.min(a, b));
        const last = write.hour + write.offsets.reduce((a, b) => Math.max(a, b));
        const sum = expected.get(write.customerId) ?? { events: 0, first, last };
        expected.set(write.customerId, {
          events: sum.events + write.offsets.length,
          first: Math.min(sum.first, first),
          last: Math.max(sum.last, last),
        });
      }
      expect(directory).toHaveLength(expected.size);
      expect(new Set(customersOf(transaction))).toEqual(new Set(expected.keys()));
      for (const [customerId, { events, first, last }] of expected) {
        const entry = directory.find((update) => sameKey(update.Key as Item, directoryKey(customerId)));
        expect(entry?.UpdateExpression).toBe(
          'ADD #total :events SET #first = if_not_exists(#first, :first), #last = if_not_exists(#last, :last)',
        );
        expect(entry?.ExpressionAttributeValues).toEqual({
          ':events': events,
          ':first': first,
          ':last': last,
        });
      }
    }
  });

  it('adds every event of the load to the directory exactly once over all transactions', () => {
    const added = new Map<string, number>();
    for (const { items } of plan) {
      for (const update of updates(items)) {
        if (!String((update.Key as Item).pk).startsWith('D#')) continue;
        const customerId = String((update.Key as Item).sk);
        added.set(
          customerId,
          (added.get(customerId) ?? 0) + Number(update.ExpressionAttributeValues?.[':events']),
        );
      }
    }

    const expected = new Map<string, number>();
    for (const write of writes) {
      expected.set(write.customerId, (expected.get(write.customerId) ?? 0) + write.offsets.length);
    }
    expect(added).toEqual(expected);
  });

  it('plans the same transactions whatever order the writes come in', () => {
    const reversed = [...writes].reverse();
    const interleaved = [...writes.filter((_, i) => i % 2 === 0), ...writes.filter((_, i) => i % 2 === 1)];

    expect(describePlan(planTransactions(TABLE_NAME, reversed))).toEqual(describePlan(plan));
    expect(describePlan(planTransactions(TABLE_NAME, interleaved))).toEqual(describePlan(plan));
  });

  it('plans one transaction of counter, digests, W item, 60 minute parts and a directory update for a maximal write', () => {
    const write = hourWrite('solo', 0, MAX_EVENTS_PER_HOUR_WRITE);

    const [only, ...rest] = planTransactions(TABLE_NAME, [write]);

    expect(rest.length).toBe(0);
    expect(only?.items).toHaveLength(1 + 1 + 1 + 60 + 1);
    // Offsets at 2 bytes within their minute, plus the 120-byte histogram.
    expect(binaryBytes(only?.items ?? [])).toBe(MAX_EVENTS_PER_HOUR_WRITE * (2 + DIGEST_ENTRY_BYTES) + 120);
  });

  it('plans a whole write of SPLIT_THRESHOLD events as counter, digests, W item and a directory update', () => {
    const [only] = planTransactions(TABLE_NAME, [hourWrite('solo', 0, SPLIT_THRESHOLD)]);

    expect(only?.items).toHaveLength(1 + 1 + 1 + 1);
    expect(binaryBytes(only?.items ?? [])).toBe(SPLIT_THRESHOLD * (4 + DIGEST_ENTRY_BYTES));
  });

  it('skips writes without events', () => {
    const empty = hourWrite('alpha', 7, 0, 3);
    const other = hourWrite('alpha', 8, 2);

    expect(planTransactions(TABLE_NAME, [])).toEqual([]);
    expect(planTransactions(TABLE_NAME, [empty])).toEqual([]);
    const [only] = planTransactions(TABLE_NAME, [empty, other]);
    expect(only?.writes.length).toBe(1);
    expect(only?.writes[0]).toBe(other);
    expect(only?.items.map(itemKeyOf).some((key) => key.includes('2021-03-01T07'))).toBe(false);
  });

  it('throws a RangeError for two writes to one hour, which would update its counter twice', () => {
    expect(() =>
      planTransactions(TABLE_NAME, [hourWrite('alpha', 3, 2), hourWrite('alpha', 3, 5, 1)]),
    ).toThrow('two writes to hour 2021-03-01T03:00:00.000Z of alpha in one plan');
  });

  it('throws a RangeError for a write of more than MAX_EVENTS_PER_HOUR_WRITE events', () => {
    const tooMany = hourWrite('alpha', 0, MAX_EVENTS_PER_HOUR_WRITE + 1);

    expect(() => planTransactions(TABLE_NAME, [tooMany])).toThrow(RangeError);
    expect(() => planTransactions(TABLE_NAME, [hourWrite('bravo', 0, 1), tooMany])).toThrow(
      `received ${MAX_EVENTS_PER_HOUR_WRITE + 1} offsets`,
    );
  });

  it('throws a RangeError for a write whose digests are not one entry per offset', () => {
    const write = hourWrite('alpha', 0, 3);

    expect(() => planTransactions(TABLE_NAME, [{ ...write, digests: write.digests.subarray(12) }])).toThrow(
      RangeError,
    );
    expect(() => planTransactions(TABLE_NAME, [{ ...write, digests: write.digests.subarray(1) }])).toThrow(
      'received 3 offsets and 35 digest bytes',
    );
  });

  it('throws a RangeError for a write past the last version an hour key can hold', () => {
    expect(() =>
      planTransactions(TABLE_NAME, [hourWrite('alpha', 0, 1, MAX_WRITE_VERSION - 1)]),
    ).not.toThrow();
    expect(() => planTransactions(TABLE_NAME, [hourWrite('alpha', 0, 1, MAX_WRITE_VERSION)])).toThrow(
      RangeError,
    );
  });
});

describe('customersOf', () => {
  it('lists each customer of a transaction once', () => {
    const [transaction] = planTransactions(TABLE_NAME, [
      hourWrite('alpha', 0, 1),
      hourWrite('bravo', 0, 1),
      hourWrite('alpha', 1, 1),
    ]);

    expect(customersOf(transaction as PlannedTransaction).sort()).toEqual(['alpha', 'bravo']);
  });
});
