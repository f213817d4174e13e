import { countOffsetsInRange, MAX_OFFSETS_PER_INDEX_ITEM, packOffsets } from '../../core/time-index';

const HOUR = 3_600_000;
/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

const pack = (offsets: number[]) => packOffsets(Uint32Array.from(offsets));

describe('packOffsets', () => {
  it('packs each offset as a little-endian uint32, 4 bytes an offset', () => {
    const packed = pack([1, 0x01020304, HOUR - 1]);

    expect(packed).toBeInstanceOf(Uint8Array);
    expect([...packed]).toEqual([1, 0, 0, 0, 0x04, 0x03, 0x02, 0x01, 0x7f, 0xee, 0x36, 0x00]);
  });

  it('packs no offsets as no bytes', () => {
    expect(pack([]).byteLength).toBe(0);
  });

  it('keeps a full fragment under the 400 KB item limit with room for its key', () => {
    const full = packOffsets(new Uint32Array(MAX_OFFSETS_PER_INDEX_ITEM));

    expect(full.byteLength).toBe(MAX_OFFSETS_PER_INDEX_ITEM * 4);
    expect(full.byteLength + 1_024).toBeLessThan(MAX_ITEM_BYTES);
  });
});

describe('countOffsetsInRange', () => {
  const packed = pack([0, 5, 5, 5, 9, 3_599_999]);

  it.each([
    ['the whole hour', 0, HOUR, 6],
    ['a range starting at the first offset, which includes it (from is inclusive)', 0, 1, 1],
    ['a range starting at a repeated offset, which includes every repeat', 5, 6, 3],
    ['a range ending at a repeated offset, which excludes every repeat (to is exclusive)', 0, 5, 1],
    ['a range ending just after a repeated offset', 0, 6, 4],
    ['a range between offsets', 6, 9, 0],
    ['a range ending at the last offset, which excludes it', 9, 3_599_999, 1],
    ['the last millisecond of the hour', 3_599_999, HOUR, 1],
    ['an empty range', 5, 5, 0],
  ])('counts %s as [from, to)', (_case, from, to, expected) => {
    expect(countOffsetsInRange(packed, from, to)).toBe(expected);
  });

  it('counts nothing in an empty fragment', () => {
    expect(countOffsetsInRange(new Uint8Array(0), 0, HOUR)).toBe(0);
  });

  it('counts a single-offset fragment at its edges', () => {
    const one = pack([1_000]);

    expect(countOffsetsInRange(one, 1_000, 1_001)).toBe(1);
    expect(countOffsetsInRange(one, 0, 1_000)).toBe(0);
    expect(countOffsetsInRange(one, 1_001, HOUR)).toBe(0);
  });

  it('agrees with a linear count on a large fragment for many ranges', () => {
    const offsets = Array.from({ length: 10_000 }, (_, i) => Math.floor((i * i) % HOUR)).sort(
      (a, b) => a - b,
    );
    const large = pack(offsets);

    for (let from = 0; from < HOUR; from += 123_457) {
      for (const width of [0, 1, 1_000, 400_000, HOUR]) {
        const to = Math.min(HOUR, from + width);
        const expected = offsets.filter((offset) => offset >= from && offset < to).length;
        expect(countOffsetsInRange(large, from, to)).toBe(expected);
      }
    }
  });

  it('reads a view that starts inside a larger buffer', () => {
    const buffer = new Uint8Array(8 + packed.byteLength);
    buffer.set(pack([7, 7]), 0);
    buffer.set(packed, 8);

    expect(countOffsetsInRange(buffer.subarray(8), 0, 5)).toBe(1);
    expect(countOffsetsInRange(buffer.subarray(8), 0, HOUR)).toBe(6);
  });

  it.each([1, 3, 5, 23])('throws on a fragment of %i bytes, not a whole number of offsets', (bytes) => {
    expect(() => countOffsetsInRange(new Uint8Array(bytes), 0, HOUR)).toThrow(RangeError);
    expect(() => countOffsetsInRange(new Uint8Array(bytes), 0, HOUR)).toThrow(
      `a time index fragment holds 4-byte offsets; found ${bytes} bytes`,
    );
  });
});
