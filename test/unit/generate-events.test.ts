import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { validateEventRow } from '../../loader/event-row';
import {
  type GenerateOptions,
  generateEventBlocks,
  InvalidGenerateOptionError,
  writeGeneratedEvents,
} from '../../loader/generate-events';

const OPTIONS: GenerateOptions = { rows: 20_000, customers: 40, days: 3, seed: 42 };

function generate(options: GenerateOptions): string {
  return [...generateEventBlocks(options)].join('');
}

function lines(text: string): string[] {
  return text.split('\n').slice(0, -1);
}

describe('generateEventBlocks', () => {
  let text: string;

  beforeAll(() => {
    text = generate(OPTIONS);
  });

  it('produces the same bytes for the same options', () => {
    const again = generate(OPTIONS);

    expect(createHash('sha256').update(again).digest('hex')).toBe(
      createHash('sha256').update(text).digest('hex'),
    );
  });

  it('produces different rows for a different seed', () => {
    const other = generate({ ...OPTIONS, seed: 43 });

    expect(lines(other)[0]).not.toBe(lines(text)[0]);
  });

  it('writes exactly the rows asked for, each ending with a newline and no header', () => {
    expect(text.endsWith('\n')).toBe(true);
    expect(lines(text)).toHaveLength(OPTIONS.rows);
    expect(lines(text)[0]?.startsWith('customer_id')).toBe(false);
  });

  it('writes only rows the loader accepts, inside the requested days', () => {
    const start = Date.UTC(2021, 2, 1);
    const rejected: string[] = [];
    for (const line of lines(text)) {
      const row = validateEventRow(line.split(','));
      if (!row.ok) rejected.push(`${line}: ${row.reason}`);
      else if (row.event.time < start || row.event.time >= start + 3 * 86_400_000) rejected.push(line);
    }

    expect(rejected).toEqual([]);
  });

  const FORMAT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{0,2}[1-9])?\+00$/;

  it('writes timestamps like the data set: space, 0 to 3 fraction digits without trailing zeros, +00', () => {
    const timestamps = lines(text).map((line) => line.slice(line.lastIndexOf(',') + 1));
    const fractionDigits = new Set(
      timestamps.map((timestamp) =>
        timestamp.includes('.') ? timestamp.length - timestamp.indexOf('.') - 4 : 0,
      ),
    );

    expect(timestamps.filter((timestamp) => !FORMAT.test(timestamp))).toEqual([]);
    expect([...fractionDigits].sort()).toEqual([0, 1, 2, 3]);
  });

  it('gives every row its own transaction_id, in several shapes', () => {
    const ids = lines(text).map((line) => line.split(',')[2] as string);
    const shapes = {
      uuid: ids.filter((id) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id),
      ),
      integer: ids.filter((id) => /^\d+$/.test(id)),
      date: ids.filter((id) => /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} PST \d{4} /.test(id)),
      suffixed: ids.filter((id) => /^[0-9a-f-]{36}(_[a-z]+-[a-z]+-\d_\S+Z|-\d)$/.test(id)),
    };

    expect(new Set(ids).size).toBe(ids.length);
    for (const matching of Object.values(shapes)) expect(matching.length).toBeGreaterThan(100);
    expect(ids.some((id) => /^[A-Z][a-z]{2} [A-Z][a-z]{2} {2}\d /.test(id))).toBe(true);
  });

  it('gives one customer most events and spreads the rest over many light customers', () => {
    const perCustomer = new Map<string, number>();
    for (const line of lines(text)) {
      const customer = line.slice(0, line.indexOf(','));
      perCustomer.set(customer, (perCustomer.get(customer) ?? 0) + 1);
    }
    const counts = [...perCustomer.values()].sort((a, b) => b - a);

    expect(perCustomer.size).toBe(OPTIONS.customers);
    expect((counts[0] as number) / OPTIONS.rows).toBeCloseTo(0.6, 1);
    expect(counts[1] as number).toBeLessThan((counts[0] as number) / 5);
  });

  it('is not sorted by time', () => {
    const times = lines(text)
      .slice(0, 100)
      .map((line) => line.slice(line.lastIndexOf(',') + 1));

    expect(times).not.toEqual([...times].sort());
  });

  it.each([
    [{ rows: -1 }, '--rows must be an integer from 0 to 2^32; received -1'],
    [{ customers: 0 }, '--customers must be an integer >= 1; received 0'],
    [{ days: 1.5 }, '--days must be an integer from 1 to 36600; received 1.5'],
    [{ heavyShare: 2 }, '--heavy-share must be a number from 0 to 1; received 2'],
  ])('rejects %p with a message naming the option', (override, message) => {
    expect(() => generate({ ...OPTIONS, ...override })).toThrow(new InvalidGenerateOptionError(message));
  });
});

describe('writeGeneratedEvents', () => {
  it('streams the same bytes as the blocks, waiting for a slow reader', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of out) received.push(chunk as Buffer);
    })();

    const rows = await writeGeneratedEvents({ ...OPTIONS, rows: 5_000 }, out);
    out.end();
    await reading;

    expect(rows).toBe(5_000);
    expect(Buffer.concat(received).toString()).toBe(generate({ ...OPTIONS, rows: 5_000 }));
  });
});
