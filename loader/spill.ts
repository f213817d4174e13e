import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUR_MS } from '../core/time';
import { CustomerTable } from './customers';

/** Words per spilled row: customer number, hour number, offset, digest high and low, fingerprint, line. */
export const SPILL_RECORD_WORDS = 7;
const RECORD_WORDS = SPILL_RECORD_WORDS;
const RECORD_BYTES = RECORD_WORDS * 4;
/** Rows gathered per partition before they go to its file. */
const CHUNK_RECORDS = 2_048;
/** Records read back at a time. */
const READ_RECORDS = 32_768;

/** One spilled row, as read back. */
export interface SpilledRow {
  customerId: string;
  /** Epoch milliseconds. */
  time: number;
  digestHi: number;
  digestLo: number;
  fingerprint: number;
  line: number;
}

/**
 * Rows spilled to temporary files, partitioned by (customer, hour), for an input that does not fit
 * the loader's buffer. Read back one partition at a time, each (customer, hour) comes back whole, so
 * the loader writes each hour once however the input is ordered, where writing the buffer whenever
 * it fills would write every hour of a randomly ordered input once per buffer. 28 bytes a row on
 * disk, freed when the load ends however it ends; in memory, a chunk per partition and the customer ids.
 */
export class SpillFiles {
  private readonly dir: string;
  private readonly fds: number[];
  private readonly chunks: Uint32Array[];
  private readonly filled: number[];
  /** Rows spilled. */
  rows = 0;
  /** Rows spilled, by partition. */
  private readonly partitionRows: number[];

  constructor(
    readonly partitions = 64,
    parent: string = tmpdir(),
    /** Names the customer numbers of `addEvent`: the load's own table. */
    private readonly customers = new CustomerTable(),
  ) {
    this.dir = mkdtempSync(join(parent, 'event-counts-spill-'));
    this.fds = Array.from({ length: partitions }, (_, i) => openSync(join(this.dir, `${i}.bin`), 'w+'));
    // Unlinked at once, kept open: the space goes back when the process ends, killed or not.
    rmSync(this.dir, { recursive: true, force: true });
    this.chunks = Array.from({ length: partitions }, () => new Uint32Array(CHUNK_RECORDS * RECORD_WORDS));
    this.filled = Array.from({ length: partitions }, () => 0);
    this.partitionRows = Array.from({ length: partitions }, () => 0);
  }

  /** Spills one row. */
  add(row: SpilledRow): void {
    const { customerId, time, digestHi, digestLo, fingerprint, line } = row;
    this.addEvent(this.customers.numberOf(customerId), time, digestHi, digestLo, fingerprint, line);
  }

  /** Spills one row whose customer is given by its number in the `CustomerTable`. */
  addEvent(
    customer: number,
    time: number,
    digestHi: number,
    digestLo: number,
    fingerprint: number,
    line: number,
  ): void {
    const hourNumber = Math.floor(time / HOUR_MS);
    const partition =
      (Math.imul(customer ^ Math.imul(hourNumber, 0x9e3779b1), 0x85ebca6b) >>> 0) % this.partitions;
    const chunk = this.chunks[partition] as Uint32Array;
    const at = (this.filled[partition] as number) * RECORD_WORDS;
    chunk[at] = customer;
    chunk[at + 1] = hourNumber;
    chunk[at + 2] = time - hourNumber * HOUR_MS;
    chunk[at + 3] = digestHi;
    chunk[at + 4] = digestLo;
    chunk[at + 5] = fingerprint;
    chunk[at + 6] = line;
    this.rows++;
    this.partitionRows[partition] = (this.partitionRows[partition] as number) + 1;
    this.filled[partition] = (this.filled[partition] as number) + 1;
    if (this.filled[partition] === CHUNK_RECORDS) this.flush(partition);
  }

  /** Rows spilled to one partition. */
  rowsIn(partition: number): number {
    return this.partitionRows[partition] as number;
  }

  private flush(partition: number): void {
    const records = this.filled[partition] as number;
    if (records === 0) return;
    const chunk = this.chunks[partition] as Uint32Array;
    writeSync(this.fds[partition] as number, chunk, 0, records * RECORD_BYTES);
    this.filled[partition] = 0;
  }

  /**
   * The rows of one partition, in the order they were spilled, a block at a time, as records of
   * SPILL_RECORD_WORDS words: customer number, hour number, offset in the hour, digest high and
   * low, fingerprint, line. A block is valid until the next one is read.
   */
  *readBlocks(partition: number): Generator<Uint32Array> {
    this.flush(partition);
    const fd = this.fds[partition] as number;
    const block = new Uint32Array(READ_RECORDS * RECORD_WORDS);
    for (let position = 0; ; ) {
      const bytes = readSync(fd, block, 0, block.byteLength, position);
      if (bytes === 0) return;
      position += bytes;
      yield block.subarray(0, bytes / 4);
    }
  }

  /** The rows of one partition, in the order they were spilled, a block at a time. */
  *read(partition: number): Generator<SpilledRow[]> {
    for (const block of this.readBlocks(partition)) {
      const rows: SpilledRow[] = [];
      for (let at = 0; at < block.length; at += RECORD_WORDS) {
        rows.push({
          customerId: this.customers.ids[block[at] as number] as string,
          time: (block[at + 1] as number) * HOUR_MS + (block[at + 2] as number),
          digestHi: block[at + 3] as number,
          digestLo: block[at + 4] as number,
          fingerprint: block[at + 5] as number,
          line: block[at + 6] as number,
        });
      }
      yield rows;
    }
  }

  /** Closes the files, which frees their space. */
  remove(): void {
    for (const fd of this.fds) closeSync(fd);
  }
}
