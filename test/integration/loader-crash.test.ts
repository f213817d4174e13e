import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadSummary } from '../../loader/load-events';
import { compareWithRecount } from '../support/counts';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { generateLines, lf, shuffled } from '../support/events';
import { runLoader, type StartedLoader, startLoader } from '../support/loader-cli';
import { recountInputs } from '../support/recount';

/*
 * The loader CLI killed with SIGKILL while it writes (no handler runs, no cleanup), then run
 * again: the second run counts exactly what the first did not. Small data (2 customers x 4 hours)
 * written in many small buffers, one request at a time, so the kill lands between transactions.
 */

const HOUR = 3_600_000;
const MARCH_1 = Date.UTC(2021, 2, 1);
const CUSTOMERS = ['crash-a', 'crash-b'];
const HOURS = [0, 1, 2, 5].map((h) => MARCH_1 + h * HOUR);
const ROWS = 1500;
/** Events per buffer write in the runs that get killed: about a hundred transactions per load. */
const SLOW = ['--buffer-events', '15', '--concurrency', '1'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the loader CLI killed with SIGKILL part way through, then run again', () => {
  const lines = generateLines({ rows: ROWS, customers: CUSTOMERS, hours: HOURS, seed: 5 });
  const events = recountInputs([lf(lines)]).events;
  const tables: TestTable[] = [];
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-crash-'));
    file = join(dir, 'events.csv');
    writeFileSync(file, lf(lines));
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const newTable = async () => {
    const table = await createTestTable('crash');
    tables.push(table);
    return table;
  };

  const target = (table: TestTable) => ['--endpoint', table.endpoint, '--table', table.tableName];

  /** Events counted in the table so far: the sum of the data's counters. */
  async function counted(table: TestTable): Promise<number> {
    let total = 0;
    for (const customer of CUSTOMERS) {
      const counts = await table.store.queryHourCounts(customer, HOURS[0] as number, HOURS.at(-1) as number);
      for (const count of counts.values()) total += count;
    }
    return total;
  }

  /**
   * Kills the loader with SIGKILL once the table counts at least `share` of the events, and
   * returns how many it counts once the loader is gone.
   */
  async function killAt(table: TestTable, loader: StartedLoader, share: number): Promise<number> {
    while ((await counted(table)) < share * ROWS) {
      if (loader.child.exitCode !== null) {
        const { stdout, stderr } = loader.output();
        throw new Error(`the loader ended before ${share * ROWS} events were counted: ${stderr} ${stdout}`);
      }
      await sleep(20);
    }
    loader.child.kill('SIGKILL');
    const run = await loader.exited;
    expect([run.code, run.signal]).toEqual([null, 'SIGKILL']);
    // A transaction DynamoDB received before the kill still completes; let it land.
    await sleep(500);
    return counted(table);
  }

  async function expectExactCounts(table: TestTable): Promise<void> {
    const { actual, expected } = await compareWithRecount(table.store, events);
    expect(actual).toEqual(expected);
  }

  it('generates rows in few (customer, hour) pairs, each its own event', () => {
    expect(events).toHaveLength(ROWS);
    expect(new Set(events.map((e) => `${e.customer} ${e.time - (e.time % HOUR)}`)).size).toBe(8);
  });

  it.each([
    ['after its first writes', 0.05],
    ['half way', 0.5],
  ])('counts every event once when killed %s and run again', async (_when, share) => {
    const table = await newTable();

    const atKill = await killAt(table, startLoader([file, ...target(table), ...SLOW]), share);
    const rerun = await runLoader([file, ...target(table), '--json']);

    expect(atKill).toBeGreaterThanOrEqual(share * ROWS);
    expect(atKill).toBeLessThan(ROWS);
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      status: 'loaded',
      rows: ROWS,
      accepted: ROWS - atKill,
      duplicates: atKill,
      alreadyCounted: atKill,
      conflicts: 0,
    });
    await expectExactCounts(table);
  });

  it('counts every event once when killed twice, with other buffer sizes, before a run finishes', async () => {
    const table = await newTable();

    const first = await killAt(table, startLoader([file, ...target(table), ...SLOW]), 0.2);
    const second = await killAt(
      table,
      startLoader([file, ...target(table), '--buffer-events', '7', '--concurrency', '1']),
      0.6,
    );
    const last = await runLoader([file, ...target(table), '--json', '--buffer-events', '400']);

    expect(first).toBeLessThan(second);
    expect(second).toBeLessThan(ROWS);
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ accepted: ROWS - second, alreadyCounted: second });
    await expectExactCounts(table);
  });

  it('counts every event once when a stdin load is killed and re-run with the rows in another order', async () => {
    const table = await newTable();
    const firstOrder = lf(shuffled(lines, 101));
    const secondOrder = lf(shuffled(lines, 202));

    const atKill = await killAt(
      table,
      startLoader(['-', ...target(table), ...SLOW], { stdin: firstOrder }),
      0.4,
    );
    const rerun = await runLoader(['-', ...target(table), '--json', '--buffer-events', '100'], {
      stdin: secondOrder,
    });

    expect(firstOrder).not.toEqual(secondOrder);
    expect(atKill).toBeLessThan(ROWS);
    expect([rerun.code, rerun.stderr]).toEqual([0, '']);
    const summary = JSON.parse(rerun.stdout) as LoadSummary;
    expect(summary).toMatchObject({
      source: '-',
      rows: ROWS,
      accepted: ROWS - atKill,
      alreadyCounted: atKill,
    });
    await expectExactCounts(table);
  });
});
