import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runJson } from './processes';

/** Where the loader spends its CPU time without I/O, from a V8 CPU profile of its parse-only path. */
export interface LoaderProfile {
  dataset: string;
  /** Sampled CPU time of the call, idle excluded. */
  busyMs: number;
  hotSpots: { function: string; location: string; selfMs: number; share: number }[];
}

/** The parts of a V8 CPU profile (`Profiler.stop`) the summaries read. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

// The file only: tsx compiles each TypeScript module to a few lines, so V8's line numbers say nothing.
function shortLocation(url: string): string {
  const path = url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}/`, '')
    .replace(/^.*node_modules\//, '');
  return path === '' ? '(native)' : path;
}

/** Self time per function of one profile; idle time left out. */
export function selfTimes(
  profile: CpuProfile,
): Map<string, { function: string; location: string; selfMs: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const times = new Map<string, { function: string; location: string; selfMs: number }>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    if (frame === undefined || frame.functionName === '(idle)') return;
    const location = shortLocation(frame.url);
    const key = `${frame.functionName}@${location}`;
    const entry = times.get(key) ?? { function: frame.functionName || '(anonymous)', location, selfMs: 0 };
    entry.selfMs += (profile.timeDeltas[i] ?? 0) / 1000;
    times.set(key, entry);
  });
  return times;
}

/**
 * Profiles the loader's parse-only path (bench/load-child.ts `parse-only`: `loadEvents` over a store
 * without I/O) over a file in a child process and returns its top self-time functions.
 */
export async function profileLoader(
  dataset: string,
  file: string,
  scratchDir: string,
): Promise<LoaderProfile> {
  const path = join(scratchDir, `cpu-profile-${dataset}.cpuprofile`);
  await runJson('bench/load-child.ts', ['parse-only', file, path]);
  const times = [...selfTimes(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile).values()];
  const busyMs = times.reduce((sum, entry) => sum + entry.selfMs, 0);
  return {
    dataset,
    busyMs: Math.round(busyMs),
    hotSpots: times
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 12)
      .map((entry) => ({
        ...entry,
        selfMs: Math.round(entry.selfMs),
        share: Math.round((entry.selfMs / busyMs) * 1000) / 10,
      })),
  };
}
