import { randomBytes } from 'node:crypto';
import {
  compareDigests,
  contentFingerprint,
  DIGEST_ENTRY_BYTES,
  DigestFragment,
  digestTransactionId,
  MAX_DIGESTS_PER_ITEM,
  packDigests,
} from '../../core/digests';

/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;
const T = Date.UTC(2021, 2, 1, 4, 30);

/** The digest of `bytes` as one comparable value (the function reuses its result object). */
const digestOf = (bytes: string) => {
  const { hi, lo } = digestTransactionId(bytes);
  return `${hi}:${lo}`;
};

interface Entry {
  hi: number;
  lo: number;
  fingerprint: number;
}

/** Entries sorted by digest and packed, as the loader stores them. */
function packEntries(entries: readonly Entry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => compareDigests(a.hi, a.lo, b.hi, b.lo));
  return packDigests(
    Uint32Array.from(sorted, (e) => e.hi),
    Uint32Array.from(sorted, (e) => e.lo),
    Uint32Array.from(sorted, (e) => e.fingerprint),
  );
}

function entryOf(transactionId: string, eventType: string, time: number): Entry {
  const { hi, lo } = digestTransactionId(transactionId);
  return { hi, lo, fingerprint: contentFingerprint(eventType, time) };
}

describe('digestTransactionId', () => {
  it('gives the same digest for the same bytes, whatever was digested in between', () => {
    const first = digestOf('2f1e0c5a-4b7d-4e8f-9a3b-1c2d3e4f5a6b');
    digestOf('something else entirely');

    expect(digestOf('2f1e0c5a-4b7d-4e8f-9a3b-1c2d3e4f5a6b')).toBe(first);
  });

  it('returns two unsigned 32-bit words', () => {
    for (const id of ['', 'a', 'caf\u00e9', 'x'.repeat(100)]) {
      const { hi, lo } = digestTransactionId(id);
      for (const word of [hi, lo]) {
        expect(Number.isInteger(word)).toBe(true);
        expect(word).toBeGreaterThanOrEqual(0);
        expect(word).toBeLessThanOrEqual(0xffffffff);
      }
    }
  });

  it.each([
    ['latin1 é and the UTF-8 bytes of é read as latin1', 'caf\u00e9', 'caf\u00c3\u00a9'],
    ['a string and the same string with a trailing zero byte', 'a', 'a\u0000'],
    ['the empty string and one zero byte', '', '\u0000'],
    ['zero padding of two different lengths', 'ab\u0000', 'ab\u0000\u0000'],
    ['strings that differ only after byte 16', '0123456789abcdef-1', '0123456789abcdef-2'],
    ['strings that differ only after byte 32', `${'k'.repeat(32)}A`, `${'k'.repeat(32)}B`],
    [
      'a 16-byte string and the same one extended by a zero block',
      '0123456789abcdef',
      `0123456789abcdef${'\u0000'.repeat(16)}`,
    ],
    ['strings that differ only in the top bit of a byte', 'id-\u0001', 'id-\u0081'],
    ['strings with two bytes swapped', 'ab', 'ba'],
    ['upper and lower case', 'ABC', 'abc'],
  ])('tells apart %s', (_case, a, b) => {
    expect(digestOf(a)).not.toBe(digestOf(b));
  });

  it('gives each single byte its own digest', () => {
    const digests = Array.from({ length: 256 }, (_, byte) => digestOf(String.fromCharCode(byte)));

    expect(new Set(digests).size).toBe(256);
  });

  it('has no 64-bit collision among 100,000 random byte strings', () => {
    const ids = new Set<string>();
    for (let i = 0; ids.size < 100_000; i++) ids.add(randomBytes(1 + (i % 40)).toString('latin1'));

    const digests = new Set([...ids].map(digestOf));

    expect(digests.size).toBe(ids.size);
  });

  it('has no 64-bit collision among 100,000 sequential ids', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `txn-${String(i).padStart(8, '0')}`);

    expect(new Set(ids.map(digestOf)).size).toBe(ids.length);
  });
});

describe('contentFingerprint', () => {
  it('gives the same fingerprint for the same type and time', () => {
    expect(contentFingerprint('click', T)).toBe(contentFingerprint('click', T));
  });

  it('returns an unsigned 32-bit integer', () => {
    const fingerprint = contentFingerprint('click', T);

    expect(Number.isInteger(fingerprint)).toBe(true);
    expect(fingerprint).toBeGreaterThanOrEqual(0);
    expect(fingerprint).toBeLessThanOrEqual(0xffffffff);
  });

  it.each([
    ['another event type', 'view', T],
    ['a type that differs in case', 'Click', T],
    ['the empty type', '', T],
    ['a time one millisecond later', 'click', T + 1],
    ['a time one hour later', 'click', T + 3_600_000],
    ['a time 2^32 ms later (only the high word differs)', 'click', T + 2 ** 32],
  ])('differs for %s', (_case, eventType, time) => {
    expect(contentFingerprint(eventType, time)).not.toBe(contentFingerprint('click', T));
  });

  it('differs for each of 100,000 consecutive milliseconds of one type', () => {
    // A transaction_id reused at another time is then seen as a conflict, not as the same event.
    const start = Date.UTC(2021, 2, 1, 4, 58);
    const fingerprints = new Uint32Array(100_000);
    for (let ms = 0; ms < fingerprints.length; ms++)
      fingerprints[ms] = contentFingerprint('click', start + ms);

    fingerprints.sort();
    let repeats = 0;
    for (let i = 1; i < fingerprints.length; i++) if (fingerprints[i] === fingerprints[i - 1]) repeats++;
    expect(repeats).toBe(0);
  });
});

describe('packDigests', () => {
  it('packs each entry as 12 big-endian bytes: digest high word, low word, fingerprint', () => {
    const packed = packDigests(
      Uint32Array.from([0x01020304]),
      Uint32Array.from([0xa0b0c0d0]),
      Uint32Array.from([0xffeeddcc]),
    );

    expect([...packed]).toEqual([1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0, 0xff, 0xee, 0xdd, 0xcc]);
    expect(DIGEST_ENTRY_BYTES).toBe(12);
  });

  it('keeps a full fragment under the 400 KB item limit with room for its key', () => {
    expect(MAX_DIGESTS_PER_ITEM * DIGEST_ENTRY_BYTES + 1_024).toBeLessThan(MAX_ITEM_BYTES);
  });
});

describe('compareDigests', () => {
  it('orders digests as unsigned 64-bit numbers', () => {
    expect(compareDigests(0x80000000, 0, 0x7fffffff, 0xffffffff)).toBeGreaterThan(0);
    expect(compareDigests(1, 0x80000000, 1, 0x7fffffff)).toBeGreaterThan(0);
    expect(compareDigests(1, 2, 1, 2)).toBe(0);
    expect(compareDigests(0, 0xffffffff, 1, 0)).toBeLessThan(0);
  });
});

describe('DigestFragment', () => {
  const stored = Array.from({ length: 3_000 }, (_, i) =>
    entryOf(`stored-${i}`, i % 2 === 0 ? 'click' : 'view', T + i),
  );
  /** The stored entries in three fragments of one hour, as three writes left them. */
  const fragments = [stored.slice(0, 1_000), stored.slice(1_000, 2_500), stored.slice(2_500)].map(
    (entries) => new DigestFragment(packEntries(entries)),
  );

  it('holds one entry per 12 bytes', () => {
    expect(fragments.map((fragment) => fragment.length)).toEqual([1_000, 1_500, 500]);
  });

  it("finds every stored digest's fingerprint in the fragment that holds it", () => {
    for (const [i, entry] of stored.entries()) {
      const holder = fragments[i < 1_000 ? 0 : i < 2_500 ? 1 : 2] as DigestFragment;
      expect(holder.find(entry.hi, entry.lo)).toBe(entry.fingerprint);
    }
  });

  it('finds nothing for a digest the fragment does not hold', () => {
    const entry = entryOf('never-stored', 'click', T);

    for (const fragment of fragments) expect(fragment.find(entry.hi, entry.lo)).toBeUndefined();
  });

  it('finds digests at both ends of the unsigned order, where a signed compare would fail', () => {
    const extremes: Entry[] = [
      { hi: 0, lo: 0, fingerprint: 1 },
      { hi: 0, lo: 0xffffffff, fingerprint: 2 },
      { hi: 0x7fffffff, lo: 0x80000000, fingerprint: 3 },
      { hi: 0x80000000, lo: 0, fingerprint: 4 },
      { hi: 0x80000000, lo: 0x7fffffff, fingerprint: 5 },
      { hi: 0xffffffff, lo: 0xfffffffe, fingerprint: 6 },
      { hi: 0xffffffff, lo: 0xffffffff, fingerprint: 7 },
    ];
    const fragment = new DigestFragment(packEntries(extremes));

    for (const { hi, lo, fingerprint } of extremes) expect(fragment.find(hi, lo)).toBe(fingerprint);
    expect(fragment.find(0x80000000, 1)).toBeUndefined();
    expect(fragment.find(0xffffffff, 0)).toBeUndefined();
  });

  it('reads a fragment that starts inside a larger buffer', () => {
    const entry = entryOf('offset-view', 'click', T);
    const packed = packEntries([entry]);
    const buffer = new Uint8Array(5 + packed.byteLength);
    buffer.set(packed, 5);

    expect(new DigestFragment(buffer.subarray(5)).find(entry.hi, entry.lo)).toBe(entry.fingerprint);
  });

  it.each([1, 11, 13, 25])('throws on a fragment of %i bytes, not a whole number of entries', (bytes) => {
    expect(() => new DigestFragment(new Uint8Array(bytes))).toThrow(RangeError);
    expect(() => new DigestFragment(new Uint8Array(bytes))).toThrow(
      `a digest fragment holds 12-byte entries; found ${bytes} bytes`,
    );
  });
});
