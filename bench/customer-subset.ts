import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * Copies the lines of a CSV whose first field is one of `customerIds` to `out`, byte for byte
 * (the loader then reads exactly the rows the whole file holds for those customers), and resolves
 * with the number of lines copied. A last line without a newline is copied with one.
 */
export async function copyCustomerRows(
  file: string,
  out: string,
  customerIds: readonly string[],
): Promise<number> {
  const wanted = new Set(customerIds);
  const output = createWriteStream(out);
  let rest: Buffer = Buffer.alloc(0);
  let copied = 0;
  const keep: Buffer[] = [];
  const flush = async () => {
    if (keep.length === 0) return;
    const chunk = Buffer.concat(keep);
    keep.length = 0;
    if (!output.write(chunk)) await once(output, 'drain');
  };
  const take = (line: Buffer) => {
    const comma = line.indexOf(COMMA);
    if (comma > 0 && wanted.has(line.toString('utf8', 0, comma))) {
      keep.push(line);
      copied++;
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const data = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
      take(data.subarray(start, end + 1));
      start = end + 1;
    }
    rest = Buffer.from(data.subarray(start));
    await flush();
  }
  if (rest.length > 0) take(Buffer.concat([rest, Buffer.from('\n')]));
  await flush();
  await new Promise<void>((resolve, reject) =>
    output.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return copied;
}
