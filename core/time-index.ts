import { HOUR_MS } from './time';

/*
 * The time index of one (customer, hour): the millisecond offsets of its events within the hour
 * (0 to 3,599,999). Nothing but a partial edge hour reads it, and what it reads follows the cut,
 * not the hour's size:
 *
 * - Each write to the hour has one `W` item. A write of at most SPLIT_THRESHOLD events keeps its
 *   offsets there, sorted, as little-endian uint32 (4 bytes an event). A larger write is split: its
 *   `W` item holds only its minute histogram (60 little-endian uint16 counts), and its offsets go
 *   into one part per minute that has events, as offsets within the minute (little-endian uint16,
 *   sorted, 2 bytes an event).
 * - Events before a cut c in minute m = whole offsets < c + split events of the minutes before m
 *   (the histograms) + minute m's parts' offsets < c mod 60,000. A cut on a minute boundary needs
 *   no part at all.
 */

/** Milliseconds in one minute. */
export const MINUTE_MS = 60_000;
export const MINUTES_PER_HOUR = 60;

/**
 * Writes of more events than this are split into minute parts. Below it a split costs more write
 * units than one item (60 parts of at least 1 KB each against one item of 4 bytes an event), and
 * every hour of data/events.csv (at most 7,302 events of one customer) stays one item, as before;
 * above it a whole item (up to 32 KB) would make every edge read of a hot hour heavy.
 */
export const SPLIT_THRESHOLD = 8_192;

/** Bytes of a split write's minute histogram: 60 uint16 counts (a write holds at most 32,000 events). */
export const MINUTE_HISTOGRAM_BYTES = MINUTES_PER_HOUR * 2;

/** Packs sorted offsets as little-endian uint32. */
export function packOffsets(offsets: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < offsets.length; i++) view.setUint32(i * 4, offsets[i] as number, true);
  return bytes;
}

/** One minute's part of a split write: offsets within the minute, packed as little-endian uint16. */
export interface MinutePart {
  minute: number;
  offsets: Uint8Array;
}

/** A split write's time index: its minute histogram and one part per minute with events. */
export interface SplitIndex {
  histogram: Uint8Array;
  parts: MinutePart[];
}

/** Splits sorted hour offsets into a minute histogram and per-minute parts. */
export function splitByMinute(offsets: Uint32Array): SplitIndex {
  const histogram = new Uint8Array(MINUTE_HISTOGRAM_BYTES);
  const counts = new DataView(histogram.buffer);
  const parts: MinutePart[] = [];
  let start = 0;
  while (start < offsets.length) {
    const minute = Math.floor((offsets[start] as number) / MINUTE_MS);
    const base = minute * MINUTE_MS;
    let end = start;
    while (end < offsets.length && (offsets[end] as number) < base + MINUTE_MS) end++;
    const bytes = new Uint8Array((end - start) * 2);
    const view = new DataView(bytes.buffer);
    for (let i = start; i < end; i++) view.setUint16((i - start) * 2, (offsets[i] as number) - base, true);
    counts.setUint16(minute * 2, end - start, true);
    parts.push({ minute, offsets: bytes });
    start = end;
  }
  return { histogram, parts };
}

/** Index of the first value >= `value` of a sorted array (or its length when none is). */
function lowerBound(values: Uint32Array | Uint16Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Little-endian uint32 offsets as numbers. */
export function unpackOffsets(packed: Uint8Array): Uint32Array {
  if (packed.byteLength % 4 !== 0) {
    throw new RangeError(`a time index item holds 4-byte offsets; found ${packed.byteLength} bytes`);
  }
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const offsets = new Uint32Array(packed.byteLength / 4);
  for (let i = 0; i < offsets.length; i++) offsets[i] = view.getUint32(i * 4, true);
  return offsets;
}

/** Little-endian uint16 values (a minute histogram, or a minute part's offsets) as numbers. */
export function unpackUint16(packed: Uint8Array): Uint16Array {
  if (packed.byteLength % 2 !== 0) {
    throw new RangeError(`a time index item holds 2-byte values; found ${packed.byteLength} bytes`);
  }
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const values = new Uint16Array(packed.byteLength / 2);
  for (let i = 0; i < values.length; i++) values[i] = view.getUint16(i * 2, true);
  return values;
}

/**
 * What one read of an hour's time index saw, decoded: the writes 1 to `writes`, their `W` items
 * merged, and the parts of the minutes read. Enough to count any cut in those minutes or on a
 * minute boundary.
 */
export interface HourIndex {
  /** The writes it holds: 1 to `writes` (0 when the hour has none). */
  writes: number;
  /** Their events: what the hour's counter holds once it counts the same writes. */
  events: number;
  /** The offsets of the writes stored whole, sorted. */
  whole: Uint32Array;
  /** `splitBefore[m]`: events of split writes before minute m (61 entries, the last one all of them). */
  splitBefore: Uint32Array;
  /** Offsets within the minute of the split writes' events, sorted, for each minute read. */
  minutes: Map<number, Uint16Array>;
}

/** The minutes a read of `[from, to)` needs parts of when it knows nothing of the hour yet. */
export function minutesOfCuts(from: number, to: number): number[] {
  const minutes = [from, to]
    .filter((cut) => cut > 0 && cut < HOUR_MS && cut % MINUTE_MS !== 0)
    .map((cut) => Math.floor(cut / MINUTE_MS));
  return [...new Set(minutes)];
}

/** The minutes of `[from, to)`'s cuts whose split events `index` has not read. */
export function missingMinutes(index: HourIndex, from: number, to: number): number[] {
  return minutesOfCuts(from, to).filter(
    (minute) =>
      (index.splitBefore[minute + 1] as number) > (index.splitBefore[minute] as number) &&
      !index.minutes.has(minute),
  );
}

/** Events of `index` before the offset `cut`. */
function countBefore(index: HourIndex, cut: number): number {
  if (cut <= 0) return 0;
  if (cut >= HOUR_MS) return index.events;
  const minute = Math.floor(cut / MINUTE_MS);
  const within = cut - minute * MINUTE_MS;
  let count = lowerBound(index.whole, cut) + (index.splitBefore[minute] as number);
  if (within > 0 && (index.splitBefore[minute + 1] as number) > (index.splitBefore[minute] as number)) {
    const part = index.minutes.get(minute);
    if (part === undefined) throw new RangeError(`minute ${minute} of the hour was not read`);
    count += lowerBound(part, within);
  }
  return count;
}

/**
 * Events of `index` in `[from, to)` (offsets within the hour).
 *
 * @throws RangeError when a cut lies in a minute with split events that `index` has not read.
 */
export function countInHourIndex(index: HourIndex, from: number, to: number): number {
  return to <= from ? 0 : countBefore(index, to) - countBefore(index, from);
}

/** What an index takes in memory, for the edge cache's byte bound. */
export function hourIndexBytes(index: HourIndex): number {
  let bytes = 64 + index.whole.byteLength + index.splitBefore.byteLength;
  for (const part of index.minutes.values()) bytes += 48 + part.byteLength;
  return bytes;
}
