/*
 * Item layout: one table, string keys `pk` and `sk` (docs/data-model.md has a worked example).
 *
 *   pk = C#<customer_id>          sk = H#<yyyy-mm-ddThh>               count, hour     hourly counter
 *   pk = C#<customer_id>          sk = I#<yyyy-mm-ddThh>#W#<write>       events, offsets | minutes  time index of one write
 *   pk = C#<customer_id>          sk = I#<yyyy-mm-ddThh>#M<mm>#<write>   offsets          one minute of a split write
 *   pk = C#<customer_id>          sk = X#<yyyy-mm-ddThh>#<write>#<part> digests, events transaction_id digests
 *   pk = D#customers#<shard>      sk = <customer_id>                   total, firstEventAt, lastEventAt
 *   pk = M#table                  sk = FORMAT                          format          table format marker
 *
 * Customer partitions start with `C#` and internal ones with `D#` or `M#`, so no customer id can
 * collide with an internal item. Inside a customer partition counters (`H#`), time indexes (`I#`)
 * and deduplication data (`X#`) sort apart: a BETWEEN on `H#` keys reads counters only, and no
 * query ever reads an `X#` item. Inside an hour's time index, the `W` items of its writes sort
 * apart from the `M<mm>` parts of each minute, so a partial edge reads all `W` items with one Query
 * and one minute's parts with another (core/time-index.ts).
 */

/** The partition key attribute. */
export const PK = 'pk';
/** The sort key attribute. */
export const SK = 'sk';

/** The layout this code reads and writes; an older table has another (or no) marker. */
export const TABLE_FORMAT = 4;

/** The customer directory's partitions: fixed forever, since a customer's shard is derived from it. */
export const DIRECTORY_SHARDS = 16;

/** Writes to one hour are numbered; six digits keep the keys sorted (a million writes an hour). */
export const MAX_WRITE_VERSION = 999_999;

/** Formats an hour start as the 13-character key part `2021-03-01T04`. */
export function hourKeyPart(hour: number): string {
  return new Date(hour).toISOString().slice(0, 13);
}

/** The hour start (epoch milliseconds) of a `H#2021-03-01T04` counter sort key. */
export function hourOfCounterSk(sk: string): number {
  return Date.parse(`${sk.slice(2)}:00:00.000Z`);
}

/** The key of a table item. */
export type ItemKey = { [PK]: string; [SK]: string };

export const customerPk = (customerId: string) => `C#${customerId}`;

export const counterKey = (customerId: string, hour: number): ItemKey => ({
  [PK]: customerPk(customerId),
  [SK]: `H#${hourKeyPart(hour)}`,
});

const writeKeyPart = (version: number) => String(version).padStart(6, '0');

/** The key of a digest fragment of one write to an hour. */
export const digestFragmentKey = (
  customerId: string,
  hour: number,
  version: number,
  part: number,
): ItemKey => ({
  [PK]: customerPk(customerId),
  [SK]: `X#${hourKeyPart(hour)}#${writeKeyPart(version)}#${String(part).padStart(4, '0')}`,
});

/** The key of the time index item of one write to an hour (its offsets, or its minute histogram). */
export const indexWholeKey = (customerId: string, hour: number, version: number): ItemKey => ({
  [PK]: customerPk(customerId),
  [SK]: `I#${hourKeyPart(hour)}#W#${writeKeyPart(version)}`,
});

/** The key of one minute (0 to 59) of a split write's time index. */
export const indexMinuteKey = (
  customerId: string,
  hour: number,
  minute: number,
  version: number,
): ItemKey => ({
  [PK]: customerPk(customerId),
  [SK]: `I#${hourKeyPart(hour)}#M${String(minute).padStart(2, '0')}#${writeKeyPart(version)}`,
});

/**
 * The sort key range of one hour's items under `prefix` (`I` or `X`): `P#<hour>` up to `P#<hour>$`
 * ('$' sorts after '#'), so it holds every `P#<hour>#…` fragment of that hour and nothing else. DynamoDB
 * reads a BETWEEN like a begins_with, and DynamoDB Local scans the whole partition for begins_with.
 */
export function hourRange(prefix: 'I' | 'X', hour: number): { first: string; last: string } {
  const key = `${prefix}#${hourKeyPart(hour)}`;
  return { first: key, last: `${key}$` };
}

/** The sort key range of the `W` items of one hour's writes: `I#<hour>#W#` up to `I#<hour>#W$`. */
export function indexWholeRange(hour: number): { first: string; last: string } {
  const key = `I#${hourKeyPart(hour)}#W`;
  return { first: `${key}#`, last: `${key}$` };
}

/** The sort key range of the parts of one minute of an hour, of every split write. */
export function indexMinuteRange(hour: number, minute: number): { first: string; last: string } {
  const key = `I#${hourKeyPart(hour)}#M${String(minute).padStart(2, '0')}`;
  return { first: `${key}#`, last: `${key}$` };
}

/** FNV-1a over the UTF-16 code units: a stable spread of customer ids over the directory shards. */
export function directoryShard(customerId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    hash = Math.imul(hash ^ customerId.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0) % DIRECTORY_SHARDS;
}

export const directoryPk = (shard: number) => `D#customers#${String(shard).padStart(2, '0')}`;

export const directoryKey = (customerId: string): ItemKey => ({
  [PK]: directoryPk(directoryShard(customerId)),
  [SK]: customerId,
});

/** Where the table records its layout. */
export const FORMAT_KEY: ItemKey = { [PK]: 'M#table', [SK]: 'FORMAT' };

/** The single directory partition of the first layout: its presence marks a table written by it. */
export const LEGACY_DIRECTORY_PK = 'D#customers';
