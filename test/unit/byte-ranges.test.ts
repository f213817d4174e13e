import { Readable } from 'node:stream';
import { isGzipHead, ownedLines, planByteRanges, readStartOf } from '../../loader/byte-ranges';

/** The object's bytes from `from` on, in chunks of `size` bytes, as S3 would stream a ranged GET. */
function streamFrom(bytes: Buffer, from: number, size: number): AsyncIterable<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = from; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('latin1');
}

describe('planByteRanges', () => {
  it('keeps an object of at most the range size whole', () => {
    expect(planByteRanges(100, 100)).toEqual([{ start: 0, end: 100 }]);
    expect(planByteRanges(0, 100)).toEqual([{ start: 0, end: 0 }]);
  });

  it('cuts a larger object into the fewest ranges of nearly equal size that cover it', () => {
    expect(planByteRanges(250, 100)).toEqual([
      { start: 0, end: 84 },
      { start: 84, end: 168 },
      { start: 168, end: 250 },
    ]);
    const ranges = planByteRanges(1_000_003, 1000);
    expect(ranges).toHaveLength(1001);
    expect(ranges.every((range, i) => range.start === (ranges[i - 1]?.end ?? 0))).toBe(true);
    expect(ranges.at(-1)?.end).toBe(1_000_003);
    expect(Math.max(...ranges.map((range) => range.end - range.start))).toBeLessThanOrEqual(1000);
  });

  it('refuses a size or range size that is not a whole number of bytes', () => {
    expect(() => planByteRanges(-1, 10)).toThrow('size must be >= 0; received -1');
    expect(() => planByteRanges(10, 0)).toThrow('maxBytes must be a positive integer; received 0');
  });
});

describe('ownedLines', () => {
  const text = Buffer.from(
    'a,INGEST,t1,2021-03-01 00:00:00+00\r\n\nbb,INGEST,t2,2021-03-01 00:00:01+00\n' +
      'ccc,INGEST,"t,3",2021-03-01 00:00:02+00\n\n\nd,INGEST,t4,2021-03-01 00:00:03+00',
    'latin1',
  );

  it('gives every line to exactly one range, whatever the range size and chunk size', async () => {
    for (let rangeBytes = 1; rangeBytes <= text.length; rangeBytes++) {
      for (const chunkSize of [1, 3, 7, 64]) {
        const pieces: string[] = [];
        for (const range of planByteRanges(text.length, rangeBytes)) {
          pieces.push(await collect(ownedLines(streamFrom(text, readStartOf(range), chunkSize), range)));
        }
        expect({ rangeBytes, chunkSize, joined: pieces.join('') }).toEqual({
          rangeBytes,
          chunkSize,
          joined: text.toString('latin1'),
        });
      }
    }
  });

  it('owns the line that starts exactly at its first byte, and not the one starting at its end', async () => {
    const bytes = Buffer.from('aa\nbb\ncc\n');
    const owned = (start: number, end: number) =>
      collect(ownedLines(streamFrom(bytes, readStartOf({ start, end }), 2), { start, end }));
    await expect(owned(3, 6)).resolves.toBe('bb\n');
    await expect(owned(0, 3)).resolves.toBe('aa\n');
    await expect(owned(2, 3)).resolves.toBe('');
    await expect(owned(4, 7)).resolves.toBe('cc\n');
  });

  it('follows its last line past the range end, and owns nothing inside one long line', async () => {
    const bytes = Buffer.from(`x${'y'.repeat(50)}\nz\n`);
    await expect(collect(ownedLines(streamFrom(bytes, 0, 8), { start: 0, end: 10 }))).resolves.toBe(
      `x${'y'.repeat(50)}\n`,
    );
    await expect(collect(ownedLines(streamFrom(bytes, 9, 8), { start: 10, end: 20 }))).resolves.toBe('');
  });

  it('stops reading once its last line has ended', async () => {
    let served = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        served++;
        yield Buffer.from('row\n');
      }
    }
    await expect(collect(ownedLines(endless(), { start: 0, end: 10 }))).resolves.toBe('row\nrow\nrow\n');
    expect(served).toBe(3);
  });
});

describe('isGzipHead', () => {
  it('recognises the gzip magic number as the loader does', () => {
    expect(isGzipHead(Buffer.from([0x1f, 0x8b, 8]))).toBe(true);
    expect(isGzipHead(Buffer.from('c1,INGEST'))).toBe(false);
    expect(isGzipHead(Buffer.from([0x1f]))).toBe(false);
  });
});
