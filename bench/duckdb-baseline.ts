import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  timestampTZValue,
} from '@duckdb/node-api';
import type { DatasetSpan, QueryRequest } from './query-shapes';

const HOUR = 3_600_000;

/**
 * The baseline most solutions to this problem use: keep the raw events and aggregate at query
 * time. DuckDB answers the same questions from the same CSV, either from a table loaded once
 * into memory or by scanning the file for every query.
 */
export interface DuckDbBaseline {
  connection: DuckDBConnection;
  version: string;
  threads: number;
  close(): void;
}

/** Opens an in-memory DuckDB with its default settings (one thread per core). */
export async function openDuckDb(): Promise<DuckDbBaseline> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll("SELECT version(), current_setting('threads')::INTEGER");
  const [version, threads] = reader.getRowsJS()[0] as [string, number];
  return {
    connection,
    version,
    threads,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The events file as a DuckDB relation: no header line, the design's four columns. */
export function csvRelation(file: string): string {
  return (
    `read_csv(${sqlString(file)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `columns = {'customer_id': 'VARCHAR', 'event_type': 'VARCHAR', 'transaction_id': 'VARCHAR', 'ts': 'TIMESTAMPTZ'})`
  );
}

/**
 * The events to count: the file itself, or its distinct rows when a transaction_id repeats (the
 * product counts an event once per transaction_id; a repeat with other content would make the
 * answers differ, and the cross-check would say so).
 */
export function eventsRelation(file: string, dedupe: boolean): string {
  return dedupe ? `(SELECT DISTINCT * FROM ${csvRelation(file)})` : csvRelation(file);
}

/** Rows and distinct transaction ids of a file: whether the baseline must deduplicate. */
export async function countRows(
  { connection }: DuckDbBaseline,
  file: string,
): Promise<{ rows: number; transactions: number }> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT, count(DISTINCT transaction_id)::BIGINT FROM ${csvRelation(file)}`,
  );
  const [rows, transactions] = reader.getRowsJS()[0] as [bigint, bigint];
  return { rows: Number(rows), transactions: Number(transactions) };
}

/** The in-memory tables: the events in file order, and the same sorted by customer and time. */
export type MemoryTable = 'events' | 'events_sorted';

/**
 * Loads the raw events into the in-memory table `events` once, in file order (the usual peer
 * design), then copies them sorted by customer and time into `events_sorted`: a tuned peer's
 * layout, where DuckDB's per-row-group min/max lets a query skip the other customers and times.
 */
export async function loadMemoryTables({ connection }: DuckDbBaseline, file: string, dedupe: boolean) {
  let started = performance.now();
  await connection.run('DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS events_sorted');
  await connection.run(`CREATE TABLE events AS SELECT customer_id, ts FROM ${eventsRelation(file, dedupe)}`);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await connection.run('CREATE TABLE events_sorted AS SELECT * FROM events ORDER BY customer_id, ts');
  return { loadSeconds, sortSeconds: (performance.now() - started) / 1000 };
}

/** Customers by event count and the time span of the in-memory table. */
export async function describeMemoryTable({ connection }: DuckDbBaseline): Promise<DatasetSpan> {
  const customers = await connection.runAndReadAll(
    'SELECT customer_id, count(*)::BIGINT AS n FROM events GROUP BY customer_id ORDER BY n DESC, customer_id',
  );
  const span = await connection.runAndReadAll('SELECT min(epoch_ms(ts)), max(epoch_ms(ts)) FROM events');
  const [first, last] = span.getRowsJS()[0] as [bigint, bigint];
  return {
    customers: (customers.getRowsJS() as [string, bigint][]).map(([customerId, events]) => ({
      customerId,
      events: Number(events),
    })),
    firstEventAt: Number(first),
    lastEventAt: Number(last),
  };
}

/** The hourly counts query of a relation; `$1` customer, `$2` and `$3` the range as TIMESTAMPTZ. */
const hourlySql = (relation: string) =>
  `SELECT (epoch_ms(ts) // ${HOUR})::INTEGER AS hour, count(*)::INTEGER AS events FROM ${relation} ` +
  'WHERE customer_id = $1 AND ts >= $2 AND ts < $3 GROUP BY hour';

/**
 * A peer service's answer: one aggregate query, then zero-filled, clipped hourly buckets in the
 * API's JSON body, so both sides pay for the same response.
 */
async function answer(statement: DuckDBPreparedStatement, request: QueryRequest): Promise<string> {
  statement.bindVarchar(1, request.customerId);
  statement.bindTimestampTZ(2, timestampTZValue(BigInt(request.start) * 1000n));
  statement.bindTimestampTZ(3, timestampTZValue(BigInt(request.end) * 1000n));
  const rows = (await statement.runAndReadAll()).getRowsJS() as [number, number][];
  const counts = new Map(rows);
  const buckets = [];
  let total = 0;
  for (let hour = Math.floor(request.start / HOUR); hour * HOUR < request.end; hour++) {
    const count = counts.get(hour) ?? 0;
    total += count;
    buckets.push({
      starting_at: new Date(Math.max(hour * HOUR, request.start)).toISOString(),
      ending_before: new Date(Math.min((hour + 1) * HOUR, request.end)).toISOString(),
      count,
    });
  }
  return JSON.stringify({
    customer_id: request.customerId,
    starting_at: new Date(request.start).toISOString(),
    ending_before: new Date(request.end).toISOString(),
    window_size: 'hour',
    total,
    buckets,
  });
}

/** Answers from one of the in-memory tables. */
export async function memoryQuery({ connection }: DuckDbBaseline, table: MemoryTable) {
  const statement = await connection.prepare(hourlySql(table));
  return (request: QueryRequest) => answer(statement, request);
}

/** Answers by scanning the CSV file for every query. */
export async function csvScanQuery({ connection }: DuckDbBaseline, file: string, dedupe: boolean) {
  const statement = await connection.prepare(hourlySql(eventsRelation(file, dedupe)));
  return (request: QueryRequest) => answer(statement, request);
}

/** Per-customer hourly counts of a whole file, as the loader aggregates them. */
export async function aggregateHourly(
  { connection }: DuckDbBaseline,
  file: string,
  dedupe: boolean,
): Promise<{ customerId: string; hour: number; count: number }[]> {
  const reader = await connection.runAndReadAll(
    `SELECT customer_id, (epoch_ms(ts) // ${HOUR} * ${HOUR})::BIGINT AS hour, count(*)::INTEGER AS events ` +
      `FROM ${eventsRelation(file, dedupe)} GROUP BY ALL`,
  );
  return (reader.getRowsJS() as [string, bigint, number][]).map(([customerId, hour, count]) => ({
    customerId,
    hour: Number(hour),
    count,
  }));
}
