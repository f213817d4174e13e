import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { ROOT, runLoader } from '../support/loader-cli';

const MARCH_1 = Date.UTC(2021, 2, 1);
const HOUR = 3_600_000;
const CUSTOMERS = ['alpha', 'beta', 'gamma'];
const HOURS = 6;

const stamp = (time: number) => new Date(time).toISOString().replace('T', ' ').replace('Z', '+00');

/**
 * About 600 KB of rows, so the loader reads it in many 64 KB pieces (shared by the parsing threads
 * in turn): events, and all through the file repeats of earlier rows (far before, so across
 * pieces), reuses of an id with another time (conflicts), rows for the text path (quoted ids,
 * a header-like line, bad rows) and CRLF line ends.
 */
function mixedInput(): string {
  const lines: string[] = [];
  for (let i = 0; i < 7_000; i++) {
    const customer = CUSTOMERS[i % CUSTOMERS.length] as string;
    const time = MARCH_1 + ((i * 7919) % (HOURS * HOUR));
    const row = `${customer},INGEST,id-${i},${stamp(time)}`;
    lines.push(i % 11 === 0 ? `${row}\r` : row);
    if (i % 97 === 0) lines.push(`${customer},INGEST,"quoted, ${i}",${stamp(time)}`);
    if (i % 89 === 0 && i >= 3000) lines.push(lines[i - 2500] as string);
    if (i % 113 === 0 && i >= 3000) {
      const earlier = i - 2600;
      const earlierTime = MARCH_1 + ((earlier * 7919) % (HOURS * HOUR));
      const customerOf = CUSTOMERS[earlier % CUSTOMERS.length] as string;
      lines.push(
        `${customerOf},INGEST,id-${earlier},${stamp(earlierTime + (earlierTime % HOUR < HOUR / 2 ? 1 : -1))}`,
      );
    }
    if (i % 499 === 0) lines.push(`${customer},INGEST,bad-${i},2021-03-01 25:00:00+00`);
    if (i === 4000) lines.push('customer_id,event_type,transaction_id,timestamp');
  }
  return `${lines.join('\n')}\n`;
}

describe('npm run load with parsing threads', () => {
  let dir: string;
  const tables: TestTable[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-threads-'));
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Loads `file` into a new table; returns the summary (timing left out), the rejects file and the counts. */
  async function load(file: string, name: string, options: string[], bundled = false) {
    const table = await createTestTable('loader-threads');
    tables.push(table);
    const rejects = join(dir, `${name}.rejects.csv`);
    const args = ['--endpoint', table.endpoint, '--table', table.tableName, '--rejects', rejects, '--json'];
    const run = await runLoader([file, ...args, ...options], { bundled });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const {
      seconds: _seconds,
      rowsPerSecond: _rate,
      rejectsFile: _file,
      ...summary
    } = JSON.parse(run.stdout);
    const counts: Record<string, Record<number, number>> = {};
    for (const customer of CUSTOMERS) {
      counts[customer] = Object.fromEntries(
        await table.store.queryHourCounts(customer, MARCH_1, MARCH_1 + HOURS * HOUR),
      );
    }
    // Rejected rows are listed as they are read, in line order; conflicts as the hours are written,
    // several at once, so in an order of their own.
    const listed = readFileSync(rejects, 'utf8').trimEnd().split('\n');
    const conflicts = listed.filter((row) => /^\d+,"?conflict: /.test(row));
    const rejected = listed.filter((row) => !conflicts.includes(row));
    return { summary, rejected, conflicts: conflicts.sort(), counts };
  }

  it.each([
    ['the buffer holds the input', []],
    ['the input is spilled', ['--buffer-events', '1000']],
  ])('gives the same counts, rejects and summary in 2 threads as in one when %s', async (_, options) => {
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, mixedInput());

    const single = await load(file, 'single', ['--parse-threads', '0', ...options]);
    const threaded = await load(file, 'threaded', ['--parse-threads', '2', ...options]);

    expect(threaded).toEqual(single);
    expect(single.summary.duplicates).toBeGreaterThan(30);
    expect(single.summary.conflicts).toBeGreaterThan(20);
    expect(single.summary.rejected).toBeGreaterThan(10);
    expect(single.summary.accepted).toBe(7_000 + Math.ceil(7_000 / 97));
    expect(single.rejected).toHaveLength(1 + single.summary.rejected);
    expect(single.conflicts).toHaveLength(single.summary.conflicts);
  });

  it('gives the same result from the bundle npm run load runs, rebuilt when its sources differ from its stamp', async () => {
    const file = join(dir, 'bundled.csv');
    writeFileSync(file, mixedInput());
    const stamp = join(ROOT, '.cache/loader/inputs.json');
    const bundle = join(ROOT, '.cache/loader/cli.js');
    // A stamp that matches no sources: the launcher must build again.
    await runLoader(['--help'], { bundled: true });
    writeFileSync(stamp, JSON.stringify({ ...JSON.parse(readFileSync(stamp, 'utf8')), digest: 'stale' }));
    const before = statSync(bundle).mtimeMs;

    const bundled = await load(file, 'bundled', ['--parse-threads', '2'], true);
    const fromSources = await load(file, 'sources', ['--parse-threads', '0']);

    expect(bundled).toEqual(fromSources);
    expect(JSON.parse(readFileSync(stamp, 'utf8')).digest).not.toBe('stale');
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(before);
  });
});
