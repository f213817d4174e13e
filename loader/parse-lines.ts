import { HOUR_MS } from '../core/time';
import { ByteRowReader } from './byte-rows';
import { findLines } from './csv-lines';
import { CustomerTable } from './customers';

/**
 * Words per line in `ParsedLines.rows`: customer number + 1 (0 when the line is left to the text
 * path), hour number, offset in the hour, digest high and low words, fingerprint, and where the
 * transaction_id starts and ends in the bytes.
 */
export const PARSED_WORDS = 8;

/** A piece of whole lines, each read from its bytes where it has the usual shape (loader/byte-rows.ts). */
export interface ParsedLines {
  bytes: Uint8Array;
  /** Line `i` is `bytes[bounds[2i]..bounds[2i+1])`, without its line end. */
  bounds: Int32Array;
  count: number;
  /** PARSED_WORDS words per line. */
  rows: Uint32Array;
  /** The customers first seen in this piece, in the order of their numbers (the parser's own). */
  newCustomers: string[];
}

/**
 * Reads pieces of whole lines (`WholeLineSplitter`), in input order, from their bytes: the per-row
 * work of a load (splitting, trimming, validating, digesting) that needs nothing but the line, so
 * it can run in another thread (loader/parse-worker.ts) as well as in the loader's own. Numbers
 * customers in the order it first sees them; `newCustomers` tells the loader their ids.
 */
export class LineParser {
  private readonly customers = new CustomerTable();
  private readonly reader = new ByteRowReader(this.customers);
  private readonly bounds = { array: new Int32Array(4096) };

  parse(bytes: Uint8Array): ParsedLines {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const known = this.customers.ids.length;
    const count = findLines(buffer, this.bounds);
    const bounds = this.bounds.array.slice(0, 2 * count);
    const rows = new Uint32Array(count * PARSED_WORDS);
    const reader = this.reader;
    for (let i = 0; i < count; i++) {
      if (!reader.read(buffer, bounds[2 * i] as number, bounds[2 * i + 1] as number)) continue;
      const hourNumber = Math.floor(reader.time / HOUR_MS);
      const at = i * PARSED_WORDS;
      rows[at] = reader.customer + 1;
      rows[at + 1] = hourNumber;
      rows[at + 2] = reader.time - hourNumber * HOUR_MS;
      rows[at + 3] = reader.digestHi;
      rows[at + 4] = reader.digestLo;
      rows[at + 5] = reader.fingerprint;
      rows[at + 6] = reader.idStart;
      rows[at + 7] = reader.idEnd;
    }
    return { bytes, bounds, count, rows, newCustomers: this.customers.ids.slice(known) };
  }
}
