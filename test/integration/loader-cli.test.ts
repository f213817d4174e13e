import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { parse } from 'csv-parse/sync';
import { createDynamoDbClient } from '../../core/config';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { runLoader } from '../support/loader-cli';

const MARCH_1 = Date.UTC(2021, 2, 1);
const HOUR = 3_600_000;

// Good rows and every kind of bad one; the comment gives the line number and the expected outcome.
const MIXED = [
  'customer_id,event_type,transaction_id,timestamp', //   1 header
  'alpha,INGEST,t1,2021-03-01 00:03:21.74+00', //          2 accepted
  '', //                                                   3 blank
  'alpha,INGEST,"t2, quoted",2021-03-01 00:59:59.999+00', // 4 accepted
  'alpha,INGEST,t1,2021-03-01 00:03:21.74+00', //          5 duplicate of line 2
  'alpha,INGEST,t1,2021-03-01 00:45:00+00', //             6 duplicate, conflict: same id and hour, other time
  'beta,INGEST,t1,2021-03-01 00:03:21.74+00', //           7 accepted: the same id for another customer
  'beta,INGEST,t3', //                                     8 rejected: 3 fields
  'beta,INGEST,"t4,2021-03-01 01:00:00+00', //             9 rejected: unclosed quote
  'beta,INGEST,t5,2021-03-01 25:00:00+00', //             10 rejected: no such time
  'beta,INGEST-WITH-PROXY,t6,2021-03-01 01:30:00+00', //  11 accepted
  '',
].join('\r\n');

const MIXED_SUMMARY =
  'rows 10 = accepted 4 + duplicates 2 (1 conflicting) + rejected 3 + header 1; blank lines 1 skipped; ';

const GOOD = ['gamma,INGEST,g1,2021-03-02 10:00:00+00', 'gamma,INGEST,g2,2021-03-02 10:30:00.5+00', ''].join(
  '\n',
);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The items a load wrote: everything but the table's format marker. */
async function writtenItems(table: TestTable): Promise<Record<string, unknown>[]> {
  const client = createDynamoDbClient({ endpoint: table.endpoint });
  try {
    const result = await client.send(new ScanCommand({ TableName: table.tableName }));
    return (result.Items ?? []).filter((item) => item.pk?.S !== 'M#table');
  } finally {
    client.destroy();
  }
}

/** The numbers of a `rows N = accepted a + duplicates d (…) + rejected r + header h` line. */
function rowEquation(text: string): { rows: number; terms: number[] } | undefined {
  const match = /rows (\d+) = (.*?)(;|$)/m.exec(text);
  if (match === null) return undefined;
  const terms = (match[2] as string).split(' + ').map((term) => Number(/\d+/.exec(term)?.[0]));
  return { rows: Number(match[1]), terms };
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
    expect(run.stdout).toMatch(
      new RegExp(`^${escapeRegExp(MIXED_SUMMARY)}items written \\d+ in 1 transactions; `),
    );
    expect(run.stdout).toContain(`rejects in ${file}.rejects.csv`);
    expect(parse(readFileSync(`${file}.rejects.csv`, 'utf8'))).toEqual([
      ['line', 'reason', 'raw'],
      ['8', 'expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 3', 'beta,INGEST,t3'],
      ['9', 'malformed CSV quoting: a quoted field is not closed', 'beta,INGEST,"t4,2021-03-01 01:00:00+00'],
      [
        '10',
        'timestamp "2021-03-01 25:00:00+00" is invalid (no such time of day): expected e.g. 2021-03-01 00:03:21.74+00',
        'beta,INGEST,t5,2021-03-01 25:00:00+00',
      ],
      // Conflicts are judged when the buffer is written, after the rows are read.
      [
        '6',
        'conflict: transaction_id "t1" came earlier in this input for the same customer and hour with another ' +
          'event_type or timestamp; the event counted first stands',
        'alpha,INGEST,t1,2021-03-01 00:45:00+00',
      ],
    ]);
    expect(Object.fromEntries(await table.store.queryHourCounts('alpha', MARCH_1, MARCH_1 + HOUR))).toEqual({
      [MARCH_1]: 2,
    });
    expect(Object.fromEntries(await table.store.queryHourCounts('beta', MARCH_1, MARCH_1 + HOUR))).toEqual({
      [MARCH_1]: 1,
      [MARCH_1 + HOUR]: 1,
    });
  });

  it('reads stdin, and counts nothing again from the same events in a .gz file', async () => {
    const table = await newTable();
    const rejects = join(dir, 'stale.rejects.csv');
    writeFileSync(rejects, 'line,reason,raw\n1,left by an earlier run,x\n');
    const gz = join(dir, 'good.csv.gz');
    writeFileSync(gz, gzipSync(GOOD));

    const fromStdin = await runLoader(['-', ...target(table), '--rejects', rejects, '--json'], {
      stdin: GOOD,
    });
    const fromGzip = await runLoader([gz, ...target(table)]);

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
    expect(fromGzip.code).toBe(0);
    expect(fromGzip.stdout).toMatch(
      /^rows 2 = accepted 0 \+ duplicates 2 \(2 counted by earlier loads\) \+ rejected 0 \+ header 0; nothing new to count, nothing written; /,
    );
    const day = MARCH_1 + 24 * HOUR;
    expect(Object.fromEntries(await table.store.queryHourCounts('gamma', day, day + 23 * HOUR))).toEqual({
      [day + 10 * HOUR]: 2,
    });
  });

  it('lists a conflict with an earlier load in the rejects file, with its line and an empty raw column', async () => {
    const table = await newTable();
    const first = join(dir, 'first.csv');
    const second = join(dir, 'second.csv');
    writeFileSync(first, GOOD);
    writeFileSync(
      second,
      ['gamma,INGEST,g3,2021-03-02 10:40:00+00', 'gamma,INGEST,g1,2021-03-02 10:10:00+00', ''].join('\n'),
    );

    await runLoader([first, ...target(table)]);
    const run = await runLoader([second, ...target(table), '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      accepted: 1,
      duplicates: 1,
      conflicts: 1,
      rejectsFile: `${second}.rejects.csv`,
    });
    expect(parse(readFileSync(`${second}.rejects.csv`, 'utf8'))).toEqual([
      ['line', 'reason', 'raw'],
      [
        '2',
        'conflict: this transaction_id was counted before for customer gamma in hour 2021-03-02T10:00Z with ' +
          'another event_type or timestamp; the event counted first stands',
        '',
      ],
    ]);
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
      'error: 3 rejected rows exceed --max-rejects 2 (stopped at line 10); nothing was written',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'too-many-rejects', rejected: 3, maxRejects: 2 });
    expect(await writtenItems(table)).toEqual([]);
    // The counts so far still add up: every row read is accounted for, written or not.
    const equation = rowEquation(run.stderr);
    expect(equation?.terms.reduce((a, b) => a + b)).toBe(equation?.rows);
  });

  it.each([
    ['UTF-16', () => Buffer.from(`\ufeff${GOOD}`, 'utf16le'), /it looks like UTF-16/],
    [
      'binary',
      () => Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256)),
      /it holds NUL bytes/,
    ],
    ['CR-only line ends', () => GOOD.replaceAll('\n', '\r'), /its lines end with CR alone/],
  ])('exits 4 and writes nothing for a %s file, which has no acceptable row', async (name, bytes, hint) => {
    const table = await newTable();
    const file = join(dir, `${name.replace(/\W/g, '-')}.csv`);
    writeFileSync(file, bytes());

    const run = await runLoader([file, ...target(table)]);

    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      new RegExp(`^error: ${escapeRegExp(file)} has no acceptable row \\((\\d+) of \\1 rejected\\)`),
    );
    expect(run.stderr).toMatch(hint);
    expect(run.stderr).toMatch(/; nothing was written\n$/);
    expect(run.stdout).toBe('');
    expect(await writtenItems(table)).toEqual([]);
  });

  it('exits 4 for an empty input', async () => {
    const table = await newTable();

    const run = await runLoader(['-', ...target(table)], { stdin: '' });

    expect(run.code).toBe(4);
    expect(run.stderr).toBe('error: - holds no rows; nothing was written\n');
  });

  it('exits 2 and leaves the input alone when --rejects names the input file', async () => {
    const file = join(dir, 'self.csv');
    writeFileSync(file, MIXED);

    const run = await runLoader([file, '--rejects', file, '--endpoint', 'http://127.0.0.1:9']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: --rejects ${JSON.stringify(file)} is the input file`);
    expect(readFileSync(file, 'utf8')).toBe(MIXED);
  });

  it('gives two stdin loads at once rejects files of their own in the working directory', async () => {
    const table = await newTable();
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const input = (bad: string) => `${GOOD}${bad}\n`;

    const runs = await Promise.all([
      runLoader(['-', ...target(table)], { stdin: input('bad row one'), cwd }),
      runLoader(['-', ...target(table)], { stdin: input('bad row two'), cwd }),
    ]);

    expect(runs.map((run) => run.code)).toEqual([0, 0]);
    const files = readdirSync(cwd).sort();
    expect(files).toHaveLength(2);
    for (const name of files)
      expect(name).toMatch(/^rejects-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-\d+\.csv$/);
    const raws = files
      .map((name) => (parse(readFileSync(join(cwd, name), 'utf8')) as string[][])[1]?.[2])
      .sort();
    expect(raws).toEqual(['bad row one', 'bad row two']);
    for (const [i, run] of runs.entries()) {
      const named = files.find((name) => run.stdout.includes(`rejects in ${name}`));
      expect(named).toBeDefined();
      expect(runs[1 - i]?.stdout).not.toContain(`rejects in ${named}`);
    }
  });

  it('refuses a table of the previous layout (exit 1), tells to load into a new table and writes nothing', async () => {
    const table = await newTable();
    const client = createDynamoDbClient({ endpoint: table.endpoint });
    await client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { pk: { S: 'D#customers' }, sk: { S: 'c1' }, total: { N: '1' } },
      }),
    );
    client.destroy();
    const file = join(dir, 'legacy.csv');
    writeFileSync(file, GOOD);

    const run = await runLoader([file, ...target(table)]);

    expect(run.code).toBe(1);
    expect(await writtenItems(table)).toEqual([
      { pk: { S: 'D#customers' }, sk: { S: 'c1' }, total: { N: '1' } },
    ]);
    expect(run.stderr).toMatch(/^error: table .* was written by an earlier version/);
    expect(run.stderr).toContain('load your files into a new table (--table NAME)');
    // Re-running the same command cannot help here; the message must not say it would.
    expect(run.stderr).not.toContain('re-run the same command');
  });

  it.each([
    [['--concurrency', '0'], '--concurrency must be an integer >= 1; received "0"'],
    [['--buffer-events', '0'], '--buffer-events must be an integer from 1 to 1000000; received "0"'],
    [
      ['--buffer-events', '1000001'],
      '--buffer-events must be an integer from 1 to 1000000; received "1000001"',
    ],
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
    expect(await writtenItems(table)).toEqual([]);
  });
});
