import { statSync } from 'node:fs';
import { DEFAULT_BUFFER_EVENTS } from '../loader/load-events';
import { type DatasetSpec, prepareDataset } from './datasets';
import type { LoadChildResult } from './load-child';
import { LOADER_NODE_ARGS, runJson } from './processes';

/** The loader's peak RSS on one file. */
export interface LoaderMemoryPoint {
  id: string;
  label: string;
  file: string;
  bytes: number;
  rows: number;
  /** Highest peak RSS over the runs, each a fresh process. */
  peakRssMb: number;
  /** Fastest run. */
  seconds: number;
}

/** Peak RSS of the loader's parse-only path against the size of its input. */
export interface LoaderMemoryResult {
  /** Events the loader buffers between writes (its default, as `npm run load` runs). */
  bufferEvents: number;
  runs: number;
  /** Peak RSS of a process that only loads the loader's modules (Node, tsx, the code). */
  baselineRssMb: number;
  points: LoaderMemoryPoint[];
}

/**
 * Runs the loader's parse-only path (bench/load-child.ts: `loadEvents` with its default buffer over
 * a store without I/O, so DynamoDB's speed does not stretch the run) on each file in fresh processes
 * and records its peak RSS: memory that follows the input would show as a growing peak.
 */
export async function benchmarkLoaderMemory(options: {
  specs: DatasetSpec[];
  runs: number;
  dataDir: string;
  scratchDir: string;
  log: (line: string) => void;
}): Promise<LoaderMemoryResult> {
  const { specs, runs, dataDir, scratchDir, log } = options;
  const baseline = await runJson<LoadChildResult>('bench/load-child.ts', ['baseline'], LOADER_NODE_ARGS);
  const points: LoaderMemoryPoint[] = [];
  for (const spec of specs) {
    const prepared = await prepareDataset(spec, dataDir, scratchDir, log);
    const results: LoadChildResult[] = [];
    for (let i = 0; i < runs; i++) {
      results.push(
        await runJson<LoadChildResult>(
          'bench/load-child.ts',
          ['parse-only', prepared.file],
          LOADER_NODE_ARGS,
        ),
      );
    }
    const point: LoaderMemoryPoint = {
      id: spec.id,
      label: spec.label,
      file: prepared.displayPath,
      bytes: statSync(prepared.file).size,
      rows: results[0]?.rows ?? 0,
      peakRssMb: Math.max(...results.map((result) => result.peakRssMb)),
      seconds: Math.min(...results.map((result) => result.seconds)),
    };
    log(
      `  ${spec.id}: peak RSS ${Math.round(point.peakRssMb)} MB (${(point.bytes / 1e6).toFixed(1)} MB file)`,
    );
    points.push(point);
  }
  return { bufferEvents: DEFAULT_BUFFER_EVENTS, runs, baselineRssMb: baseline.peakRssMb, points };
}
