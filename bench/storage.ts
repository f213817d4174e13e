import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { customerPk } from '../core/keys';
import { itemBytes, STORED_ITEM_OVERHEAD_BYTES } from './capacity-meter';

/** The items of one kind in a customer's partition: kinds are the sort key's prefix (`H`, `I`, `X`, …). */
export interface StorageKind {
  kind: string;
  items: number;
  /** Attribute names and values by DynamoDB's item size rules, plus 100 bytes of overhead an item. */
  bytes: number;
  bytesPerEvent: number;
}

/** What one customer's partition stores, per event counted in it. */
export interface PartitionStorage {
  events: number;
  kinds: StorageKind[];
  /** Everything but the deduplication data (`X#` items): what the queries may read. */
  queryBytesPerEvent: number;
  /** The deduplication data: what the exactly-once issue gave a budget of 16 bytes an event. */
  dedupBytesPerEvent: number;
  totalBytesPerEvent: number;
}

/** The kind of an item: its sort key up to the first `#` (`H#2021-03-01T10` is `H`). */
const kindOf = (sk: unknown) => (typeof sk === 'string' ? sk.split('#', 1)[0] || sk : 'other');

const round = (value: number) => Math.round(value * 100) / 100;

/** Sums the stored bytes of a partition's items by kind, per event counted in it. */
export function summarizeStorage(
  items: readonly Record<string, unknown>[],
  events: number,
): PartitionStorage {
  const byKind = new Map<string, { items: number; bytes: number }>();
  for (const item of items) {
    const kind = kindOf(item.sk);
    const entry = byKind.get(kind) ?? { items: 0, bytes: 0 };
    entry.items++;
    entry.bytes += itemBytes(item) + STORED_ITEM_OVERHEAD_BYTES;
    byKind.set(kind, entry);
  }
  const perEvent = (bytes: number) => (events === 0 ? 0 : round(bytes / events));
  const kinds = [...byKind]
    .map(([kind, { items: count, bytes }]) => ({ kind, items: count, bytes, bytesPerEvent: perEvent(bytes) }))
    .sort((a, b) => a.kind.localeCompare(b.kind));
  const total = kinds.reduce((sum, kind) => sum + kind.bytes, 0);
  const dedup = kinds.filter((kind) => kind.kind === 'X').reduce((sum, kind) => sum + kind.bytes, 0);
  return {
    events,
    kinds,
    queryBytesPerEvent: perEvent(total - dedup),
    dedupBytesPerEvent: perEvent(dedup),
    totalBytesPerEvent: perEvent(total),
  };
}

/** Reads every item of a customer's partition (one paginated Query) and sizes them by kind. */
export async function measurePartitionStorage(options: {
  client: DynamoDBClient;
  tableName: string;
  customerId: string;
  events: number;
}): Promise<PartitionStorage> {
  const documentClient = DynamoDBDocumentClient.from(options.client);
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: options.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': customerPk(options.customerId) },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return summarizeStorage(items, options.events);
}
