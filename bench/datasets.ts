import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, run } from './processes';

/** Options of `npm run generate` for a synthetic data set. */
export interface GeneratorOptions {
  rows: number;
  customers: number;
  days: number;
  seed: number;
}

/** A data set the benchmark loads and queries. */
export interface DatasetSpec {
  id: string;
  label: string;
  /** The bundled file, or the first `headRows` rows of it (smoke runs). */
  source:
    | { kind: 'file'; path: string; headRows?: number }
    | { kind: 'generated'; options: GeneratorOptions };
}

/** A generated set of `rows` rows: 50 customers over 90 days, seed 1, the shape of the memory series and the 10m set. */
function generatedSpec(id: string, label: string, rows: number): DatasetSpec {
  return { id, label, source: { kind: 'generated', options: { rows, customers: 50, days: 90, seed: 1 } } };
}

/** A generated set of `rows` rows in few customer-hours: 3 customers over 1 day, 72 hours. */
function fewHoursSpec(id: string, label: string, rows: number): DatasetSpec {
  return { id, label, source: { kind: 'generated', options: { rows, customers: 3, days: 1, seed: 1 } } };
}

/** The bundled data set: 147,370 rows, 7 customers, 72 hours. */
export const EVENTS_CSV: DatasetSpec = {
  id: '147k',
  label: 'data/events.csv',
  source: { kind: 'file', path: 'data/events.csv' },
};

/** The data sets of each section of a run. */
export interface BenchPlan {
  /** Files of one shape, ten times the rows each step: does the loader's peak memory follow the file? */
  memory: DatasetSpec[];
  /** The file whose parse-only run adds the last point of the memory series (10M rows). */
  largest: DatasetSpec;
  /** Loaded end to end by the CLI against DuckDB: many rows in few customer-hours. */
  fewHours: DatasetSpec;
  /** Loaded end to end too, for the absolute load-time target. */
  small: DatasetSpec;
  /** Long ranges: DuckDB holds it all, DynamoDB Local the queried customers' rows. */
  longRanges: DatasetSpec;
}

/**
 * A full run. The generated sets of 50 customers over 90 days (one heavy customer with 60% of the
 * rows, 49 lighter ones) give the heavy customer 2,778 events an hour at 10M, more than any hour of
 * events.csv; the 3-customer, 1-day set puts 3M rows in 72 customer-hours, where the loader's
 * per-row work, not its per-hour writes, sets the pace.
 */
export const FULL_PLAN: BenchPlan = {
  memory: [
    generatedSpec('200k', '200k generated rows', 200_000),
    generatedSpec('2m', '2M generated rows', 2_000_000),
  ],
  largest: generatedSpec('10m', '10M generated rows', 10_000_000),
  fewHours: fewHoursSpec('3m', '3M generated rows, 3 customers, 1 day', 3_000_000),
  small: EVENTS_CSV,
  longRanges: generatedSpec('10m', '10M generated rows', 10_000_000),
};

/** A smoke run: every section on files of a few thousand rows, so it finishes in about a minute. */
export const SMOKE_PLAN: BenchPlan = {
  memory: [
    generatedSpec('smoke-2k', '2k generated rows', 2_000),
    generatedSpec('smoke-20k', '20k generated rows', 20_000),
  ],
  largest: generatedSpec('smoke-40k', '40k generated rows', 40_000),
  fewHours: fewHoursSpec('smoke-few-hours', '30k generated rows, 3 customers, 1 day', 30_000),
  small: {
    id: 'smoke',
    label: 'first 3,000 rows of data/events.csv',
    source: { kind: 'file', path: 'data/events.csv', headRows: 3000 },
  },
  longRanges: generatedSpec('smoke-long', '20k generated rows', 20_000),
};

async function copyHead(from: string, to: string, rows: number): Promise<void> {
  const out = createWriteStream(to);
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(from) })) {
    if (count++ === rows) break;
    out.write(`${line}\n`);
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** The file of a data set (generating it into `dataDir` once, then reusing it) and how it was made. */
export async function prepareDataset(
  spec: DatasetSpec,
  dataDir: string,
  scratchDir: string,
  log: (line: string) => void,
): Promise<{ file: string; displayPath: string; generatedSeconds?: number }> {
  const { source } = spec;
  if (source.kind === 'file') {
    const path = join(ROOT, source.path);
    if (source.headRows === undefined) return { file: path, displayPath: source.path };
    const file = join(scratchDir, `${spec.id}.csv`);
    await copyHead(path, file, source.headRows);
    return { file, displayPath: `${source.path} (first ${source.headRows} rows)` };
  }
  const { rows, customers, days, seed } = source.options;
  const file = join(dataDir, `events-${rows}-rows-${customers}-customers-${days}-days-seed-${seed}.csv`);
  const displayPath = relative(ROOT, file);
  if (existsSync(file)) return { file, displayPath };
  mkdirSync(dataDir, { recursive: true });
  log(`  generating ${displayPath} (npm run generate)`);
  const partial = `${file}.partial`;
  const args = ['--rows', rows, '--customers', customers, '--days', days, '--seed', seed].map(String);
  const { seconds } = await run('npm', ['run', '--silent', 'generate', '--', ...args, '--out', partial]);
  renameSync(partial, file);
  return { file, displayPath, generatedSeconds: seconds };
}
