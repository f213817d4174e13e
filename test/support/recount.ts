import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/*
 * The tests' own reading of event files, written apart from the loader (no import from core/,
 * loader/, lambda/ or local/), so that a test compares the product with a second, plain opinion.
 */

/** One event of the CSV, read without any product code. */
export interface RawEvent {
  customer: string;
  time: number;
}

/** An event the recount counts: the first row of its (customer, UTC hour, transaction_id). */
export interface CountedEvent extends RawEvent {
  eventType: string;
  /** The id's bytes, one character per byte (latin1), without the spaces and tabs around it. */
  transactionId: string;
  /** Which input (0-based) and which line of it (1-based) carried the event first. */
  input: number;
  line: number;
}

/** A line of an input, by input (0-based) and line number (1-based). */
export interface LineRef {
  input: number;
  line: number;
}

/** What reading several inputs together found. */
export interface Recount {
  /** The distinct events, in the order they first came. */
  events: CountedEvent[];
  /** Lines that are not blank, header lines included. */
  rows: number;
  /** Header lines (the column names) as the first row of an input. */
  headers: number;
  /** Rows repeating an event counted before: same customer, hour and id, same type and time. */
  repeats: LineRef[];
  /** Rows reusing a counted (customer, hour, id) with another type or time: not counted. */
  conflicts: LineRef[];
  /** Rows that are no event: wrong number of fields, bad quoting, empty field or bad timestamp. */
  unreadable: (LineRef & { text: string })[];
}

const HOUR = 3_600_000;
const COLUMNS = ['customer_id', 'event_type', 'transaction_id', 'timestamp'];
const CUSTOMER = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?(Z|[+-]\d\d(?::?\d\d)?)?$/;

/** Epoch milliseconds of an ISO-8601 / `2021-03-01 00:03:21.74+00` timestamp, or undefined. */
function readTimestamp(text: string): number | undefined {
  const match = TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match;
  const local = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  // Date.UTC rolls 25:00 or February 30 over into the next day: such a timestamp is not valid.
  if (new Date(local).toISOString().slice(0, 19) !== `${year}-${month}-${day}T${hour}:${minute}:${second}`) {
    return undefined;
  }
  // Fraction digits past the millisecond are cut, never rounded.
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const offset = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
  const offsetMinutes =
    offset === null ? 0 : (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3] ?? 0));
  return local + millis - offsetMinutes * 60_000;
}

/** The fields of one CSV line (double quotes per RFC 4180), or undefined when its quoting is broken. */
function splitFields(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line[at] === '"') {
      let value = '';
      let i = at + 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return undefined;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(value);
      if (at === line.length) return fields;
      if (line[at] !== ',') return undefined;
      at++;
    } else {
      const comma = line.indexOf(',', at);
      fields.push(line.slice(at, comma === -1 ? line.length : comma));
      if (comma === -1) return fields;
      at = comma + 1;
    }
  }
}

const trim = (field: string) => field.replace(/^[ \t]+|[ \t]+$/g, '');

/** The bytes of an input: a string is UTF-8 text; gzip is unpacked. */
function bytesOf(input: Buffer | string): Buffer {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/**
 * Reads several inputs as one stream of events and counts each event once: an event is its
 * transaction_id within its customer and UTC hour, the first row that carries it wins, and a later
 * row with the same id in that customer and hour is a repeat (same type and time) or a conflict.
 * Each input may be gzip, may start with a UTF-8 byte order mark and a header line, and may end its
 * lines with LF or CRLF; spaces and tabs around fields do not count. Bytes are kept as they are
 * (latin1), so ids that differ in bytes that are not UTF-8 stay apart.
 */
export function recountInputs(inputs: readonly (Buffer | string)[]): Recount {
  const result: Recount = { events: [], rows: 0, headers: 0, repeats: [], conflicts: [], unreadable: [] };
  const counted = new Map<string, string>();
  inputs.forEach((input, index) => {
    let text = bytesOf(input).toString('latin1');
    if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
    let rowsOfInput = 0;
    text.split('\n').forEach((rawLine, i) => {
      const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      const ref = { input: index, line: i + 1 };
      if (trim(line) === '') return;
      result.rows++;
      rowsOfInput++;
      const fields = splitFields(line)?.map(trim);
      if (rowsOfInput === 1 && fields?.map((field) => field.toLowerCase()).join() === COLUMNS.join()) {
        result.headers++;
        return;
      }
      const [customer = '', eventType = '', transactionId = '', stamp = ''] = fields ?? [];
      const time = readTimestamp(stamp);
      if (
        fields?.length !== 4 ||
        !CUSTOMER.test(customer) ||
        eventType === '' ||
        transactionId === '' ||
        time === undefined
      ) {
        result.unreadable.push({ ...ref, text: line });
        return;
      }
      const key = `${customer}\n${Math.floor(time / HOUR)}\n${transactionId}`;
      const content = `${eventType}\n${time}`;
      const first = counted.get(key);
      if (first === undefined) {
        counted.set(key, content);
        result.events.push({ customer, time, eventType, transactionId, ...ref });
      } else if (first === content) {
        result.repeats.push(ref);
      } else {
        result.conflicts.push(ref);
      }
    });
  });
  return result;
}

/** `recountInputs` over files read from disk (plain or gzip). */
export function recountFiles(paths: readonly string[]): Recount {
  return recountInputs(paths.map((path) => readFileSync(path)));
}

/**
 * The distinct events of one file. Throws on a line that is not an event, so a test never compares
 * with a recount that skipped something silently.
 */
export function readRawEvents(path: string): RawEvent[] {
  const { events, unreadable } = recountFiles([path]);
  const [bad] = unreadable;
  if (bad !== undefined) throw new Error(`recount cannot read line ${bad.line} of ${path}: ${bad.text}`);
  return events;
}

/** Counts the events of `customer` in `[from, to)` by looking at every event. */
export function recount(events: readonly RawEvent[], customer: string, from: number, to: number): number {
  return events.filter((event) => event.customer === customer && event.time >= from && event.time < to)
    .length;
}

/** Events per customer and UTC hour (`2021-03-01T04`), hours in order: the counters a table should hold. */
export function hourlyCounts(events: readonly RawEvent[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const { customer, time } of [...events].sort((a, b) => a.time - b.time)) {
    const hour = new Date(time - (time % HOUR)).toISOString().slice(0, 13);
    const byHour = counts[customer] ?? {};
    byHour[hour] = (byHour[hour] ?? 0) + 1;
    counts[customer] = byHour;
  }
  return counts;
}
