import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyCustomerRows } from '../../bench/customer-subset';
import {
  csvTimestamp,
  type HotHoursSpec,
  hotHourEventBlocks,
  planEdgeRequests,
  prepareHotHoursFile,
} from '../../bench/hot-hours';
import { summarizeStorage } from '../../bench/storage';
import { validateEventRow } from '../../loader/event-row';

const HOUR = 3_600_000;
const SPEC: HotHoursSpec = {
  id: 'test-hot',
  customerId: 'hot-customer',
  hotHour: Date.UTC(2021, 2, 1, 10),
  hotEvents: 300,
  quietHour: Date.UTC(2021, 2, 1, 14),
  quietEvents: 7,
  seed: 5,
};

const rowsOf = (text: string) => text.split('\n').slice(0, -1);

describe('csvTimestamp', () => {
  it("writes the data set's format with three fraction digits", () => {
    expect(csvTimestamp(Date.UTC(2021, 2, 1, 4, 3, 21, 74))).toBe('2021-03-01 04:03:21.074+00');
  });
});

describe('hotHourEventBlocks', () => {
  const text = [...hotHourEventBlocks(SPEC)].join('');
  const rows = rowsOf(text);

  it('writes the hot and the quiet events of one customer, every one a valid row inside its hour', () => {
    expect(rows).toHaveLength(307);
    const hours = rows.map((row, i) => {
      const result = validateEventRow(row.split(','));
      if (!result.ok) throw new Error(`row ${i + 1} rejected: ${result.reason}`);
      expect(result.event.customerId).toBe('hot-customer');
      return Math.floor(result.event.time / HOUR) * HOUR;
    });
    expect(hours.filter((hour) => hour === SPEC.hotHour)).toHaveLength(300);
    expect(hours.filter((hour) => hour === SPEC.quietHour)).toHaveLength(7);
  });

  it('gives every event its own transaction_id', () => {
    expect(new Set(rows.map((row) => row.split(',')[2])).size).toBe(rows.length);
  });

  it('writes the same bytes for the same spec and others for another seed', () => {
    expect([...hotHourEventBlocks(SPEC)].join('')).toBe(text);
    expect([...hotHourEventBlocks({ ...SPEC, seed: 6 })].join('')).not.toBe(text);
  });
});

describe('prepareHotHoursFile', () => {
  it('writes the file once and reuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hot-hours-'));
    try {
      const file = await prepareHotHoursFile(SPEC, dir);
      expect(rowsOf(readFileSync(file, 'utf8'))).toHaveLength(307);
      writeFileSync(file, 'kept\n');
      expect(await prepareHotHoursFile(SPEC, dir)).toBe(file);
      expect(readFileSync(file, 'utf8')).toBe('kept\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('planEdgeRequests', () => {
  const hour = SPEC.hotHour;
  const requests = planEdgeRequests('c', hour, 50, 1);

  it('cuts the hour at a distinct millisecond in every request', () => {
    const cuts = requests.map((r, i) => (i % 2 === 0 ? r.start : r.end));
    expect(new Set(cuts).size).toBe(50);
    for (const cut of cuts) {
      expect(cut).toBeGreaterThan(hour);
      expect(cut).toBeLessThan(hour + HOUR);
    }
  });

  it('leaves every other edge of a request on a whole hour', () => {
    requests.forEach((request, i) => {
      if (i % 2 === 0) expect(request.end).toBe(hour + 2 * HOUR);
      else expect(request.start).toBe(hour - HOUR);
    });
  });

  it('refuses more cuts than an hour has milliseconds', () => {
    expect(() => planEdgeRequests('c', hour, HOUR, 1)).toThrow('at most 3599999 distinct cuts');
  });
});

describe('summarizeStorage', () => {
  it('sizes items by kind with 100 bytes of overhead each, per event', () => {
    const items = [
      { pk: 'C#a', sk: 'H#2021-03-01T10', count: 4 },
      { pk: 'C#a', sk: 'I#2021-03-01T10#000001#0000', offsets: new Uint8Array(16), events: 4 },
      { pk: 'C#a', sk: 'X#2021-03-01T10#000001#0000', digests: new Uint8Array(48), events: 4 },
    ];

    const storage = summarizeStorage(items, 4);

    expect(storage.kinds.map((kind) => [kind.kind, kind.items])).toEqual([
      ['H', 1],
      ['I', 1],
      ['X', 1],
    ]);
    // pk 2+3, sk 2+27, digests 7+48, events 6+2 (one significant digit: 2 bytes), overhead 100.
    expect(storage.kinds[2]?.bytes).toBe(197);
    expect(storage.dedupBytesPerEvent).toBe(49.25);
    expect(storage.totalBytesPerEvent).toBe(
      Math.round(((storage.kinds[0]?.bytes ?? 0) + (storage.kinds[1]?.bytes ?? 0) + 197) * 25) / 100,
    );
    expect(storage.queryBytesPerEvent + storage.dedupBytesPerEvent).toBeCloseTo(
      storage.totalBytesPerEvent,
      1,
    );
  });
});

describe('copyCustomerRows', () => {
  it("copies the chosen customers' lines byte for byte, quotes and a last line without newline included", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subset-'));
    try {
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.csv');
      writeFileSync(
        input,
        'a,INGEST,"x, y",2021-03-01 00:00:00+00\nb,INGEST,2,2021-03-01 00:00:01+00\r\n' +
          'c,INGEST,3,2021-03-01 00:00:02+00\na,INGEST,4,2021-03-01 00:00:03+00',
      );

      const copied = await copyCustomerRows(input, output, ['a', 'b']);

      expect(copied).toBe(3);
      expect(readFileSync(output, 'utf8')).toBe(
        'a,INGEST,"x, y",2021-03-01 00:00:00+00\nb,INGEST,2,2021-03-01 00:00:01+00\r\n' +
          'a,INGEST,4,2021-03-01 00:00:03+00\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
