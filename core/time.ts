/** Milliseconds in one clock hour. */
export const HOUR_MS = 3_600_000;

/** Milliseconds in one UTC day. */
export const DAY_MS = 24 * HOUR_MS;

/** Earliest instant the service stores or answers for: 1970-01-01T00:00:00Z. */
export const MIN_TIME_MS = 0;

/** First instant after the latest one the service accepts: 10000-01-01T00:00:00Z (keys are 4-digit years). */
export const MAX_TIME_MS = Date.UTC(10000, 0, 1);

// Date, then optionally a time with optional seconds and 0-9 fraction digits, then an optional offset.
// The fraction separator is a dot only: ISO 8601 also allows a comma, but API Gateway joins a
// repeated query parameter with commas, and `04:00:00` + `5+05:00` joined must not read as a time.
// RFC 3339 has no comma either, and the CSV data never uses one.
const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const FRACTION_SCALE = [1, 100, 10, 1];

/** Example shown in error messages so a caller can correct a rejected timestamp. */
export const TIMESTAMP_EXAMPLE = '2021-03-01T04:00:00Z';

/** Why a timestamp was rejected, in words that fit after "expected ...". */
export class InvalidTimestampError extends Error {
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${reason}: ${JSON.stringify(value)}`);
    this.name = 'InvalidTimestampError';
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Arithmetic rather than a Date per call: the loader parses every row's timestamp.
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Whether the fields of a timestamp name a real UTC time the service accepts (1970 onwards), for
 * fields already read as non-negative numbers (or NaN, which fails every comparison).
 */
export function isValidDateTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  return (
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

const digitAt = (text: string, i: number) => text.charCodeAt(i) - 48;

/** Two decimal digits at `i`, or NaN when either is not a digit. */
function twoDigits(text: string, i: number): number {
  const tens = digitAt(text, i);
  const ones = digitAt(text, i + 1);
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : Number.NaN;
}

/**
 * The CSV's own shape, `2021-03-01 00:03:21.74+00` with 0 to 3 fraction digits, read digit by
 * digit: the loader parses one per row, and this is several times faster than the pattern. Returns
 * undefined for anything else, or anything invalid or out of range, which the pattern then decides.
 */
function parseCsvTimestamp(text: string): number | undefined {
  const length = text.length;
  const fractionDigits = length - 23;
  if (length !== 22 && (fractionDigits < 1 || fractionDigits > 3 || text[19] !== '.')) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') {
    return undefined;
  }
  if (text[length - 3] !== '+' || text[length - 2] !== '0' || text[length - 1] !== '0') return undefined;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  let millis = 0;
  for (let i = 0; i < 3; i++) {
    const digit = i < fractionDigits ? digitAt(text, 20 + i) : 0;
    if (!(digit >= 0 && digit <= 9)) return undefined;
    millis = millis * 10 + digit;
  }
  // NaN fails every comparison, so a non-digit anywhere falls through to the pattern.
  return isValidDateTime(year, month, day, hour, minute, second)
    ? Date.UTC(year, month - 1, day, hour, minute, second, millis)
    : undefined;
}

/**
 * Parses an ISO-8601 / RFC 3339 timestamp (or the CSV's `2021-03-01 00:03:21.74+00`) to epoch
 * milliseconds. Accepts `T` or a space, `Z`, `±HH:MM`, `±HHMM`, `±HH`, 0-9 fraction digits (cut to
 * the millisecond, never rounded up into the next bucket), no offset meaning UTC, and a bare date
 * meaning midnight UTC.
 *
 * @throws InvalidTimestampError when the text is not such a timestamp or lies outside 1970-9999.
 */
export function parseTimestamp(text: string): number {
  const fast = parseCsvTimestamp(text);
  if (fast !== undefined) return fast;
  const match = TIMESTAMP_PATTERN.exec(text);
  if (match === null) {
    throw new InvalidTimestampError(text, 'not an ISO-8601 timestamp');
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offH, offM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Date.UTC reads years 0-99 as 1900-1999; no year before 1969 reaches the range, whatever the offset.
  if (year < 1969) throw new InvalidTimestampError(text, 'outside 1970-01-01 to 9999-12-31 UTC');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidTimestampError(text, 'no such calendar date');
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new InvalidTimestampError(text, 'no such time of day');
  }
  let millis = 0;
  if (fraction !== undefined) {
    const digits = fraction.length > 3 ? fraction.slice(0, 3) : fraction;
    millis = Number(digits) * (FRACTION_SCALE[digits.length] ?? 1);
  }
  let offsetMinutes = 0;
  if (zulu === undefined && sign !== undefined) {
    const offsetHours = Number(offH);
    const offsetMins = offM === undefined ? 0 : Number(offM);
    if (offsetHours > 23 || offsetMins > 59) {
      throw new InvalidTimestampError(text, 'no such UTC offset');
    }
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  if (epochMs < MIN_TIME_MS || epochMs >= MAX_TIME_MS) {
    throw new InvalidTimestampError(text, 'outside 1970-01-01 to 9999-12-31 UTC');
  }
  return epochMs;
}

/** Start of the UTC clock hour that contains `epochMs`. */
export function hourStart(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS;
}

/** Start of the UTC day that contains `epochMs`. */
export function dayStart(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

/** Formats epoch milliseconds as `2021-03-01T04:00:00.000Z`. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
