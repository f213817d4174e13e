/*
 * Deduplication data of one (customer, hour): for each event counted there, a 64-bit digest of its
 * transaction_id and a 32-bit fingerprint of its content (event type and time), 12 bytes an event.
 * Entries are sorted by digest and packed big-endian, so a set is searched without unpacking it.
 * Only loads read it; no query does.
 */

/** Bytes per entry: digest high word, digest low word, content fingerprint. */
export const DIGEST_ENTRY_BYTES = 12;
/** 32,000 entries of 12 bytes keep a fragment under DynamoDB's 400 KB item limit. */
export const MAX_DIGESTS_PER_ITEM = 32_000;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers that mixes every bit. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** The two words of a 64-bit digest. */
export interface Digest {
  hi: number;
  lo: number;
}

const out: Digest = { hi: 0, lo: 0 };

/**
 * A 64-bit digest of a transaction_id given as a byte string (one character per byte, as the
 * loader reads its input in latin1, so distinct bytes never merge): MurmurHash3 x86_128's mixing
 * over four bytes per 32-bit word, two words of its output kept. The result object is reused by
 * the next call; copy its words out.
 */
export function digestTransactionId(bytes: string): Digest {
  return digestTransactionIdBytes(Buffer.from(bytes, 'latin1'), 0, bytes.length);
}

/** The little-endian word of `bytes[at..at+4)`; bytes at or past `end` read as 0, the last block's padding. */
function wordAt(bytes: Uint8Array, at: number, end: number): number {
  if (at + 4 <= end) {
    return (
      (bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)
    );
  }
  let word = 0;
  for (let i = 0; at + i < end; i++) word |= (bytes[at + i] as number) << (8 * i);
  return word;
}

/**
 * `digestTransactionId` of the bytes `bytes[start..end)` read in place, so the loader hashes an id
 * without making a string of it. The result object is reused by the next call.
 */
export function digestTransactionIdBytes(bytes: Uint8Array, start: number, end: number): Digest {
  let h1 = 0x5bd1e995;
  let h2 = 0x1b873593;
  let h3 = 0xcc9e2d51;
  let h4 = 0xe6546b64;
  for (let i = start; i < end; i += 16) {
    let k1 = wordAt(bytes, i, end);
    let k2 = wordAt(bytes, i + 4, end);
    let k3 = wordAt(bytes, i + 8, end);
    let k4 = wordAt(bytes, i + 12, end);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  const length = end - start;
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out.hi = h1 >>> 0;
  out.lo = (h2 + h1) >>> 0;
  return out;
}

/** MurmurHash3 x86_32 over the code units of `text`, continuing from `seed`. */
function hash32(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= Math.imul(rotl(Math.imul(text.charCodeAt(i), C1), 15), C2);
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ text.length);
}

const EVENT_TYPE_SEED = 0x9747b28c;

/** The part of a content fingerprint that depends on the event type alone. */
export function eventTypeHash(eventType: string): number {
  return hash32(eventType, EVENT_TYPE_SEED);
}

/** `contentFingerprint` from the type's `eventTypeHash`, so the loader can hash each type once. */
export function fingerprintOfTypeHash(typeHash: number, time: number): number {
  // The time in two 32-bit halves: epoch milliseconds need more than 32 bits.
  return fmix32(
    typeHash ^ fmix32((time % 0x100000000) ^ Math.imul(Math.floor(time / 0x100000000), 0x9e3779b1)),
  );
}

/**
 * A 32-bit fingerprint of an event's content within its (customer, hour): its type and time, to
 * tell a repeated event from a transaction_id reused for another event.
 */
export function contentFingerprint(eventType: string, time: number): number {
  return fingerprintOfTypeHash(eventTypeHash(eventType), time);
}

/** Orders digests as unsigned 64-bit numbers. */
export function compareDigests(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return aHi === bHi ? aLo - bLo : aHi - bHi;
}

/** Packs entries already sorted by digest; the three arrays have one element per event. */
export function packDigests(hi: Uint32Array, lo: Uint32Array, fingerprints: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(hi.length * DIGEST_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < hi.length; i++) {
    const at = i * DIGEST_ENTRY_BYTES;
    view.setUint32(at, hi[i] as number);
    view.setUint32(at + 4, lo[i] as number);
    view.setUint32(at + 8, fingerprints[i] as number);
  }
  return bytes;
}

/** A packed, sorted digest fragment as stored, ready to search. */
export class DigestFragment {
  private readonly view: DataView;
  readonly length: number;

  constructor(packed: Uint8Array) {
    if (packed.byteLength % DIGEST_ENTRY_BYTES !== 0) {
      throw new RangeError(
        `a digest fragment holds ${DIGEST_ENTRY_BYTES}-byte entries; found ${packed.byteLength} bytes`,
      );
    }
    this.view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    this.length = packed.byteLength / DIGEST_ENTRY_BYTES;
  }

  /** The content fingerprint stored with `hi:lo`, or undefined when the digest is not in this fragment. */
  find(hi: number, lo: number): number | undefined {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = mid * DIGEST_ENTRY_BYTES;
      const order = compareDigests(this.view.getUint32(at), this.view.getUint32(at + 4), hi, lo);
      if (order === 0) return this.view.getUint32(at + 8);
      if (order < 0) low = mid + 1;
      else high = mid;
    }
    return undefined;
  }
}

/** What the loader found for an event: not seen, seen with the same content, or with other content. */
export type Seen = 'new' | 'same' | 'conflict';
