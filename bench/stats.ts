/** Latency percentiles of one timed series, in milliseconds. */
export interface LatencySummary {
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** The value below which `fraction` of the sorted samples lie (nearest-rank method). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new Error('percentile of an empty series');
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Median of a series (nearest rank), for repeated whole-process measurements. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Summarises latency samples in milliseconds. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    requests: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    p99Ms: round(percentile(sorted, 0.99)),
    meanMs: round(sum / sorted.length),
    maxMs: round(sorted.at(-1) as number),
  };
}

/**
 * Times `requests` sequential calls after `warmup` untimed ones. Call `i` gets its index so a
 * series can cycle through request variants; `check` runs outside the timed window.
 */
export async function timeSeries<T>(
  { warmup, requests }: { warmup: number; requests: number },
  call: (i: number) => Promise<T>,
  check: (result: T, i: number) => void,
): Promise<LatencySummary> {
  for (let i = 0; i < warmup; i++) check(await call(i), i);
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const result = await call(i);
    samples.push(performance.now() - started);
    check(result, i);
  }
  return summarize(samples);
}

/** A small deterministic pseudo-random generator (mulberry32), so runs ask the same questions. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
