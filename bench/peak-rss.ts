import { readFileSync } from 'node:fs';

/**
 * This process's own peak resident set size in MiB. On Linux `process.resourceUsage().maxRSS`
 * (`ru_maxrss`) survives fork and exec, so a child of the bench process, which holds DuckDB's
 * in-memory tables by then, would report the bench's size; the kernel's high-water mark of the
 * process's own memory (`VmHWM` in /proc/self/status) starts afresh at exec. Elsewhere, maxRSS.
 */
export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: no /proc.
  }
  return process.resourceUsage().maxRSS / 1024;
}
