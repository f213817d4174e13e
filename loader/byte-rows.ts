import { isCustomerId } from '../core/customer-id';
import { digestTransactionIdBytes, eventTypeHash, fingerprintOfTypeHash } from '../core/digests';
import { isValidDateTime } from '../core/time';
import { ByteTable } from './byte-table';
import { MAX_LINE_CHARS } from './csv-lines';
import type { CustomerTable } from './customers';

const COMMA = 0x2c;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;
const DIGIT_0 = 0x30;
const MS_PER_DAY = 86_400_000;

const isBlank = (byte: number | undefined) => byte === SPACE || byte === TAB;

/** Two decimal digits at `i`, or -1 when either is not a digit. */
function twoDigits(bytes: Uint8Array, i: number): number {
  const tens = (bytes[i] as number) - DIGIT_0;
  const ones = (bytes[i + 1] as number) - DIGIT_0;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (as `Date.UTC` counts them). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The CSV's own timestamp shape, `2021-03-01 00:03:21.74+00` with 0 to 3 fraction digits, read
 * from `bytes[start..end)` as epoch milliseconds; -1 for anything else or anything out of range,
 * which the loader then hands to `parseTimestamp` (core/time.ts) with the rest of the row. It
 * accepts exactly what that function's own fast path accepts, with the same result.
 */
export function parseCsvTimestampBytes(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const fractionDigits = length - 23;
  if (length !== 22 && (fractionDigits < 1 || fractionDigits > 3 || bytes[start + 19] !== 0x2e)) return -1;
  if (
    bytes[start + 4] !== 0x2d ||
    bytes[start + 7] !== 0x2d ||
    bytes[start + 10] !== SPACE ||
    bytes[start + 13] !== 0x3a ||
    bytes[start + 16] !== 0x3a ||
    bytes[end - 3] !== 0x2b ||
    bytes[end - 2] !== DIGIT_0 ||
    bytes[end - 1] !== DIGIT_0
  ) {
    return -1;
  }
  const century = twoDigits(bytes, start);
  const yearOfCentury = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  const hour = twoDigits(bytes, start + 11);
  const minute = twoDigits(bytes, start + 14);
  const second = twoDigits(bytes, start + 17);
  if ((century | yearOfCentury | month | day | hour | minute | second) < 0) return -1;
  let millis = 0;
  for (let i = 0; i < 3; i++) {
    const digit = i < fractionDigits ? (bytes[start + 20 + i] as number) - DIGIT_0 : 0;
    if (!(digit >= 0 && digit <= 9)) return -1;
    millis = millis * 10 + digit;
  }
  const year = century * 100 + yearOfCentury;
  if (!isValidDateTime(year, month, day, hour, minute, second)) return -1;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

/**
 * Reads rows of the CSV from their bytes, for the rows of the usual shape: four unquoted fields, a
 * valid customer id, an event type, a transaction_id and a timestamp as the CSV writes it. Fields
 * are trimmed of spaces and tabs as `validateEventRow` trims them; the customer is found by its
 * bytes in the load's `CustomerTable`, the event type's hash in a table of its own, and the
 * transaction_id is digested from its bytes (the digest of its latin1 string, as stored). Every
 * other line (quotes, blank, header, invalid, other timestamp forms, too long) is left to the
 * string path, which accepts or rejects it with its message; so a line reads the same either way.
 */
export class ByteRowReader {
  /** The fields of the row last read, valid after `read` returned true. */
  customer = 0;
  time = 0;
  digestHi = 0;
  digestLo = 0;
  fingerprint = 0;
  /** Where the trimmed transaction_id lies in the bytes given to `read`. */
  idStart = 0;
  idEnd = 0;

  private readonly eventTypes = new ByteTable();

  constructor(private readonly customers: CustomerTable) {}

  /** Reads the line `bytes[start..end)` (no line end) into the fields; false when it is not of the usual shape. */
  read(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start > MAX_LINE_CHARS) return false;
    // One pass for the three commas and any quote (Buffer.indexOf costs a native call per search),
    // up to the third comma: after it, a comma or a quote would fail the timestamp's checks, which
    // look at every byte between the blanks that are trimmed.
    let comma1 = -1;
    let comma2 = -1;
    let comma3 = -1;
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte === COMMA) {
        if (comma1 === -1) comma1 = i;
        else if (comma2 === -1) comma2 = i;
        else {
          comma3 = i;
          break;
        }
      } else if (byte === QUOTE) {
        return false;
      }
    }
    if (comma3 === -1) return false;

    let from = start;
    let to = comma1;
    while (from < to && isBlank(bytes[from])) from++;
    while (to > from && isBlank(bytes[to - 1])) to--;
    let customer = this.customers.find(bytes, from, to);
    if (customer === -1) {
      const customerId = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
      if (!isCustomerId(customerId)) return false;
      customer = this.customers.add(customerId, bytes, from, to);
    }

    from = comma1 + 1;
    to = comma2;
    while (from < to && isBlank(bytes[from])) from++;
    while (to > from && isBlank(bytes[to - 1])) to--;
    if (from === to) return false;
    let typeHash = this.eventTypes.get(bytes, from, to);
    if (typeHash === -1) {
      const eventType = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
      // Kept as a non-negative number so that -1 stays "not in the table".
      typeHash = eventTypeHash(eventType) >>> 0;
      this.eventTypes.set(bytes, from, to, typeHash);
    }

    from = comma2 + 1;
    to = comma3;
    while (from < to && isBlank(bytes[from])) from++;
    while (to > from && isBlank(bytes[to - 1])) to--;
    if (from === to) return false;
    const idStart = from;
    const idEnd = to;

    from = comma3 + 1;
    to = end;
    while (from < to && isBlank(bytes[from])) from++;
    while (to > from && isBlank(bytes[to - 1])) to--;
    const time = parseCsvTimestampBytes(bytes, from, to);
    if (time === -1) return false;

    const digest = digestTransactionIdBytes(bytes, idStart, idEnd);
    this.customer = customer;
    this.time = time;
    this.digestHi = digest.hi;
    this.digestLo = digest.lo;
    this.fingerprint = fingerprintOfTypeHash(typeHash, time);
    this.idStart = idStart;
    this.idEnd = idEnd;
    return true;
  }
}
