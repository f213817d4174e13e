import { statSync } from 'node:fs';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../core/config';
import { type BenchPlan, type DatasetSpec, prepareDataset } from './datasets';
import { countRows, openDuckDb } from './duckdb-baseline';
import { benchmarkLoad, type LoadResult } from './load-bench';
import { benchmarkLoaderMemory, type LoaderMemoryResult } from './loader-memory';

/** Runs of each part of the load section. */
export interface LoadSectionSettings {
  /** Fresh processes per throughput measurement (parse-only and DuckDB), best kept. */
  throughputRuns: number;
  /** Fresh processes per file of the memory series: a peak is a peak, one run shows it. */
  memoryRuns: number;
  /** Parse-only runs of the largest file: it also gives the last point of the memory series. */
  largeFileParseOnlyRuns: number;
  /** End-to-end CLI loads of the few-hours file, each into a fresh table. */
  fewHoursEndToEndRuns: number;
  /** End-to-end CLI loads of the small file (the absolute load-time target). */
  smallEndToEndRuns: number;
}

/** Where the loading section's loads go and where its files are kept. */
interface LoadContext {
  endpoint: string;
  runId: string;
  dataDir: string;
  scratchDir: string;
  log: (line: string) => void;
}

async function measureLoad(
  spec: DatasetSpec,
  endToEndRuns: number,
  parseOnlyRuns: number | undefined,
  settings: LoadSectionSettings,
  context: LoadContext,
): Promise<{ load: LoadResult; file: string; displayPath: string; bytes: number }> {
  const { log } = context;
  const prepared = await prepareDataset(spec, context.dataDir, context.scratchDir, log);
  const duckdb = await openDuckDb();
  let counted: { rows: number; transactions: number };
  try {
    counted = await countRows(duckdb, prepared.file);
  } finally {
    duckdb.close();
  }
  const cliTableNames = Array.from(
    { length: endToEndRuns },
    (_, i) => `bench-${context.runId}-${spec.id}-cli-${i + 1}`,
  );
  log(
    `  ${spec.id}: ${counted.rows.toLocaleString('en-US')} rows, parse-only and DuckDB in fresh processes` +
      (endToEndRuns > 0 ? `, ${endToEndRuns} end-to-end CLI load(s) into fresh tables` : ''),
  );
  const client = createDynamoDbClient({ endpoint: context.endpoint });
  try {
    const load = await benchmarkLoad({
      dataset: spec.id,
      file: prepared.file,
      rows: counted.rows,
      dedupe: counted.transactions < counted.rows,
      throughputRuns: settings.throughputRuns,
      parseOnlyRuns,
      endpoint: context.endpoint,
      cliTableNames,
      scratchDir: context.scratchDir,
    });
    if (!load.crossCheck.identical)
      throw new Error(`${spec.id}: the loader's hourly counts differ from DuckDB's`);
    log(
      `  ${spec.id}: parse-only ${Math.round(load.parseOnly.rowsPerSecond).toLocaleString('en-US')} rows/s, ` +
        `DuckDB ${Math.round(load.duckdb.rowsPerSecond).toLocaleString('en-US')} rows/s` +
        (load.endToEnd === null
          ? ''
          : `; end to end ${load.endToEnd.medianSecondsToSummary.toFixed(2)} s, DuckDB process ` +
            `${load.duckdb.medianProcessSeconds.toFixed(2)} s`),
    );
    return {
      load,
      file: prepared.file,
      displayPath: prepared.displayPath,
      bytes: statSync(prepared.file).size,
    };
  } finally {
    // The end-to-end tables are only timed; DynamoDB Local keeps them in memory.
    for (const name of cliTableNames) {
      await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    }
    client.destroy();
  }
}

/**
 * The loader against DuckDB: the small file end to end (absolute time), the few-hours file end to
 * end against DuckDB as a process, the largest file parse-only against DuckDB in process; then the
 * loader's peak memory on the memory series, with the largest file's parse-only run as its last point.
 */
export async function benchmarkLoading(
  plan: BenchPlan,
  settings: LoadSectionSettings,
  context: LoadContext,
): Promise<{ load: LoadResult[]; loaderMemory: LoaderMemoryResult; fewHoursFile: string }> {
  const small = await measureLoad(plan.small, settings.smallEndToEndRuns, undefined, settings, context);
  const fewHours = await measureLoad(
    plan.fewHours,
    settings.fewHoursEndToEndRuns,
    settings.largeFileParseOnlyRuns,
    settings,
    context,
  );
  const largest = await measureLoad(plan.largest, 0, settings.largeFileParseOnlyRuns, settings, context);
  context.log("  the loader's peak memory against file size (parse-only, fresh processes)");
  const memory = await benchmarkLoaderMemory({
    specs: plan.memory,
    runs: settings.memoryRuns,
    dataDir: context.dataDir,
    scratchDir: context.scratchDir,
    log: context.log,
  });
  const { parseOnly } = largest.load;
  memory.points.push({
    id: plan.largest.id,
    label: plan.largest.label,
    file: largest.displayPath,
    bytes: largest.bytes,
    rows: largest.load.rows,
    peakRssMb: parseOnly.peakRssMb,
    seconds: parseOnly.seconds,
  });
  return {
    load: [small.load, fewHours.load, largest.load],
    loaderMemory: memory,
    fewHoursFile: fewHours.file,
  };
}
