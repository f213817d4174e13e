import type { LoadSummary, RowCounts } from './load-events';

/**
 * Formats the one-line summary printed at the end of a load. It starts with the row invariant,
 * `rows N = accepted + duplicates + rejected + header`, so the numbers can be checked by eye.
 */
export function formatSummary(s: LoadSummary, rejectsFile?: string): string {
  const rate = s.seconds > 0 ? Math.round(s.rows / s.seconds) : s.rows;
  const parts = [formatRowCounts(s)];
  parts.push(
    s.accepted === 0
      ? 'nothing new to count, nothing written'
      : `items written ${s.itemsWritten} in ${s.transactions} transactions`,
  );
  if (rejectsFile !== undefined && s.rejected + s.conflicts > 0) parts.push(`rejects in ${rejectsFile}`);
  parts.push(`${s.seconds.toFixed(1)} s (${rate} rows/s)`);
  return parts.join('; ');
}

/**
 * `rows 10 = accepted 7 + duplicates 1 + rejected 1 + header 1`, plus how many duplicates were
 * counted by earlier loads, conflicts, rows not written when a load stopped, and blank lines when any.
 */
export function formatRowCounts(c: RowCounts): string {
  const notes = [
    ...(c.alreadyCounted > 0 ? [`${c.alreadyCounted} counted by earlier loads`] : []),
    ...(c.conflicts > 0 ? [`${c.conflicts} conflicting`] : []),
  ];
  const duplicates = notes.length > 0 ? `${c.duplicates} (${notes.join(', ')})` : String(c.duplicates);
  const pending = c.pending > 0 ? ` + not written ${c.pending}` : '';
  const blank = c.blankLines > 0 ? `; blank lines ${c.blankLines} skipped` : '';
  return (
    `rows ${c.rows} = accepted ${c.accepted} + duplicates ${duplicates} + ` +
    `rejected ${c.rejected} + header ${c.headers}${pending}${blank}`
  );
}

/** The summary as one JSON object for scripts (`--json`). */
export function summaryJson(s: LoadSummary, rejectsFile?: string): string {
  const listed = s.rejected + s.conflicts > 0 ? rejectsFile : undefined;
  return JSON.stringify({
    status: 'loaded',
    ...s,
    seconds: Number(s.seconds.toFixed(3)),
    rowsPerSecond: s.seconds > 0 ? Math.round(s.rows / s.seconds) : s.rows,
    rejectsFile: listed ?? null,
  });
}

/**
 * What to tell a user whose load stopped while writing: how far it got, and that the same command
 * finishes it without counting anything twice.
 */
export function formatWriteFailure(failure: { message: string; counts: RowCounts }): string {
  return (
    `error: ${failure.message}\n` +
    `${failure.counts.accepted} events were counted before it stopped. Nothing is counted twice: ` +
    're-run the same command to finish the load.'
  );
}
