import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SpilledRow, SpillFiles } from '../../loader/spill';

const HOUR = 3_600_000;
const T = Date.UTC(2021, 2, 1);

function row(customerId: string, hour: number, i: number): SpilledRow {
  return { customerId, time: T + hour * HOUR + i, digestHi: i, digestLo: hour, fingerprint: 7, line: i + 1 };
}

describe('SpillFiles', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'spill-unit-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('gives every row back once, each (customer, hour) whole in one partition, in the order spilled', () => {
    const files = new SpillFiles(8, parent);
    const rows = Array.from({ length: 10_000 }, (_, i) => row(`c${i % 7}`, i % 13, i));
    for (const spilled of rows) files.add(spilled);

    const back: SpilledRow[] = [];
    const partitionOf = new Map<string, number>();
    for (let partition = 0; partition < files.partitions; partition++) {
      for (const block of files.read(partition)) {
        for (const spilled of block) {
          const hour = `${spilled.customerId}|${Math.floor(spilled.time / HOUR)}`;
          expect(partitionOf.get(hour) ?? partition).toBe(partition);
          partitionOf.set(hour, partition);
          back.push(spilled);
        }
      }
    }
    files.remove();

    expect(files.rows).toBe(rows.length);
    expect([...back].sort((a, b) => a.line - b.line)).toEqual(rows);
    for (let partition = 0; partition < files.partitions; partition++) {
      const lines = back
        .filter(
          (spilled) =>
            partitionOf.get(`${spilled.customerId}|${Math.floor(spilled.time / HOUR)}`) === partition,
        )
        .map((spilled) => spilled.line);
      expect(lines).toEqual([...lines].sort((a, b) => a - b));
    }
    expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
  });

  it('leaves nothing on disk to clean up, even if the process is killed before remove()', () => {
    const files = new SpillFiles(4, parent);
    files.add(row('c1', 0, 0));

    expect(readdirSync(parent)).toEqual([]);
    expect([...files.read(0), ...files.read(1), ...files.read(2), ...files.read(3)].flat()).toHaveLength(1);
    files.remove();
  });
});
