// @ts-check
/*
 * Loaded with `--require` into a child process the benchmark starts (the command of `npm run
 * load`): on exit it appends the process's peak resident set size in KiB to the file named by
 * BENCH_RSS_FILE. Plain JavaScript, so it loads into any Node command, with or without tsx. The
 * peak is the process's own, as bench/peak-rss.ts reads it: Linux's `VmHWM`, since `ru_maxrss`
 * would carry the bench process's size over fork and exec.
 */
const { appendFileSync, readFileSync } = require('node:fs');

/** @returns {number} */
function peakRssKib() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]);
  } catch {
    // Not Linux: no /proc.
  }
  return process.resourceUsage().maxRSS;
}

const target = process.env.BENCH_RSS_FILE;
if (target !== undefined) {
  process.on('exit', () => appendFileSync(target, `${peakRssKib()}\n`));
}
