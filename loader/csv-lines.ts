import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse } from 'csv-parse/sync';

/**
 * Longest line kept whole. A valid row is a few hundred characters; a longer line is rejected, and
 * only this much of it is held in memory (a file without line breaks must not fill the memory).
 */
export const MAX_LINE_CHARS = 65_536;

/**
 * Splits decoded UTF-8 text into lines: one record per physical line, so a malformed line can
 * never swallow the lines after it. Strips a UTF-8 byte order mark at the start and the `\r` of
 * CRLF line ends. A line longer than `MAX_LINE_CHARS` comes out cut to `MAX_LINE_CHARS + 1`
 * characters, so its length alone tells that it was too long.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private started = false;

  /** The lines that `bytes` completes, without their line ends. */
  push(bytes: Buffer): string[] {
    let text = this.decoder.write(bytes);
    if (!this.started && text !== '') {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
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
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    return rest === '' ? undefined : withoutCr(rest.slice(0, MAX_LINE_CHARS + 1));
  }
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** The fields of one line, or why its quoting cannot be read. */
export type LineFields = { ok: true; fields: string[] } | { ok: false; reason: string };

const QUOTE_ERRORS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters than a comma',
};

/**
 * Splits one line into fields. Lines without a double quote (nearly all) are split on commas;
 * the others go through csv-parse, so `"a, b"` is one field and `""` an escaped quote, and a quote
 * inside an unquoted field is kept as it is.
 */
export function splitCsvLine(line: string): LineFields {
  if (!line.includes('"')) return { ok: true, fields: line.split(',') };
  try {
    const records = parse(line, { relax_quotes: true, relax_column_count: true, record_delimiter: '\n' });
    return { ok: true, fields: (records[0] ?? []) as string[] };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { ok: false, reason: `malformed CSV quoting: ${QUOTE_ERRORS[error.code] ?? error.message}` };
  }
}
