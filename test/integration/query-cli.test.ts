import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createRouter } from '../../lambda/routes';
import { loadEvents } from '../../loader/load-events';
import { apiEventFor } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type SampleFile, writeSample } from '../support/sample';

const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const TSX = 'node_modules/.bin/tsx';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the query and customers CLIs against DynamoDB Local', () => {
  let table: TestTable;
  let sample: SampleFile;

  /** Runs a CLI the way `npm run` does, configured through the environment like a user would. */
  function run(script: string, args: string[]): Promise<Run> {
    const env = {
      ...process.env,
      DYNAMODB_ENDPOINT: table.endpoint,
      TABLE_NAME: table.tableName,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return new Promise((resolve) => {
      execFile(TSX, [script, ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      });
    });
  }

  /** The body the HTTP API answers for the same request. */
  async function httpBody(path: string): Promise<string> {
    return (await createRouter(table.store)(apiEventFor(path), 'cli-test')).body ?? '';
  }

  beforeAll(async () => {
    table = await createTestTable('cli');
    sample = writeSample();
    await loadEvents({ store: table.store, input: createReadStream(sample.path), source: sample.path });
  });

  afterAll(async () => {
    sample.remove();
    await table.drop();
  });

  it('prints a table of bucket start, end and count with the total, marking partial buckets', async () => {
    const { code, stdout } = await run('local/query-cli.ts', [
      CUSTOMER,
      '--starting-at',
      '2021-03-01T04:00:00Z',
      '--ending-before',
      '2021-03-01T06:30:00Z',
    ]);
    const body = JSON.parse(
      await httpBody(
        `/v1/customers/${CUSTOMER}/event_counts?starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z`,
      ),
    ) as { total: number; buckets: { count: number }[] };

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${CUSTOMER}, window hour, [2021-03-01 04:00, 2021-03-01 06:30) UTC`);
    expect(lines[1]).toMatch(/^bucket start\s+bucket end\s+count$/);
    expect(lines.slice(2, 5).map((line) => line.split(/\s{2,}/))).toEqual([
      ['2021-03-01 04:00', '2021-03-01 05:00', String(body.buckets[0]?.count)],
      ['2021-03-01 05:00', '2021-03-01 06:00', String(body.buckets[1]?.count)],
      ['2021-03-01 06:00', '2021-03-01 06:30', String(body.buckets[2]?.count), 'partial'],
    ]);
    expect(lines[5]?.split(/\s+/)).toEqual(['total', String(body.total)]);
  });

  it.each([
    ['--window-size', 'day'],
    ['--window-size', 'none'],
    ['--starting-at', '2021-03-02T10:15:00.5Z'],
  ])('prints with --json exactly the body of the HTTP API (%s %s)', async (option, value) => {
    const { code, stdout } = await run('local/query-cli.ts', [CUSTOMER, option, value, '--json']);
    const parameter = option.slice(2).replace('-', '_');

    expect(code).toBe(0);
    expect(stdout).toBe(
      `${await httpBody(`/v1/customers/${CUSTOMER}/event_counts?${parameter}=${encodeURIComponent(value)}`)}\n`,
    );
  });

  it('draws horizontal bars with --chart, the longest for the busiest bucket', async () => {
    const { code, stdout } = await run('local/query-cli.ts', [CUSTOMER, '--window-size', 'day', '--chart']);

    expect(code).toBe(0);
    const bars = stdout
      .split('\n')
      .slice(1, 4)
      .map((line) => (line.match(/[█▏▎▍▌▋▊▉]+/)?.[0] ?? '').length);
    const counts = stdout
      .split('\n')
      .slice(1, 4)
      .map((line) => Number(line.trim().split(/\s+/).at(-1)));
    expect(bars.every((length) => length > 0)).toBe(true);
    expect(bars.indexOf(Math.max(...bars))).toBe(counts.indexOf(Math.max(...counts)));
    expect(stdout).toMatch(/\ntotal\s+\d+\n$/);
  });

  it('exits 2 with the option named on stderr for a bad window size, printing nothing on stdout', async () => {
    const { code, stdout, stderr } = await run('local/query-cli.ts', [CUSTOMER, '--window-size', 'week']);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('window_size must be one of hour, day, none; received "week" (--window-size)');
  });

  it('exits 2 for an unknown option or a missing customer id', async () => {
    const [unknown, missing] = await Promise.all([
      run('local/query-cli.ts', [CUSTOMER, '--since', 'yesterday']),
      run('local/query-cli.ts', ['--json']),
    ]);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--since'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('expected exactly one customer_id');
  });

  it('exits 1 when a bound must default and the customer has no events', async () => {
    const { code, stderr } = await run('local/query-cli.ts', ['nobody']);

    expect(code).toBe(1);
    expect(stderr).toContain('customer nobody has no events');
  });

  it('shows help with examples and exits 0', async () => {
    const { code, stdout } = await run('local/query-cli.ts', ['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('Usage: npm run query -- <customer_id>');
    expect(stdout).toContain('--window-size day --chart');
  });

  it('lists every customer in a table with first and last event, events and a summary line', async () => {
    const { code, stdout } = await run('local/customers-cli.ts', []);
    const api = JSON.parse(await httpBody('/v1/customers')) as {
      customers: { customer_id: string; total_events: number }[];
    };

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^customer_id\s+first event \(UTC\)\s+last event \(UTC\)\s+events$/);
    expect(
      lines.slice(1, -1).map((line) => [line.split(/\s+/)[0], Number(line.split(/\s+/).at(-1))]),
    ).toEqual(api.customers.map((customer) => [customer.customer_id, customer.total_events]));
    const total = api.customers.reduce((sum, customer) => sum + customer.total_events, 0);
    expect(lines.at(-1)).toBe(`${api.customers.length} customers, ${total} events`);
  });

  it('prints the customers of the API with --json', async () => {
    const { code, stdout } = await run('local/customers-cli.ts', ['--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(
      (JSON.parse(await httpBody('/v1/customers')) as { customers: unknown }).customers,
    );
  });

  it('exits 1 naming the table when it does not exist', async () => {
    const { code, stderr } = await run('local/customers-cli.ts', ['--table', 'no-such-table']);

    expect(code).toBe(1);
    expect(stderr).toContain('table no-such-table at http://');
    expect(stderr).toContain('does not exist');
  });
});
