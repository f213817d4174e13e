import type { LoadSummary } from './load-events';

/** Formats the one-line summary printed at the end of a load. */
export function formatSummary(s: LoadSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.rows / s.seconds) : s.rows;
  const outcome = s.alreadyLoaded ? 'already loaded, nothing written' : `items written ${s.itemsWritten}`;
  return (
    `rows ${s.rows}, accepted ${s.accepted}, duplicates ${s.duplicates}, rejected ${s.rejected}` +
    `${s.headers > 0 ? `, header ${s.headers}` : ''}, ${outcome}, ${s.seconds.toFixed(1)} s (${rate} rows/s)`
  );
}
