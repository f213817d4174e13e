import { CsvError, parse } from 'csv-parse/sync';

/**
 * Longest line kept whole. A valid row is a few hundred characters; a longer line is rejected, and
 * only this much of it is held in memory (a file without line breaks must not fill the memory).
 */
export const MAX_LINE_CHARS = 65_536;

/** The UTF-8 byte order mark, read as latin1. */
const UTF8_BOM = '\u00ef\u00bb\u00bf';

/**
 * Splits bytes into lines, one character per byte (latin1): no byte is ever decoded away, so two
 * different byte strings never become the same text, and a transaction_id is hashed byte for
 * byte. ASCII reads the same either way; fields that must be text (customer ids, messages) are
 * decoded as UTF-8 where they are used (`utf8`). One record per physical line, so a malformed line
 * can never swallow the lines after it. Strips a UTF-8 byte order mark at the start and the `\r`
 * of CRLF line ends. A line longer than `MAX_LINE_CHARS` comes out cut to `MAX_LINE_CHARS + 1`
 * characters, so its length alone tells that it was too long.
 */
export class LineSplitter {
  private carry = '';
  private started: boolean;
  /** The first bytes while they could still be the start of a byte order mark. */
  private head = '';

  /** `startsMidInput`: the bytes continue an input from a line start, so they have no byte order mark. */
  constructor({ startsMidInput = false }: { startsMidInput?: boolean } = {}) {
    this.started = startsMidInput;
  }

  /** The lines that `bytes` completes, without their line ends. */
  push(bytes: Buffer): string[] {
    let text = bytes.toString('latin1');
    if (!this.started) {
      text = this.head + text;
      if (text.length < UTF8_BOM.length && UTF8_BOM.startsWith(text)) {
        this.head = text;
        return [];
      }
      this.started = true;
      this.head = '';
      if (text.startsWith(UTF8_BOM)) text = text.slice(UTF8_BOM.length);
    }
    const lines: string[] = [];
    let from = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', from)) {
      const piece = text.slice(from, end);
      lines.push(withoutCr(this.carry === '' ? piece : this.carry + piece));
      this.carry = '';
      from = end + 1;
    }
    if (from < text.length) {
      this.carry += text.slice(from);
      if (this.carry.length > MAX_LINE_CHARS) this.carry = this.carry.slice(0, MAX_LINE_CHARS + 1);
    }
    return lines;
  }

  /** The last line when the input does not end with a line break. */
  end(): string | undefined {
    const rest = this.head + this.carry;
    this.head = '';
    this.carry = '';
    return rest === '' ? undefined : withoutCr(rest.slice(0, MAX_LINE_CHARS + 1));
  }
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

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
 * The lines of one chunk, as byte ranges of `bytes`: line `i` is `bytes[bounds[2i]..bounds[2i+1])`,
 * without its line end. Valid until the next `push`.
 */
export interface ByteLines {
  bytes: Buffer;
  bounds: Int32Array;
  count: number;
}

/**
 * Splits bytes into lines as `LineSplitter` does (a UTF-8 byte order mark at the start and the
 * `\r` of CRLF removed, one record per physical line, a line longer than `MAX_LINE_CHARS` cut to
 * `MAX_LINE_CHARS + 1` bytes or more, so that its length tells it was too long), without making a
 * string of each line: the loader reads most rows from their bytes (loader/byte-rows.ts).
 */
export class ByteLineSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private started: boolean;
  private bounds = new Int32Array(2048);

  /** `startsMidInput`: the bytes continue an input from a line start, so they have no byte order mark. */
  constructor({ startsMidInput = false }: { startsMidInput?: boolean } = {}) {
    this.started = startsMidInput;
  }

  /** The lines that `chunk` completes. */
  push(chunk: Buffer): ByteLines {
    let bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    // Bytes before the chunk were seen already: the line end is searched for in the chunk only.
    let searchFrom = this.carry.length;
    this.carry = Buffer.alloc(0);
    if (!this.started) {
      if (bytes.length < BOM.length && BOM.subarray(0, bytes.length).equals(bytes)) {
        this.carry = Buffer.from(bytes);
        return { bytes, bounds: this.bounds, count: 0 };
      }
      this.started = true;
      if (bytes.subarray(0, BOM.length).equals(BOM)) {
        bytes = bytes.subarray(BOM.length);
        searchFrom = Math.max(0, searchFrom - BOM.length);
      }
    }
    let count = 0;
    let from = 0;
    for (let end = bytes.indexOf(LF, searchFrom); end !== -1; end = bytes.indexOf(LF, from)) {
      if (2 * count + 2 > this.bounds.length) {
        const grown = new Int32Array(this.bounds.length * 2);
        grown.set(this.bounds);
        this.bounds = grown;
      }
      this.bounds[2 * count] = from;
      this.bounds[2 * count + 1] = end > from && bytes[end - 1] === CR ? end - 1 : end;
      count++;
      from = end + 1;
    }
    if (from < bytes.length) {
      // Copied: the chunk's memory is not kept alive by a carry, and a line without an end is kept
      // to MAX_LINE_CHARS + 1 bytes, so a file without line breaks does not fill the memory.
      this.carry = Buffer.from(bytes.subarray(from, Math.min(bytes.length, from + MAX_LINE_CHARS + 1)));
    }
    return { bytes, bounds: this.bounds, count };
  }

  /** The last line when the input does not end with a line break, as `[bytes, start, end]`. */
  end(): Buffer | undefined {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    if (rest.length === 0) return undefined;
    return rest[rest.length - 1] === CR ? rest.subarray(0, rest.length - 1) : rest;
  }
}
