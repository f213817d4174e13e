import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fmix32 } from '../core/digests';
import { DAY_MS } from '../core/time';

/** What to generate; the same options always give the same bytes. */
export interface GenerateOptions {
  rows: number;
  /** Distinct customers; the first one is the heavy one. */
  customers: number;
  /** Days covered, starting at `start`. */
  days: number;
  seed: number;
  /** Epoch milliseconds of the first day's midnight UTC (default 2021-03-01). */
  start?: number;
  /** Share of the rows that belong to the heavy customer, 0 to 1 (default 0.6). */
  heavyShare?: number;
}

/** Thrown when an option is out of range; the message names the option and the value. */
export class InvalidGenerateOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGenerateOptionError';
  }
}

export const DEFAULT_GENERATE_START = Date.UTC(2021, 2, 1);
export const DEFAULT_HEAVY_SHARE = 0.6;
/** Row indexes are made unique through a 32-bit bijection, so this is the most rows one file can have. */
export const MAX_GENERATED_ROWS = 2 ** 32;
/**
 * Text is handed to the writer in blocks of about this many characters: small enough that the
 * concatenated row strings die young (cheap scavenges) instead of being promoted as a long rope.
 */
const BLOCK_CHARS = 1 << 16;
/** Chance that an event repeats its customer's previous timestamp: distinct events often share one. */
const SAME_TIME_SHARE = 0.1;
const PROXY_SHARE = 0.01;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
// `.74` for 740 ms: the data set drops trailing zeros of the fraction, and all of it for 0 ms.
const FRACTIONS = Array.from({ length: 1000 }, (_, ms) =>
  ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`,
);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** sfc32: a small, fast PRNG with a 128-bit state, good enough for test data and fully deterministic. */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    this.a ^= high;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }
}

const hex32 = (x: number) => `${HEX[x >>> 24]}${HEX[(x >>> 16) & 255]}${HEX[(x >>> 8) & 255]}${HEX[x & 255]}`;
const hex16 = (x: number) => `${HEX[(x >>> 8) & 255]}${HEX[x & 255]}`;

/** A version-4-looking UUID whose last 8 hex digits are the permuted row index, hence unique. */
function uuid(random: Random, unique: number): string {
  const a = random.u32();
  const b = random.u32();
  const c = random.u32();
  const variant = '89ab'[c >>> 30] as string;
  return (
    `${hex32(a)}-${hex16(b >>> 16)}-4${hex16(b).slice(1)}-${variant}${hex16(c >>> 16).slice(1)}-` +
    `${hex16(c)}${hex32(unique)}`
  );
}

/**
 * Checks the options before anything is written.
 *
 * @throws InvalidGenerateOptionError naming the option, the value and the range expected.
 */
export function validateGenerateOptions(options: GenerateOptions): void {
  const check = (name: string, value: number, ok: boolean, expected: string) => {
    if (!ok) throw new InvalidGenerateOptionError(`${name} must be ${expected}; received ${value}`);
  };
  const { rows, customers, days, seed } = options;
  check(
    '--rows',
    rows,
    Number.isInteger(rows) && rows >= 0 && rows <= MAX_GENERATED_ROWS,
    'an integer from 0 to 2^32',
  );
  check('--customers', customers, Number.isInteger(customers) && customers >= 1, 'an integer >= 1');
  check('--days', days, Number.isInteger(days) && days >= 1 && days <= 36_600, 'an integer from 1 to 36600');
  check('--seed', seed, Number.isSafeInteger(seed) && seed >= 0, 'a non-negative integer');
  const heavy = options.heavyShare ?? DEFAULT_HEAVY_SHARE;
  check('--heavy-share', heavy, heavy >= 0 && heavy <= 1, 'a number from 0 to 1');
  const start = options.start ?? DEFAULT_GENERATE_START;
  check('--start', start, Number.isInteger(start) && start % DAY_MS === 0, 'a date (midnight UTC)');
}

/** Cumulative Zipf(1) weights of the light customers, for sampling by binary search. */
function lightCustomerWeights(count: number): Float64Array {
  const cumulative = new Float64Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    sum += 1 / (i + 1);
    cumulative[i] = sum;
  }
  for (let i = 0; i < count; i++) cumulative[i] = (cumulative[i] as number) / sum;
  return cumulative;
}

function pick(cumulative: Float64Array, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Generates a synthetic events CSV in the data set's format (no header; `customer_id,event_type,
 * transaction_id,timestamp` with `2021-03-01 00:03:21.74+00` timestamps), yielded as text blocks of
 * about 64 KB so any number of rows streams in constant memory. One heavy customer takes
 * `heavyShare` of the rows, the others follow a Zipf distribution; times are uniform over the days
 * (unsorted), some events repeat their customer's previous timestamp, and every transaction_id is
 * unique, in the data set's shapes (UUIDs, integers, dates with two spaces, suffixed UUIDs).
 *
 * @throws InvalidGenerateOptionError when an option is out of range.
 */
export function* generateEventBlocks(options: GenerateOptions): Generator<string> {
  validateGenerateOptions(options);
  const { rows, customers, days, seed } = options;
  const start = options.start ?? DEFAULT_GENERATE_START;
  const heavyShare = options.heavyShare ?? DEFAULT_HEAVY_SHARE;
  const random = new Random(seed);
  const ids = Array.from(
    { length: customers },
    () => `${hex32(random.u32())}${hex32(random.u32())}${hex32(random.u32())}${hex32(random.u32())}`,
  );
  const light = lightCustomerWeights(Math.max(customers - 1, 1));
  const lastTime = new Float64Array(customers).fill(-1);
  const dayPrefixes = Array.from(
    { length: days },
    (_, day) => `${new Date(start + day * DAY_MS).toISOString().slice(0, 10)} `,
  );
  const span = days * DAY_MS;
  // XOR with a per-seed salt keeps the index-to-id map a bijection while varying it between seeds.
  const salt = random.u32();

  let block = '';
  for (let row = 0; row < rows; row++) {
    const customer = customers === 1 || random.float() < heavyShare ? 0 : 1 + pick(light, random.float());
    let offset = lastTime[customer] as number;
    if (offset < 0 || random.float() >= SAME_TIME_SHARE) {
      offset = Math.floor(random.float() * span);
      lastTime[customer] = offset;
    }
    const day = Math.floor(offset / DAY_MS);
    const inDay = offset - day * DAY_MS;
    const seconds = Math.floor(inDay / 1000);
    const hour = Math.floor(seconds / 3600);
    const minute = Math.floor(seconds / 60) % 60;
    const second = seconds % 60;
    const clock = `${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}`;
    const timestamp = `${dayPrefixes[day]}${clock}${FRACTIONS[inDay % 1000]}+00`;

    const unique = fmix32(row ^ salt);
    const shape = random.u32() % 100;
    let transactionId: string;
    if (shape < 85) {
      transactionId = uuid(random, unique);
    } else if (shape < 90) {
      transactionId = String(unique);
    } else if (shape < 95) {
      // `date`'s output as some clients send it: the day of month padded with a space.
      const date = new Date(start + offset - 8 * 3_600_000);
      const dayOfMonth = date.getUTCDate();
      transactionId =
        `${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${dayOfMonth < 10 ? ' ' : ''}${dayOfMonth} ` +
        `${date.toISOString().slice(11, 19)} PST ${date.getUTCFullYear()} #${unique}`;
    } else if (shape < 98) {
      const iso = `${dayPrefixes[day]?.slice(0, 10)}T${clock}Z`;
      transactionId = `${uuid(random, unique)}_${REGIONS[unique % REGIONS.length]}_${iso}`;
    } else {
      transactionId = `${uuid(random, unique)}-${unique % 10}`;
    }
    const eventType = random.float() < PROXY_SHARE ? 'INGEST-WITH-PROXY' : 'INGEST';
    block += `${ids[customer]},${eventType},${transactionId},${timestamp}\n`;
    if (block.length >= BLOCK_CHARS) {
      yield block;
      block = '';
    }
  }
  if (block !== '') yield block;
}

/** Writes the generated CSV to `out`, waiting whenever it is full, and resolves with the rows written. */
export async function writeGeneratedEvents(options: GenerateOptions, out: Writable): Promise<number> {
  for (const block of generateEventBlocks(options)) {
    if (!out.write(block)) await once(out, 'drain');
  }
  return options.rows;
}
