// @ts-check
/*
 * Loaded with `--require` into a child process the benchmark starts (the command of `npm run
 * load`): on exit it appends the process's peak resident set size in KiB to the file named by
 * BENCH_RSS_FILE. Plain JavaScript, so it loads into any Node command, with or without tsx.
 */
const { appendFileSync } = require('node:fs');

const target = process.env.BENCH_RSS_FILE;
if (target !== undefined) {
  process.on('exit', () => appendFileSync(target, `${process.resourceUsage().maxRSS}\n`));
}
