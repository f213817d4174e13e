import { appendFileSync } from 'node:fs';

/*
 * Loaded with `--import` into a child process the benchmark starts (the loader CLI): on exit it
 * appends the process's peak resident set size in KiB to the file named by BENCH_RSS_FILE.
 */
const target = process.env.BENCH_RSS_FILE;
if (target !== undefined) {
  process.on('exit', () => appendFileSync(target, `${process.resourceUsage().maxRSS}\n`));
}
