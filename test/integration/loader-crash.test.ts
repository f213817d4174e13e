import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, requireEnv } from '../../core/config';
import { planChunks } from '../../core/counter-store';
import { queryHourlyCounts } from '../../core/event-counts';
import { generateEventBlocks } from '../../loader/generate-events';
import { readEvents } from '../../loader/load-events';
import { createTestTable, type TestTable } from '../support/dynamodb';

const ROOT = resolve(__dirname, '../..');
const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const DAYS = 2;
const ROWS = 30_000;

/** Event times per customer, sorted, read from the CSV without the loader. */
type Recount = Map<string, number[]>;

function recountCsv(text: string): Recount {
  const times: Recount = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [customer, , , stamp] = line.split(',') as [string, string, string, string];
    // `2021-03-01 00:03:21.74+00` -> `2021-03-01T00:03:21.74Z`, which Date.parse reads as 740 ms.
    const time = Date.parse(`${stamp.slice(0, 10)}T${stamp.slice(11, -3)}Z`);
    if (Number.isNaN(time)) throw new Error(`recount cannot read ${stamp}`);
    const list = times.get(customer) ?? [];
    list.push(time);
    times.set(customer, list);
  }
  for (const list of times.values()) list.sort((a, b) => a - b);
  return times;
}

/** Events in `[from, to)` of one customer's sorted times. */
function countBetween(sorted: number[], from: number, to: number): number {
  const firstAtOrAfter = (value: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return firstAtOrAfter(to) - firstAtOrAfter(from);
}

function startLoader(file: string, table: TestTable, extra: string[] = []): ChildProcess {
  // node itself, not npx: SIGKILL must hit the loader, not a wrapper that leaves it running.
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'loader/cli.ts',
      file,
      '--endpoint',
      table.endpoint,
      '--table',
      table.tableName,
      ...extra,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

describe('the loader CLI killed with SIGKILL part way through', () => {
  let dir: string;
  let file: string;
  let csv: string;
  let loadId: string;
  let totalChunks: number;
  let recount: Recount;
  const tables: TestTable[] = [];
  const client = createDynamoDbClient({ endpoint: requireEnv('DYNAMODB_ENDPOINT') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loader-crash-'));
    file = join(dir, 'events.csv');
    csv = [...generateEventBlocks({ rows: ROWS, customers: 24, days: DAYS, seed: 3 })].join('');
    writeFileSync(file, csv);
    loadId = createHash('sha256').update(readFileSync(file)).digest('hex');
    recount = recountCsv(csv);
    const read = await readEvents(createReadStream(file));
    totalChunks = planChunks(read.loadId, read.hours).length;
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Chunk markers of this file's load that DynamoDB holds: the chunks applied so far. */
  async function appliedChunks(table: TestTable): Promise<number> {
    let count = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
          ExpressionAttributeValues: { ':pk': { S: `L#${loadId}` }, ':chunk': { S: 'CHUNK#' } },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey as typeof startKey;
    } while (startKey !== undefined);
    return count;
  }

  /** Runs the loader one transaction at a time and kills it once `killAfter` chunks are visible. */
  async function loadAndKill(table: TestTable, killAfter: number): Promise<number> {
    const child = startLoader(file, table, ['--concurrency', '1']);
    const output = collect(child);
    const exited = once(child, 'exit');
    while ((await appliedChunks(table)) < killAfter) {
      if (child.exitCode !== null) {
        throw new Error(`the loader ended before chunk ${killAfter}: ${output.stderr()} ${output.stdout()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, string | null];
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    return appliedChunks(table);
  }

  async function expectCountsToMatchRecount(table: TestTable): Promise<void> {
    const lastHour = FIRST_HOUR + (DAYS * 24 - 1) * HOUR;
    for (const [customer, times] of recount) {
      const stored = await table.store.queryHourCounts(customer, FIRST_HOUR, lastHour);
      const expected = new Map<number, number>();
      for (const time of times) {
        const hour = time - (time % HOUR);
        expected.set(hour, (expected.get(hour) ?? 0) + 1);
      }
      expect(new Map([...stored].sort(([a], [b]) => a - b))).toEqual(
        new Map([...expected].sort(([a], [b]) => a - b)),
      );
    }
    // Partial hours come from the time indexes: a few ranges that start and end inside hours.
    const customers = [...recount.keys()];
    for (const [i, customer] of [customers[0], customers[1], customers.at(-1)].entries()) {
      const times = recount.get(customer as string) as number[];
      const start = FIRST_HOUR + (5 + 7 * i) * HOUR + 1_234_567 + i;
      const end = start + (30 + i) * HOUR + 987_654;
      const answer = await queryHourlyCounts(table.store, customer as string, { start, end });
      expect(answer.buckets.map((bucket) => bucket.count)).toEqual(
        answer.buckets.map((bucket) => countBetween(times, bucket.start, bucket.end)),
      );
      expect(answer.total).toBe(countBetween(times, start, end));
    }
  }

  it('needs many chunks, so that there is something to kill', () => {
    expect(totalChunks).toBeGreaterThan(20);
    expect([...recount.values()].reduce((sum, times) => sum + times.length, 0)).toBe(ROWS);
  });

  it.each([
    ['after the first chunk', () => 1],
    ['half way', () => Math.floor(totalChunks / 2)],
    ['near the end', () => totalChunks - 3],
  ])(
    'counts every event once when killed %s and run again',
    async (_when, killPoint) => {
      const table = await createTestTable('crash');
      tables.push(table);

      const appliedAtKill = await loadAndKill(table, killPoint());
      expect(appliedAtKill).toBeGreaterThanOrEqual(killPoint());
      expect(appliedAtKill).toBeLessThan(totalChunks);
      expect(await table.store.getLoad(loadId)).toBeUndefined();

      const rerun = startLoader(file, table, ['--json']);
      const output = collect(rerun);
      const [code] = (await once(rerun, 'exit')) as [number | null];

      expect({ code, stderr: output.stderr() }).toEqual({ code: 0, stderr: '' });
      const summary = JSON.parse(output.stdout());
      expect(summary).toMatchObject({
        status: 'loaded',
        rows: ROWS,
        accepted: ROWS,
        chunks: totalChunks,
        chunksSkipped: appliedAtKill,
        chunksApplied: totalChunks - appliedAtKill,
      });
      expect(await appliedChunks(table)).toBe(totalChunks);
      expect(await table.store.getLoad(loadId)).toMatchObject({ rows: ROWS, chunks: totalChunks });
      await expectCountsToMatchRecount(table);
    },
    120_000,
  );
});
