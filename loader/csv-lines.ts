import { CsvError, parse } from 'csv-parse/sync';

/**
 * Longest line kept whole. A valid row is a few hundred characters; a longer line is rejected, and
 * only this much of it is held in memory (a file without line breaks must not fill the memory).
 */
export const MAX_LINE_CHARS = 65_536;

/** Text read one character per byte, decoded as the UTF-8 it holds (invalid bytes become U+FFFD). */
export function utf8(latin1: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: testing for bytes outside ASCII
  return /[^\u0000-\u007f]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

/** The fields of one line, or why its quoting cannot be read. */
export type LineFields = { ok: true; fields: string[] } | { ok: false; reason: string };

const QUOTE_ERRORS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters than a comma',
};

function parseLine(line: string, relaxQuotes: boolean): string[] {
  const records = parse(line, {
    relax_quotes: relaxQuotes,
    relax_column_count: true,
    record_delimiter: '\n',
  });
  return (records[0] ?? []) as string[];
}

/**
 * Splits one line into fields. Lines without a double quote (nearly all) are split on commas;
 * the others go through csv-parse, so `"a, b"` is one field and `""` an escaped quote. A quote
 * inside an unquoted field is kept as it is (`a"b`); text after a closing quote (`"a"b`) and an
 * unclosed quote make the line a reject.
 */
export function splitCsvLine(line: string): LineFields {
  if (!line.includes('"')) return { ok: true, fields: line.split(',') };
  let failure: CsvError;
  try {
    return { ok: true, fields: parseLine(line, false) };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    failure = error;
  }
  if (failure.code === 'INVALID_OPENING_QUOTE') {
    try {
      return { ok: true, fields: parseLine(line, true) };
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      failure = error;
    }
  }
  return { ok: false, reason: `malformed CSV quoting: ${QUOTE_ERRORS[failure.code] ?? failure.message}` };
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Cuts bytes into pieces of whole lines, so that each piece can be parsed alone (in another thread,
 * loader/parse-worker.ts): a piece ends just after a line feed, and the bytes after the last one
 * are carried to the next piece. Strips a UTF-8 byte order mark at the start. A line without an end is carried only to `MAX_LINE_CHARS + 1` bytes, so a file without line
 * breaks does not fill the memory; its length still tells that it was too long.
 */
export class WholeLineSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private started: boolean;

  /** `startsMidInput`: the bytes continue an input from a line start, so they have no byte order mark. */
  constructor({ startsMidInput = false }: { startsMidInput?: boolean } = {}) {
    this.started = startsMidInput;
  }

  /** The whole lines that `chunk` completes, with their line ends (empty when it completes none). */
  push(chunk: Buffer): Buffer {
    let bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = EMPTY;
    if (!this.started) {
      if (bytes.length < BOM.length && BOM.subarray(0, bytes.length).equals(bytes)) {
        this.carry = Buffer.from(bytes);
        return EMPTY;
      }
      this.started = true;
      if (bytes.subarray(0, BOM.length).equals(BOM)) bytes = bytes.subarray(BOM.length);
    }
    const lastEnd = bytes.lastIndexOf(LF);
    const rest = lastEnd === -1 ? bytes : bytes.subarray(lastEnd + 1);
    if (rest.length > 0) {
      // Copied, so that a carried line does not keep a whole chunk alive.
      this.carry = Buffer.from(rest.subarray(0, MAX_LINE_CHARS + 1));
    }
    return lastEnd === -1 ? EMPTY : bytes.subarray(0, lastEnd + 1);
  }

  /** The last line when the input does not end with a line break. */
  end(): Buffer {
    const rest = this.carry;
    this.carry = EMPTY;
    return rest;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Where the lines of `bytes` (whole lines, the last one with or without its end) lie, without
 * their line ends (LF, or CRLF): line `i` is `bytes[bounds[2i]..bounds[2i+1])`. Returns the count.
 */
export function findLines(bytes: Buffer, bounds: { array: Int32Array }): number {
  let count = 0;
  let from = 0;
  while (from < bytes.length) {
    let end = bytes.indexOf(LF, from);
    if (end === -1) end = bytes.length;
    if (2 * count + 2 > bounds.array.length) {
      const grown = new Int32Array(bounds.array.length * 2);
      grown.set(bounds.array);
      bounds.array = grown;
    }
    bounds.array[2 * count] = from;
    bounds.array[2 * count + 1] = end > from && bytes[end - 1] === CR ? end - 1 : end;
    count++;
    from = end + 1;
  }
  return count;
}
