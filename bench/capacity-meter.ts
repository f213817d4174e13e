import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/*
 * What a load costs in DynamoDB capacity, metered from outside the store: a middleware on the
 * client asks for `ReturnConsumedCapacity: TOTAL` on the calls a load makes and sizes what they
 * write by DynamoDB's billing rules. Sizing is needed because DynamoDB Local does not bill a
 * transaction per item as DynamoDB does (measured: a TransactWriteItems of five items under 1 KB
 * reports 2 units, where DynamoDB bills 2 per item, 10), while its Query units match DynamoDB's
 * except for a Query that finds nothing (0 where DynamoDB bills 1 for a strongly consistent read).
 */

/** DynamoDB counts 100 bytes of overhead per stored item on top of its attributes. */
export const STORED_ITEM_OVERHEAD_BYTES = 100;

type Item = Record<string, unknown>;

/** An action of a TransactWriteItems, in the document client's form (the load uses Put and Update). */
interface TransactAction {
  Put?: { Item: Item };
  Update?: UpdateInput;
}

interface UpdateInput {
  Key: Item;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

/** Significant digits of a number, as DynamoDB stores it (leading and trailing zeros trimmed). */
function significantDigits(value: number | bigint): number {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.max(1, digits.length);
}

/**
 * Bytes of one attribute value by DynamoDB's item size rules: a string its UTF-8 bytes, a binary
 * its length, a number 1 byte per two significant digits plus 1, a boolean or null 1 byte.
 */
export function attributeValueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint')
    return Math.ceil(significantDigits(value) / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + attributeValueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + attributeValueBytes(v), 0);
  return 3 + itemBytes(value as Item) + Object.keys(value as Item).length;
}

/** Bytes of an item: each attribute's name (UTF-8) and value. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item))
    bytes += Buffer.byteLength(name) + attributeValueBytes(value);
  return bytes;
}

/**
 * Bytes an update writes, as its key plus the attributes it names and the values it sets. Every
 * update of a load (counter, directory entry) touches an item of a few small
 * attributes, far under 1 KB, so it is billed the minimum however its other attributes are sized.
 */
function updateBytes({ Key, ExpressionAttributeNames = {}, ExpressionAttributeValues = {} }: UpdateInput) {
  const names = Object.values(ExpressionAttributeNames).reduce(
    (sum, name) => sum + Buffer.byteLength(name),
    0,
  );
  return (
    itemBytes(Key) +
    names +
    Object.values(ExpressionAttributeValues).reduce(
      (sum: number, value) => sum + attributeValueBytes(value),
      0,
    )
  );
}

const KB = 1024;

/** What a load's calls cost, by DynamoDB's rules, with what DynamoDB Local reported where it differs. */
export interface CapacityTotals {
  /** Committed TransactWriteItems: 2 write units per KB of each item, rounded up per item. */
  transactions: { calls: number; items: number; billedWriteUnits: number; failedCalls: number };
  /** The customer span updates (UpdateItem, 1 unit per KB; a failed condition is billed too). */
  spanUpdates: { calls: number; billedWriteUnits: number; reportedWriteUnits: number };
  /** The dedup reads (strongly consistent Query pages): 1 unit per 4 KB read, at least 1 a page. */
  dedupReads: { calls: number; billedReadUnits: number; reportedReadUnits: number };
  /** Deduplication data written: the digest fragments the load put. */
  dedupStorage: { fragments: number; fragmentBytes: number };
}

const isDedupKey = (key: Item) => typeof key.sk === 'string' && key.sk.startsWith('X#');

/**
 * Adds a middleware to `client` that meters every TransactWriteItems, UpdateItem and strongly
 * consistent Query sent through it (the document client shares the client's middleware stack),
 * and returns the running totals.
 */
export function meterCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = {
    transactions: { calls: 0, items: 0, billedWriteUnits: 0, failedCalls: 0 },
    spanUpdates: { calls: 0, billedWriteUnits: 0, reportedWriteUnits: 0 },
    dedupReads: { calls: 0, billedReadUnits: 0, reportedReadUnits: 0 },
    dedupStorage: { fragments: 0, fragmentBytes: 0 },
  };

  const committed = (actions: TransactAction[]) => {
    totals.transactions.calls++;
    totals.transactions.items += actions.length;
    for (const { Put, Update } of actions) {
      const bytes = Put !== undefined ? itemBytes(Put.Item) : Update !== undefined ? updateBytes(Update) : 0;
      totals.transactions.billedWriteUnits += 2 * Math.max(1, Math.ceil(bytes / KB));
      if (Put !== undefined && isDedupKey(Put.Item)) {
        totals.dedupStorage.fragments++;
        totals.dedupStorage.fragmentBytes += bytes;
      }
    }
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Item;
      const command = context.commandName;
      const metered =
        command === 'TransactWriteItemsCommand' ||
        command === 'UpdateItemCommand' ||
        (command === 'QueryCommand' && input.ConsistentRead === true);
      if (!metered) return next(args);
      input.ReturnConsumedCapacity ??= 'TOTAL';
      let result: Awaited<ReturnType<typeof next>> | undefined;
      try {
        result = await next(args);
        return result;
      } finally {
        const output = result?.output as { ConsumedCapacity?: { CapacityUnits?: number } } | undefined;
        const reported = output?.ConsumedCapacity?.CapacityUnits ?? 0;
        if (command === 'TransactWriteItemsCommand') {
          if (output === undefined) totals.transactions.failedCalls++;
          else committed(input.TransactItems as TransactAction[]);
        } else if (command === 'UpdateItemCommand') {
          totals.spanUpdates.calls++;
          totals.spanUpdates.billedWriteUnits += Math.max(
            1,
            Math.ceil(updateBytes(input as unknown as UpdateInput) / KB),
          );
          totals.spanUpdates.reportedWriteUnits += reported;
        } else if (output !== undefined) {
          totals.dedupReads.calls++;
          totals.dedupReads.billedReadUnits += Math.max(1, reported);
          totals.dedupReads.reportedReadUnits += reported;
        }
      }
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return totals;
}
