import {
  countInHourIndex,
  type HourIndex,
  hourIndexBytes,
  MINUTE_HISTOGRAM_BYTES,
  minutesOfCuts,
  missingMinutes,
  packOffsets,
  SPLIT_THRESHOLD,
  splitByMinute,
  unpackOffsets,
  unpackUint16,
} from '../../core/time-index';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

const pack = (offsets: number[]) => packOffsets(Uint32Array.from(offsets));

/** A seeded spread of `n` offsets over the hour, some repeated, sorted. */
function offsetsOf(n: number, seed: number, span = HOUR): number[] {
  let state = seed;
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (state * 48_271) % 2_147_483_647;
    offsets.push(state % span);
  }
  return offsets.sort((a, b) => a - b);
}

/**
 * An hour index built the plain way from writes (each stored whole or split), without the
 * product's splitting: what a read of the minutes `read` would hold.
 */
function indexOf(writes: { offsets: number[]; split: boolean }[], read: number[]): HourIndex {
  const whole = writes.filter((w) => !w.split).flatMap((w) => w.offsets);
  const split = writes.filter((w) => w.split).flatMap((w) => w.offsets);
  const splitBefore = Uint32Array.from({ length: 61 }, (_, m) => split.filter((o) => o < m * MINUTE).length);
  const minutes = new Map(
    read.map((m) => [
      m,
      Uint16Array.from(
        split
          .filter((o) => Math.floor(o / MINUTE) === m)
          .map((o) => o % MINUTE)
          .sort((a, b) => a - b),
      ),
    ]),
  );
  return {
    writes: writes.length,
    events: writes.reduce((sum, w) => sum + w.offsets.length, 0),
    whole: Uint32Array.from(whole.sort((a, b) => a - b)),
    splitBefore,
    minutes,
  };
}

describe('packOffsets', () => {
  it('packs each offset as a little-endian uint32, 4 bytes an offset', () => {
    const packed = pack([1, 0x01020304, HOUR - 1]);

    expect(packed).toBeInstanceOf(Uint8Array);
    expect([...packed]).toEqual([1, 0, 0, 0, 0x04, 0x03, 0x02, 0x01, 0x7f, 0xee, 0x36, 0x00]);
  });

  it('packs no offsets as no bytes', () => {
    expect(pack([]).byteLength).toBe(0);
  });

  it('keeps the largest whole item (SPLIT_THRESHOLD offsets) at 32 KB, far under the 400 KB item limit', () => {
    const full = packOffsets(new Uint32Array(SPLIT_THRESHOLD));

    expect(full.byteLength).toBe(32 * 1024);
    expect(full.byteLength + 1_024).toBeLessThan(MAX_ITEM_BYTES);
  });
});

describe('splitByMinute', () => {
  it('counts each minute in a 60-entry uint16 histogram and stores offsets within the minute', () => {
    const { histogram, parts } = splitByMinute(Uint32Array.from([5, 59_999, 60_000, 60_000, 3 * MINUTE + 7]));

    expect(histogram.byteLength).toBe(MINUTE_HISTOGRAM_BYTES);
    expect([...unpackUint16(histogram)].slice(0, 5)).toEqual([2, 2, 0, 1, 0]);
    expect(parts.map(({ minute, offsets }) => [minute, [...unpackUint16(offsets)]])).toEqual([
      [0, [5, 59_999]],
      [1, [0, 0]],
      [3, [7]],
    ]);
  });

  it('makes one part per minute with events only, and 60 for a busy write', () => {
    const offsets = Uint32Array.from(offsetsOf(5_000, 7));

    const { histogram, parts } = splitByMinute(offsets);

    expect(parts).toHaveLength(60);
    expect([...unpackUint16(histogram)].reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(parts.reduce((sum, part) => sum + part.offsets.byteLength, 0)).toBe(10_000);
  });

  it('keeps a minute part of a maximal write (32,000 events in one minute) under the item limit', () => {
    const { parts } = splitByMinute(new Uint32Array(32_000).fill(HOUR - 1));

    expect(parts).toHaveLength(1);
    expect(parts[0]?.offsets.byteLength).toBe(64_000);
  });
});

describe('unpackOffsets', () => {
  it('reads little-endian uint32 offsets back, from a view that starts inside a larger buffer', () => {
    const packed = pack([0, 5, 3_599_999]);
    const buffer = new Uint8Array(8 + packed.byteLength);
    buffer.set(pack([7, 7]), 0);
    buffer.set(packed, 8);

    expect([...unpackOffsets(buffer.subarray(8))]).toEqual([0, 5, 3_599_999]);
  });

  it.each([1, 3, 5, 23])('throws on an item of %i bytes, not a whole number of offsets', (bytes) => {
    expect(() => unpackOffsets(new Uint8Array(bytes))).toThrow(
      `a time index item holds 4-byte offsets; found ${bytes} bytes`,
    );
  });
});

describe('unpackUint16', () => {
  it('throws on an odd number of bytes', () => {
    expect(() => unpackUint16(new Uint8Array(3))).toThrow(
      'a time index item holds 2-byte values; found 3 bytes',
    );
  });
});

describe('minutesOfCuts', () => {
  it.each([
    ['a range inside one minute', 61_000, 62_000, [1]],
    ['cuts in two minutes', 1, HOUR - 1, [0, 59]],
    ['cuts on minute boundaries, which need no part', MINUTE, 10 * MINUTE, []],
    ['the hour edges', 0, HOUR, []],
    ['a cut at the start of the hour and one inside minute 30', 0, 30 * MINUTE + 1, [30]],
  ])('needs the minutes of %s', (_case, from, to, expected) => {
    expect(minutesOfCuts(from, to)).toEqual(expected);
  });
});

describe('countInHourIndex', () => {
  const whole = offsetsOf(300, 11);
  const splitA = offsetsOf(400, 13);
  // Every event of this write falls in minutes 10 to 19: the others have no split events.
  const splitB = offsetsOf(200, 17, 10 * MINUTE).map((o) => o + 10 * MINUTE);
  const writes = [
    { offsets: whole, split: false },
    { offsets: splitA, split: true },
    { offsets: splitB, split: true },
  ];
  const all = [...whole, ...splitA, ...splitB];
  const brute = (from: number, to: number) => all.filter((o) => o >= from && o < to).length;
  const cuts = [
    0,
    1,
    MINUTE - 1,
    MINUTE,
    10 * MINUTE + 1,
    ...offsetsOf(25, 19),
    ...whole.slice(0, 5),
    ...splitB.slice(0, 5),
    HOUR - 1,
    HOUR,
  ];

  it('counts [from, to) like a brute-force count at many cuts, reading only the cut minutes', () => {
    for (const from of cuts) {
      for (const to of cuts) {
        if (to <= from) continue;
        const index = indexOf(writes, minutesOfCuts(from, to));
        expect([from, to, countInHourIndex(index, from, to)]).toEqual([from, to, brute(from, to)]);
      }
    }
  });

  it('needs no part for a cut in a minute without split events', () => {
    const index = indexOf([{ offsets: [5, 7 * MINUTE + 3], split: true }], []);

    expect(countInHourIndex(index, 3 * MINUTE + 17, HOUR)).toBe(1);
    expect(missingMinutes(index, 3 * MINUTE + 17, HOUR)).toEqual([]);
  });

  it('names the minutes with split events that an index lacks, and refuses to count them', () => {
    const index = indexOf(writes, [12]);

    expect(missingMinutes(index, 12 * MINUTE + 5, 40 * MINUTE + 5)).toEqual([40]);
    expect(() => countInHourIndex(index, 12 * MINUTE + 5, 40 * MINUTE + 5)).toThrow(
      'minute 40 of the hour was not read',
    );
  });

  it('counts an empty hour as 0 anywhere', () => {
    const index = indexOf([], [7]);

    expect(countInHourIndex(index, 7 * MINUTE + 1, HOUR)).toBe(0);
    expect(missingMinutes(index, 1, 2)).toEqual([]);
  });
});

describe('hourIndexBytes', () => {
  it('grows with the offsets and the minutes held', () => {
    const small = indexOf([{ offsets: offsetsOf(10, 3), split: false }], []);
    const large = indexOf(
      [
        { offsets: offsetsOf(1_000, 3), split: false },
        { offsets: offsetsOf(1_000, 5), split: true },
      ],
      [1, 2],
    );

    expect(hourIndexBytes(large) - hourIndexBytes(small)).toBeGreaterThan(990 * 4 + 2 * 33 * 2);
  });
});
