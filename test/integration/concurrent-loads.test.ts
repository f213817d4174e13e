import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDynamoDbClient } from '../../core/config';
import { type CounterStore, createCounterStore } from '../../core/counter-store';
import type { CommitOutcome } from '../../core/store-requests';
import { type LoadSummary, loadEvents } from '../../loader/load-events';
import type { WriteStore } from '../../loader/write-events';
import { compareWithRecount } from '../support/counts';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { lf, shuffled, slice } from '../support/events';
import { runLoader } from '../support/loader-cli';
import { recountInputs } from '../support/recount';
import { sampleLines } from '../support/sample';

/*
 * Loaders running at once on one table, on files that share events: each event is counted by
 * exactly one of them (a transaction guarded by the hour's version wins; the loser re-reads the
 * hour and drops what the winner counted), so the accepted counts add up to the distinct events.
 */

/** A store of its own (own client, own connections) on the table, and how its commits ended. */
function separateStore(table: TestTable) {
  const client = createDynamoDbClient({ endpoint: table.endpoint });
  const store = createCounterStore({ client, tableName: table.tableName });
  const outcomes: CommitOutcome[] = [];
  const tracked: CounterStore = {
    ...store,
    async commit(transaction) {
      const outcome = await store.commit(transaction);
      outcomes.push(outcome);
      return outcome;
    },
  };
  return { store: tracked, outcomes, destroy: () => client.destroy() };
}

function load(store: WriteStore, text: string, bufferEvents: number): Promise<LoadSummary> {
  return loadEvents({ store, input: Readable.from([text]), source: 'test', bufferEvents, concurrency: 4 });
}

const sum = (summaries: readonly LoadSummary[], key: 'accepted' | 'duplicates') =>
  summaries.reduce((total, summary) => total + summary[key], 0);

describe('concurrent loads on one table', () => {
  /** The first day of the sample: about 100 (customer, hour) pairs. */
  const day = sampleLines().filter((line) => line.includes(',2021-03-01 '));
  // Three overlapping exports, each in an order of its own, so the three write the same hours at once.
  const exports = [
    lf(shuffled(slice(day, 0, 0.5), 1)),
    lf(shuffled(slice(day, 0.25, 0.75), 2)),
    lf(shuffled([...slice(day, 0.5, 1), ...slice(day, 0, 0.1)], 3)),
  ];
  const rows = exports.map((text) => text.split('\n').length - 1);
  const tables: TestTable[] = [];
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'concurrent-loads-'));
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event of three overlapping exports once when three loaders run at once', async () => {
    const table = await createTestTable('concurrent');
    tables.push(table);
    const loaders = exports.map(() => separateStore(table));

    const summaries = await Promise.all(
      exports.map((text, i) => load((loaders[i] as (typeof loaders)[number]).store, text, 400)),
    );
    for (const loader of loaders) loader.destroy();

    const union = recountInputs(exports);
    expect(union.events).toHaveLength(day.length);
    expect(summaries.map((summary) => summary.rows)).toEqual(rows);
    expect(sum(summaries, 'accepted')).toBe(union.events.length);
    expect(sum(summaries, 'accepted') + sum(summaries, 'duplicates')).toBe(rows.reduce((a, b) => a + b));
    expect(summaries.map((summary) => summary.conflicts)).toEqual([0, 0, 0]);
    const { actual, expected } = await compareWithRecount(table.store, union.events);
    expect(actual).toEqual(expected);
  });

  /**
   * Runs two loads so that the loser reads its hours first but commits last: its commits wait
   * until the winner, started once the loser reached its first commit, has finished.
   */
  async function race(table: TestTable, loserFile: string, winnerFile: string) {
    const loser = separateStore(table);
    const winner = separateStore(table);
    let reachedCommit: () => void = () => {};
    const loserAtCommit = new Promise<void>((resolve) => {
      reachedCommit = resolve;
    });
    let winnerDone: () => void = () => {};
    const winnerFinished = new Promise<void>((resolve) => {
      winnerDone = resolve;
    });
    const held: WriteStore = {
      ...loser.store,
      async commit(transaction) {
        reachedCommit();
        await winnerFinished;
        return loser.store.commit(transaction);
      },
    };
    try {
      const loserLoad = load(held, loserFile, 100_000);
      await loserAtCommit;
      const winnerSummary = await load(winner.store, winnerFile, 100_000).finally(winnerDone);
      return { winnerSummary, loserSummary: await loserLoad, loserOutcomes: loser.outcomes };
    } finally {
      loser.destroy();
      winner.destroy();
    }
  }

  it('makes the loader that loses a race re-read the hour and count only what the winner did not', async () => {
    const table = await createTestTable('race');
    tables.push(table);
    const loserFile = lf(day);
    const winnerFile = lf(slice(day, 0, 0.7));

    const { winnerSummary, loserSummary, loserOutcomes } = await race(table, loserFile, winnerFile);

    expect(loserOutcomes).toContain('stale');
    expect(winnerSummary.accepted).toBe(slice(day, 0, 0.7).length);
    expect(loserSummary).toMatchObject({
      accepted: day.length - winnerSummary.accepted,
      alreadyCounted: winnerSummary.accepted,
    });
    const { actual, expected } = await compareWithRecount(table.store, recountInputs([loserFile]).events);
    expect(actual).toEqual(expected);
  });

  it('keeps the first and last event of what was counted when the race loser finds its event is a conflict', async () => {
    const table = await createTestTable('race-span');
    tables.push(table);
    // The same transaction_id in the same hour: the winner's 10:01 is counted, the loser's 10:59 is not.
    const winnerFile = lf(['acme,INGEST,t1,2021-03-01 10:01:00+00']);
    const loserFile = lf(['acme,INGEST,t1,2021-03-01 10:59:00+00']);

    const { loserSummary, loserOutcomes } = await race(table, loserFile, winnerFile);

    expect(loserOutcomes).toEqual(['stale']);
    expect(loserSummary).toMatchObject({ accepted: 0, conflicts: 1 });
    expect(await table.store.getCustomer('acme')).toEqual({
      customerId: 'acme',
      firstEventAt: Date.parse('2021-03-01T10:01:00Z'),
      lastEventAt: Date.parse('2021-03-01T10:01:00Z'),
      totalEvents: 1,
    });
  });

  it('counts every event once when three loader CLIs run at once on overlapping files', async () => {
    const table = await createTestTable('concurrent-cli');
    tables.push(table);
    const files = exports.map((text, i) => {
      const file = join(dir, `export-${i}.csv`);
      writeFileSync(file, text);
      return file;
    });

    const runs = await Promise.all(
      files.map((file) =>
        runLoader([
          file,
          '--endpoint',
          table.endpoint,
          '--table',
          table.tableName,
          '--buffer-events',
          '500',
          '--concurrency',
          '4',
          '--json',
        ]),
      ),
    );

    expect(runs.map((run) => [run.code, run.stderr])).toEqual(files.map(() => [0, '']));
    const summaries = runs.map((run) => JSON.parse(run.stdout) as LoadSummary);
    const union = recountInputs(exports);
    expect(summaries.map((summary) => summary.rows)).toEqual(rows);
    expect(sum(summaries, 'accepted')).toBe(union.events.length);
    const { actual, expected } = await compareWithRecount(table.store, union.events);
    expect(actual).toEqual(expected);
  });
});
