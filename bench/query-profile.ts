import { Session } from 'node:inspector/promises';
import { type CpuProfile, selfTimes } from './loader-profile';
import type { Engine } from './query-bench';
import type { QueryRequest } from './query-shapes';

/**
 * Where the requests of one series spend their time in the bench's process: the handler, the AWS
 * SDK and the JSON body are CPU here; DynamoDB Local is another process (a JVM), so time waiting
 * for it is the part of the wall time no function of this process accounts for.
 */
export interface QueryProfile {
  id: string;
  label: string;
  requests: number;
  /** Wall time of the profiled requests. */
  wallMs: number;
  /** CPU samples in this process during them, idle excluded. */
  busyMs: number;
  hotSpots: { function: string; location: string; selfMs: number; share: number }[];
}

/**
 * Runs `requests` once each through `engine` under the V8 sampling profiler of this process (so
 * not timed with the latency series: sampling slows the process a little) and keeps the top
 * functions by self time, each with its share of the wall time.
 */
export async function profileRequests(
  id: string,
  label: string,
  engine: Engine,
  requests: readonly QueryRequest[],
): Promise<QueryProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
    const started = performance.now();
    for (const request of requests) await engine.answer(request);
    const wallMs = performance.now() - started;
    const { profile } = await session.post('Profiler.stop');
    // The inspector's own `dispatch` of the start and stop messages is the profiler's work, not the requests'.
    const times = [...selfTimes(profile as CpuProfile).values()].filter(
      (entry) => !(entry.function === 'dispatch' && entry.location === '(native)'),
    );
    const busyMs = times.reduce((sum, entry) => sum + entry.selfMs, 0);
    return {
      id,
      label,
      requests: requests.length,
      wallMs: Math.round(wallMs),
      busyMs: Math.round(busyMs),
      hotSpots: times
        .sort((a, b) => b.selfMs - a.selfMs)
        .slice(0, 10)
        .map((entry) => ({
          ...entry,
          selfMs: Math.round(entry.selfMs),
          share: Math.round((entry.selfMs / wallMs) * 1000) / 10,
        })),
    };
  } finally {
    session.disconnect();
  }
}
