import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  openSync,
  readSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import type { RejectedRow } from './load-events';

const REJECTS_HEADER = 'line,reason,raw';

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Where rejected rows go by default: beside the input file, or for stdin a name of its own made
 * from the load's start time and process id, so two stdin loads never write one file.
 */
export function defaultRejectsPath(input: string, startedAt: Date, pid: number): string {
  if (input !== '-') return `${input}.rejects.csv`;
  return `rejects-${startedAt.toISOString().replaceAll(':', '-').replace('.', '-')}-${pid}.csv`;
}

/** True when both paths name one existing file (the same path, or links to one inode). */
export function isSameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const one = statSync(a);
    const other = statSync(b);
    return one.dev === other.dev && one.ino === other.ino;
  } catch {
    return false;
  }
}

function startsWithRejectsHeader(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(REJECTS_HEADER.length + 1);
    const length = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, length).toString() === `${REJECTS_HEADER}\n`;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes rejected rows to `path` as CSV `line,reason,raw`, creating it (with its header) at the first one. */
export function createRejectsWriter(path: string) {
  let out: WriteStream | undefined;
  let failure: Error | undefined;
  return {
    async write(row: RejectedRow): Promise<void> {
      if (failure !== undefined) throw failure;
      if (out === undefined) {
        out = createWriteStream(path).on('error', (error) => {
          failure = new Error(`cannot write the rejects file ${path}: ${error.message}`);
        });
        out.write(`${REJECTS_HEADER}\n`);
      }
      if (!out.write(`${row.line},${csvField(row.reason)},${csvField(row.raw)}\n`)) await once(out, 'drain');
    },
    /** Flushes the file; without rejects, removes a rejects file an earlier run left at `path`. */
    async close(): Promise<void> {
      if (out !== undefined) {
        out.end();
        await finished(out);
      } else if (startsWithRejectsHeader(path)) {
        rmSync(path);
      }
      if (failure !== undefined) throw failure;
    },
  };
}
