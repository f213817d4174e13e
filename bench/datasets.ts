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

/** A generated set of `rows` rows in the shape of the 1m and 10m sets (same customers, days and seed). */
function generatedSpec(id: string, label: string, rows: number): DatasetSpec {
  return { id, label, source: { kind: 'generated', options: { rows, customers: 50, days: 90, seed: 1 } } };
}

/**
 * The sizes `--sizes` picks from. The generated sets (one heavy customer with 60% of the rows, 49
 * lighter ones) span 90 days, so at 10M the heavy customer's hours hold more events than the
 * busiest customer's hours in events.csv: the time indexes a partial edge reads grow with the data.
 */
export const SIZES: Record<string, DatasetSpec> = {
  '147k': { id: '147k', label: 'data/events.csv', source: { kind: 'file', path: 'data/events.csv' } },
  '1m': generatedSpec('1m', '1M generated rows', 1_000_000),
  '10m': generatedSpec('10m', '10M generated rows', 10_000_000),
};

/**
 * The files the loader's peak memory is measured on: one shape, ten times the rows each step, so
 * the ratio of their peaks shows whether memory follows the file. 10m joins them when `--sizes`
 * selects it (it is the same file).
 */
export const MEMORY_SIZES: DatasetSpec[] = [
  generatedSpec('200k', '200k generated rows', 200_000),
  generatedSpec('2m', '2M generated rows', 2_000_000),
];

/** The memory series of `--smoke`: tiny files, so the section runs in seconds. */
export const SMOKE_MEMORY_SIZES: DatasetSpec[] = [
  generatedSpec('smoke-2k', '2k generated rows', 2_000),
  generatedSpec('smoke-20k', '20k generated rows', 20_000),
];

/** The tiny data set of `--smoke`: the first rows of the bundled file. */
export const SMOKE_DATASET: DatasetSpec = {
  id: 'smoke',
  label: 'first 3,000 rows of data/events.csv',
  source: { kind: 'file', path: 'data/events.csv', headRows: 3000 },
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
