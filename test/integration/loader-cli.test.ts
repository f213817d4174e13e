import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { parse } from 'csv-parse/sync';
import { createDynamoDbClient } from '../../core/config';
import { createTestTable, type TestTable } from '../support/dynamodb';

const ROOT = resolve(__dirname, '../..');
const MARCH_1 = Date.UTC(2021, 2, 1);
const HOUR = 3_600_000;

// Good rows and every kind of bad one; the comment gives the line number and the expected outcome.
const MIXED = [
  'customer_id,event_type,transaction_id,timestamp', //   1 header
  'alpha,INGEST,t1,2021-03-01 00:03:21.74+00', //          2 accepted
  '', //                                                   3 blank
  'alpha,INGEST,"t2, quoted",2021-03-01 00:59:59.999+00', // 4 accepted
  'alpha,INGEST,t1,2021-03-01 00:03:21.74+00', //          5 duplicate
  'beta,INGEST,t1,2021-03-01 00:03:21.74+00', //           6 duplicate, conflict
  'beta,INGEST,t3', //                                     7 rejected: 3 fields
  'beta,INGEST,"t4,2021-03-01 01:00:00+00', //             8 rejected: unclosed quote
  'beta,INGEST,t5,2021-03-01 25:00:00+00', //              9 rejected: no such time
  'beta,INGEST-WITH-PROXY,t6,2021-03-01 01:30:00+00', //  10 accepted
  '',
].join('\r\n');

const MIXED_SUMMARY =
  'rows 9 = accepted 3 + duplicates 2 (1 conflicting) + rejected 3 + header 1; blank lines 1 skipped; ';

const GOOD = ['gamma,INGEST,g1,2021-03-02 10:00:00+00', 'gamma,INGEST,g2,2021-03-02 10:30:00.5+00', ''].join(
  '\n',
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runLoader(args: string[], stdin?: string | Buffer): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'loader/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(stdin);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

async function itemCount(table: TestTable): Promise<number> {
  const client = createDynamoDbClient({ endpoint: table.endpoint });
  try {
    const result = await client.send(new ScanCommand({ TableName: table.tableName, Select: 'COUNT' }));
    return result.Count ?? 0;
  } finally {
    client.destroy();
  }
}

describe('npm run load (loader/cli.ts)', () => {
  let dir: string;
  const tables: TestTable[] = [];
  const newTable = async () => {
    const table = await createTestTable('loader-cli');
    tables.push(table);
    return table;
  };
  const target = (table: TestTable) => ['--endpoint', table.endpoint, '--table', table.tableName];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loader-cli-'));
  });

  afterAll(async () => {
    await Promise.all(tables.map((table) => table.drop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the good rows of a mixed file, lists every bad one with its line, and prints only the summary', async () => {
    const table = await newTable();
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, MIXED);

    const run = await runLoader([file, ...target(table)]);

    expect(run.code).toBe(0);
    // Not a terminal: no progress, nothing on stderr, one summary line on stdout.
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toHaveLength(2);
    expect(run.stdout).toMatch(new RegExp(`^${MIXED_SUMMARY.replace(/[()+]/g, '\\$&')}items written \\d+`));
    expect(run.stdout).toContain(`rejects in ${file}.rejects.csv`);
    expect(parse(readFileSync(`${file}.rejects.csv`, 'utf8'))).toEqual([
      ['line', 'reason', 'raw'],
      [
        '6',
        'conflict: transaction_id "t1" came earlier with another customer, type or time; not counted again',
        'beta,INGEST,t1,2021-03-01 00:03:21.74+00',
      ],
      ['7', 'expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 3', 'beta,INGEST,t3'],
      ['8', 'malformed CSV quoting: a quoted field is not closed', 'beta,INGEST,"t4,2021-03-01 01:00:00+00'],
      [
        '9',
        'timestamp "2021-03-01 25:00:00+00" is invalid (no such time of day): expected e.g. 2021-03-01 00:03:21.74+00',
        'beta,INGEST,t5,2021-03-01 25:00:00+00',
      ],
    ]);
    expect(Object.fromEntries(await table.store.queryHourCounts('alpha', MARCH_1, MARCH_1 + HOUR))).toEqual({
      [MARCH_1]: 2,
    });
    expect(Object.fromEntries(await table.store.queryHourCounts('beta', MARCH_1, MARCH_1 + HOUR))).toEqual({
      [MARCH_1 + HOUR]: 1,
    });
  });

  it('reads stdin, and knows the same content again as a .gz file: already loaded', async () => {
    const table = await newTable();
    const rejects = join(dir, 'stale.rejects.csv');
    writeFileSync(rejects, 'line,reason,raw\n1,left by an earlier run,x\n');
    const gz = join(dir, 'good.csv.gz');
    writeFileSync(gz, gzipSync(GOOD));

    const fromStdin = await runLoader(['-', ...target(table), '--rejects', rejects, '--json'], GOOD);
    const fromGzip = await runLoader([gz, ...target(table), '--json']);

    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({
      status: 'loaded',
      source: '-',
      rows: 2,
      accepted: 2,
      rejected: 0,
      rejectsFile: null,
    });
    // A clean load leaves no rejects file of an earlier run behind to mislead.
    expect(existsSync(rejects)).toBe(false);
    expect(JSON.parse(fromGzip.stdout)).toMatchObject({ status: 'already-loaded', rows: 2, itemsWritten: 0 });
    const day = MARCH_1 + 24 * HOUR;
    expect(Object.fromEntries(await table.store.queryHourCounts('gamma', day, day + 23 * HOUR))).toEqual({
      [day + 10 * HOUR]: 2,
    });
  });

  it('loads a .gz file that is not named .gz', async () => {
    const table = await newTable();
    const file = join(dir, 'compressed.data');
    writeFileSync(file, gzipSync(GOOD));

    const run = await runLoader([file, ...target(table), '--json']);

    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'loaded', rows: 2, accepted: 2 });
  });

  it('stops before writing anything when more rows are rejected than --max-rejects allows (exit 3)', async () => {
    const table = await newTable();
    const file = join(dir, 'too-many.csv');
    writeFileSync(file, MIXED);

    const run = await runLoader([file, ...target(table), '--max-rejects', '2', '--json']);

    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'error: 3 rejected rows exceed --max-rejects 2 (stopped reading at line 9); nothing was written',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'too-many-rejects', rejected: 3, maxRejects: 2 });
    expect(await itemCount(table)).toBe(0);
  });

  it.each([
    [['--concurrency', '0'], '--concurrency must be an integer >= 1; received "0"'],
    [['--max-rejects', 'some'], '--max-rejects must be an integer >= 0; received "some"'],
    [['--nope'], "Unknown option '--nope'"],
  ])('exits 2 on bad usage %j', async (args, message) => {
    const file = join(dir, 'any.csv');
    writeFileSync(file, GOOD);

    const run = await runLoader([file, ...args]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exits 2 naming a missing input file', async () => {
    const run = await runLoader([join(dir, 'missing.csv')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: input file "${join(dir, 'missing.csv')}" does not exist`);
  });

  it('exits 1 saying nothing was written when the input is not readable gzip', async () => {
    const table = await newTable();
    const file = join(dir, 'broken.gz');
    writeFileSync(file, gzipSync(GOOD).subarray(0, 20));

    const run = await runLoader([file, ...target(table)]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot read .*broken\.gz: .*; nothing was written\n$/);
    expect(await itemCount(table)).toBe(0);
  });
});
