/**
 * Splitting a large plain CSV into byte ranges that can be loaded independently: each range owns
 * the lines that start inside it, so every line belongs to exactly one range whatever the cuts,
 * and no range needs to know where the lines of another begin. Pure: no I/O.
 */

/** Bytes `[start, end)` of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Cuts `size` bytes into the fewest ranges of at most `maxBytes`, of nearly equal size. An object
 * of at most `maxBytes` is one range.
 */
export function planByteRanges(size: number, maxBytes: number): ByteRange[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be >= 0; received ${size}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer; received ${maxBytes}`);
  }
  const parts = Math.max(1, Math.ceil(size / maxBytes));
  const step = Math.ceil(size / parts);
  return Array.from({ length: parts }, (_, i) => ({
    start: Math.min(i * step, size),
    end: Math.min((i + 1) * step, size),
  }));
}

/**
 * Where to start reading to find the lines a range owns: one byte early, since a line starts at
 * `start` exactly when the byte before it is a line end.
 */
export function readStartOf(range: ByteRange): number {
  return range.start > 0 ? range.start - 1 : 0;
}

const LF = 0x0a;

/**
 * The bytes of the lines that start in `range`, from `chunks`: the object's bytes from
 * `readStartOf(range)` to (at least) the end of the last such line. Bytes before the first line
 * start are skipped; the last line is followed past `range.end` to its line end (or the end of
 * the object), and then the generator stops, so the caller may stop reading there. A range inside
 * one long line owns nothing and yields nothing.
 */
export async function* ownedLines(
  chunks: AsyncIterable<Uint8Array>,
  range: ByteRange,
): AsyncGenerator<Buffer> {
  // The absolute offset of the next byte of `chunks`.
  let at = readStartOf(range);
  let seekingLineStart = range.start > 0;
  for await (const bytes of chunks) {
    let chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (seekingLineStart) {
      const lineEnd = chunk.indexOf(LF);
      if (lineEnd === -1) {
        at += chunk.length;
        continue;
      }
      seekingLineStart = false;
      at += lineEnd + 1;
      chunk = chunk.subarray(lineEnd + 1);
      if (at >= range.end) return;
    }
    // The last owned line is the one holding byte `end - 1`: it ends at the first LF from there
    // (which may come chunks later; a negative offset would make indexOf count from the end).
    const lastByte = Math.max(0, range.end - 1 - at);
    if (lastByte < chunk.length) {
      const lineEnd = chunk.indexOf(LF, lastByte);
      if (lineEnd !== -1) {
        yield chunk.subarray(0, lineEnd + 1);
        return;
      }
    }
    if (chunk.length > 0) yield chunk;
    at += chunk.length;
  }
}

/** True when bytes start with the gzip magic number (how the loader recognises gzip). */
export function isGzipHead(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}
