/** What `TransactionIdSet.add` found. */
export type SeenBefore = 'new' | 'same' | 'conflict';

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const hashOut = new Uint32Array(4);

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

/**
 * MurmurHash3 x86_128's mixing over the UTF-16 code units of `text` (two per 32-bit word, the last
 * block zero-padded; the length goes into the finalizer), written to `hashOut`. Not byte-compatible
 * with the reference, which hashes bytes; it only needs to be deterministic and well mixed.
 */
function hash128(text: string): void {
  let h1 = 0x5bd1e995;
  let h2 = 0x1b873593;
  let h3 = 0xcc9e2d51;
  let h4 = 0xe6546b64;
  const length = text.length;
  for (let i = 0; i < length; i += 8) {
    // charCodeAt past the end is NaN, which `|` turns into 0: the zero padding of the last block.
    let k1 = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    let k2 = text.charCodeAt(i + 2) | (text.charCodeAt(i + 3) << 16);
    let k3 = text.charCodeAt(i + 4) | (text.charCodeAt(i + 5) << 16);
    let k4 = text.charCodeAt(i + 6) | (text.charCodeAt(i + 7) << 16);
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
  hashOut[0] = h1;
  hashOut[1] = h2 + h1;
  hashOut[2] = h3 + h1;
  hashOut[3] = h4 + h1;
}

/** MurmurHash3 x86_32 over the UTF-16 code units of `text`, continuing from `seed`. */
function hash32(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= Math.imul(rotl(Math.imul(text.charCodeAt(i), C1), 15), C2);
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ text.length);
}

/** A 32-bit fingerprint of an event's content, to tell a repeated row from a reused transaction_id. */
export function contentFingerprint(customerId: string, eventType: string, time: number): number {
  const h = hash32(eventType, hash32(customerId, 0x9747b28c));
  // The time in two 32-bit halves: epoch milliseconds need more than 32 bits.
  return fmix32(h ^ fmix32((time % 0x100000000) ^ Math.imul(Math.floor(time / 0x100000000), 0x9e3779b1)));
}

/** Slots are 4 uint32 words: three of the id's hash (the key) and the content fingerprint. */
const WORDS_PER_SLOT = 4;
const MAX_LOAD = 0.7;
const INITIAL_SLOTS = 1 << 16;

/**
 * The transaction_ids of one load in 16 bytes per slot instead of a Map of strings (about 150
 * bytes per entry): an open-addressing hash table with linear probing over one Uint32Array, keyed by
 * 96 bits of a 128-bit hash of the id and holding a 32-bit fingerprint of the event's content.
 *
 * Two different ids share a key with probability about n²/2^97 for n ids (10^7 ids: 6·10^-16), in
 * which case the second one is counted as a duplicate; a reused id with different content goes
 * unnoticed as a conflict with probability 2^-32 (it is not counted either way). docs/loading.md
 * explains the trade-off.
 */
export class TransactionIdSet {
  private slots: Uint32Array;
  private mask: number;
  /** Number of distinct ids held. */
  size = 0;

  /**
   * @param expectedIds how many ids to make room for up front; growing later doubles the table and,
   * while it copies, holds the old one too.
   */
  constructor(expectedIds = 0) {
    let capacity = INITIAL_SLOTS;
    while (capacity * MAX_LOAD < expectedIds) capacity *= 2;
    this.slots = new Uint32Array(capacity * WORDS_PER_SLOT);
    this.mask = capacity - 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /**
   * Records `transactionId` with the fingerprint of its event's content. Returns `new` the first
   * time, then `same` for a repeat with the same content and `conflict` for one with other content.
   */
  add(transactionId: string, content: number): SeenBefore {
    hash128(transactionId);
    let a = hashOut[0] as number;
    const b = hashOut[1] as number;
    const c = hashOut[2] as number;
    // An all-zero key marks an empty slot.
    if ((a | b | c) === 0) a = 1;
    const slots = this.slots;
    for (let slot = a & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * WORDS_PER_SLOT;
      const a0 = slots[at] as number;
      const b0 = slots[at + 1] as number;
      const c0 = slots[at + 2] as number;
      if ((a0 | b0 | c0) === 0) {
        slots[at] = a;
        slots[at + 1] = b;
        slots[at + 2] = c;
        slots[at + 3] = content;
        this.size++;
        if (this.size > (this.mask + 1) * MAX_LOAD) this.grow();
        return 'new';
      }
      if (a0 === a && b0 === b && c0 === c) return slots[at + 3] === content >>> 0 ? 'same' : 'conflict';
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Uint32Array(capacity * WORDS_PER_SLOT);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += WORDS_PER_SLOT) {
      const a = old[at] as number;
      if ((a | (old[at + 1] as number) | (old[at + 2] as number)) === 0) continue;
      let slot = a & this.mask;
      while (
        ((this.slots[slot * WORDS_PER_SLOT] as number) |
          (this.slots[slot * WORDS_PER_SLOT + 1] as number) |
          (this.slots[slot * WORDS_PER_SLOT + 2] as number)) !==
        0
      ) {
        slot = (slot + 1) & this.mask;
      }
      this.slots.set(old.subarray(at, at + WORDS_PER_SLOT), slot * WORDS_PER_SLOT);
    }
  }
}
