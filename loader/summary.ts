import type { LoadSummary, RowCounts } from './load-events';

/**
 * Formats the one-line summary printed at the end of a load. It starts with the row invariant,
 * `rows N = accepted + duplicates + rejected + header`, so the numbers can be checked by eye.
 */
export function formatSummary(s: LoadSummary, rejectsFile?: string): string {
  const rate = s.seconds > 0 ? Math.round(s.rows / s.seconds) : s.rows;
  const parts = [formatRowCounts(s)];
  if (s.alreadyLoaded) {
    parts.push('already loaded, nothing written');
  } else {
    const earlier = s.chunksSkipped > 0 ? `, ${s.chunksSkipped} of them applied by an earlier run` : '';
    parts.push(`items written ${s.itemsWritten} in ${s.chunks} chunks${earlier}`);
  }
  if (rejectsFile !== undefined && s.rejected + s.conflicts > 0) parts.push(`rejects in ${rejectsFile}`);
  parts.push(`${s.seconds.toFixed(1)} s (${rate} rows/s)`);
  return parts.join('; ');
}

/** `rows 10 = accepted 7 + duplicates 1 + rejected 1 + header 1`, plus conflicts and blank lines when any. */
export function formatRowCounts(c: RowCounts): string {
  const conflicts = c.conflicts > 0 ? ` (${c.conflicts} conflicting)` : '';
  const blank = c.blankLines > 0 ? `; blank lines ${c.blankLines} skipped` : '';
  return (
    `rows ${c.rows} = accepted ${c.accepted} + duplicates ${c.duplicates}${conflicts} + ` +
    `rejected ${c.rejected} + header ${c.headers}${blank}`
  );
}

/** The summary as one JSON object for scripts (`--json`). */
export function summaryJson(s: LoadSummary, rejectsFile?: string): string {
  const listed = s.rejected + s.conflicts > 0 ? rejectsFile : undefined;
  return JSON.stringify({
    status: s.alreadyLoaded ? 'already-loaded' : 'loaded',
    ...s,
    readSeconds: Number(s.readSeconds.toFixed(3)),
    seconds: Number(s.seconds.toFixed(3)),
    rowsPerSecond: s.seconds > 0 ? Math.round(s.rows / s.seconds) : s.rows,
    rejectsFile: listed ?? null,
  });
}

/**
 * What to tell a user whose load stopped while writing: how far it got, and that the same command
 * resumes it without counting anything twice.
 */
export function formatWriteFailure(failure: {
  message: string;
  chunks: number;
  chunksApplied: number;
  chunksSkipped: number;
}): string {
  const applied = failure.chunksApplied + failure.chunksSkipped;
  const earlier = failure.chunksSkipped > 0 ? ` (${failure.chunksSkipped} of them by an earlier run)` : '';
  return (
    `error: ${failure.message}\n` +
    `${applied} of ${failure.chunks} chunks are applied${earlier}. Nothing is counted twice: ` +
    're-run the same command to resume the load.'
  );
}
