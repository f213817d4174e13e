import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A smaller events file for tests that need realistic data but not all of it. */
export interface SampleFile {
  path: string;
  remove(): void;
}

/**
 * Every row of the small customers of `source` and one row in 25 of the busiest one
 * (b4f9279a…): all seven customers and all 72 hours in about 9,400 rows instead of 147,370.
 * Lines without their line ends, in the order of `source`.
 */
export function sampleLines(source = 'data/events.csv'): string[] {
  return readFileSync(source, 'utf8')
    .split('\n')
    .filter((line, i) => line !== '' && (i % 25 === 0 || !line.startsWith('b4f9279a')));
}

/** Writes `sampleLines(source)` to a file of its own (LF line ends, none after the last line). */
export function writeSample(source = 'data/events.csv'): SampleFile {
  const dir = mkdtempSync(join(tmpdir(), 'event-counts-sample-'));
  const path = join(dir, 'sample.csv');
  writeFileSync(path, sampleLines(source).join('\n'));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
