import { type HourIndex, hourIndexBytes } from './time-index';

/*
 * The API container's memory of edge hours' time index reads. An entry is the index of one
 * (customer, hour) as one consistent read saw it: writes 1 to n, holding `events` events. A range
 * query reads the hour's counter anyway, and a write adds at least one event to the counter in
 * the same transaction as its index items, and counts never go down: so a counter equal to the
 * entry's events counts exactly the writes the entry holds, and the entry answers the edge without
 * a Query. A different counter means other writes: the edge is read again.
 */

/** The default bound of an edge cache: 16 MiB holds the edges of thousands of ordinary hours. */
export const DEFAULT_EDGE_CACHE_BYTES = 16 * 1024 * 1024;

/** Bytes an entry costs on top of its index: its key and the map's bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 96;

/** An LRU map of hour indexes, bounded by the bytes they hold. */
export interface EdgeCache {
  /** The entry of one (customer, hour), made the most recently used; undefined when none. */
  get(customerId: string, hour: number): HourIndex | undefined;
  /** Stores an entry in place of the hour's previous one, then drops the least recently used past the bound. */
  set(customerId: string, hour: number, index: HourIndex): void;
  /** The bytes the entries hold now. */
  readonly bytes: number;
  /** The number of entries. */
  readonly size: number;
}

/**
 * An empty edge cache holding at most `maxBytes` (an entry larger than that is not kept).
 *
 * @throws RangeError when `maxBytes` is not a whole number >= 1.
 */
export function createEdgeCache(maxBytes: number): EdgeCache {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`edgeCacheBytes must be a whole number of bytes >= 1; received ${String(maxBytes)}`);
  }
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, { index: HourIndex; bytes: number }>();
  let bytes = 0;
  const keyOf = (customerId: string, hour: number) => `${hour}\u0000${customerId}`;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  return {
    get(customerId, hour) {
      const key = keyOf(customerId, hour);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.index;
    },
    set(customerId, hour, index) {
      const key = keyOf(customerId, hour);
      remove(key);
      const size = hourIndexBytes(index) + ENTRY_OVERHEAD_BYTES + customerId.length * 2;
      if (size > maxBytes) return;
      entries.set(key, { index, bytes: size });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        remove(oldest);
      }
    },
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
  };
}
