/**
 * A hash table from short byte strings to numbers, looked up in place in a larger buffer: the
 * loader finds a row's customer and event type by their bytes without making a string per row.
 */
export class ByteTable {
  private slots = new Int32Array(64).fill(-1);
  private readonly keys: Uint8Array[] = [];
  private readonly values: number[] = [];

  /** Keys held. */
  get size(): number {
    return this.keys.length;
  }

  /** The value of the key `bytes[start..end)`, or -1 when the table does not hold it. */
  get(bytes: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hashBytes(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === -1) return -1;
      if (sameBytes(this.keys[entry] as Uint8Array, bytes, start, end)) return this.values[entry] as number;
    }
  }

  /** Adds the key `bytes[start..end)` (copied) with `value`; the key must not be in the table yet. */
  set(bytes: Uint8Array, start: number, end: number, value: number): void {
    const entry = this.keys.length;
    // A copy (Buffer's slice would be a view): the bytes given may be reused or handed to another thread.
    this.keys.push(new Uint8Array(bytes.subarray(start, end)));
    this.values.push(value);
    if ((entry + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(entry);
  }

  private place(entry: number): void {
    const key = this.keys[entry] as Uint8Array;
    const mask = this.slots.length - 1;
    let slot = hashBytes(key, 0, key.length) & mask;
    while (this.slots[slot] !== -1) slot = (slot + 1) & mask;
    this.slots[slot] = entry;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity).fill(-1);
    for (let entry = 0; entry < this.keys.length; entry++) this.place(entry);
  }
}

/** FNV-1a over the bytes, with a final mix so that the low bits (the slot) depend on every byte. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function sameBytes(key: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return false;
  return true;
}
