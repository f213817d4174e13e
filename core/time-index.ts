/*
 * The time index of one (customer, hour): the millisecond offsets of its events within the hour
 * (0 to 3,599,999), sorted and packed as little-endian uint32, 4 bytes an event. A partial edge
 * hour is answered by binary search over its fragments; nothing else reads them.
 */

/** 96,000 offsets of 4 bytes keep a fragment under DynamoDB's 400 KB item limit. */
export const MAX_OFFSETS_PER_INDEX_ITEM = 96_000;

/** Packs sorted offsets as little-endian uint32. */
export function packOffsets(offsets: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < offsets.length; i++) view.setUint32(i * 4, offsets[i] as number, true);
  return bytes;
}

/** Index of the first packed value >= `value` (or `length` when none is). */
function lowerBound(view: DataView, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view.getUint32(mid * 4, true) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts the offsets in `[from, to)` of one packed, sorted index fragment. */
export function countOffsetsInRange(packed: Uint8Array, from: number, to: number): number {
  if (packed.byteLength % 4 !== 0) {
    throw new RangeError(`a time index fragment holds 4-byte offsets; found ${packed.byteLength} bytes`);
  }
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const length = packed.byteLength / 4;
  return lowerBound(view, length, to) - lowerBound(view, length, from);
}
