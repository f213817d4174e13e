import { EXIT_FAILURE, EXIT_USAGE } from '../core/cli-options';
import {
  CustomerNotFoundError,
  errorMessage,
  InvalidParameterError,
  TableNotFoundError,
} from '../core/errors';
import type { CustomerListBody, EventCountsBody } from '../lambda/response-bodies';

/** The message and exit code for an error of a reading CLI; option names replace API parameter names. */
export function describeCliError(
  error: unknown,
  where: string,
  flags: Record<string, string>,
): { message: string; exitCode: number } {
  if (error instanceof InvalidParameterError) {
    const flag = flags[error.parameter];
    return { message: `${error.message}${flag === undefined ? '' : ` (${flag})`}`, exitCode: EXIT_USAGE };
  }
  if (error instanceof CustomerNotFoundError) return { message: error.message, exitCode: EXIT_FAILURE };
  if (error instanceof TableNotFoundError) {
    return {
      message: `${where} does not exist; load events first: npm run load -- data/events.csv`,
      exitCode: EXIT_FAILURE,
    };
  }
  return { message: `could not read ${where}: ${errorMessage(error)}`, exitCode: EXIT_FAILURE };
}

/** `2021-03-01T04:00:00.000Z` as `2021-03-01 04:00`, with seconds and milliseconds only when set. */
export function formatUtc(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/(:00)?\.000Z$/, '')
    .replace(/Z$/, '');
}

/** Lays out rows in columns two spaces apart; the columns listed in `right` are right-aligned. */
export function formatColumns(rows: readonly string[][], right: readonly number[] = []): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const WINDOW_MS: Record<string, number> = { hour: 3_600_000, day: 86_400_000 };

/** True when a bucket covers less than its whole hour or day (never for `none`). */
function isPartial(bucket: { starting_at: string; ending_before: string }, windowSize: string): boolean {
  const size = WINDOW_MS[windowSize];
  return size !== undefined && Date.parse(bucket.ending_before) - Date.parse(bucket.starting_at) < size;
}

function heading(body: EventCountsBody): string {
  return (
    `${body.customer_id}, window ${body.window_size}, ` +
    `[${formatUtc(body.starting_at)}, ${formatUtc(body.ending_before)}) UTC`
  );
}

/** The event counts as a table of bucket start, end and count, with the total. */
export function formatCountsTable(body: EventCountsBody): string {
  const rows = body.buckets.map((bucket) => [
    formatUtc(bucket.starting_at),
    formatUtc(bucket.ending_before),
    String(bucket.count),
    isPartial(bucket, body.window_size) ? 'partial' : '',
  ]);
  const table = formatColumns(
    [['bucket start', 'bucket end', 'count', ''], ...rows, ['total', '', String(body.total), '']],
    [2],
  );
  return `${heading(body)}\n${table}`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar `units` wide, in eighths of a character. */
function bar(units: number): string {
  const eighths = Math.round(units * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '');
}

/** The event counts as horizontal bars scaled to `width` characters in all, with the total. */
export function formatCountsChart(body: EventCountsBody, width: number): string {
  const labels = body.buckets.map((bucket) => formatUtc(bucket.starting_at));
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const countWidth = Math.max(...body.buckets.map((bucket) => String(bucket.count).length));
  const barWidth = Math.max(10, width - labelWidth - countWidth - 14);
  const max = Math.max(1, ...body.buckets.map((bucket) => bucket.count));
  const lines = body.buckets.map((bucket, i) => {
    const drawn = bar((bucket.count / max) * barWidth).padEnd(barWidth);
    const note = isPartial(bucket, body.window_size) ? ' partial' : '';
    return `${(labels[i] ?? '').padEnd(labelWidth)}  ${drawn}  ${String(bucket.count).padStart(countWidth)}${note}`;
  });
  return `${heading(body)}\n${lines.join('\n')}\n${'total'.padEnd(labelWidth)}  ${body.total}`;
}

/** The customers as a table of id, first and last event and events, with a one-line summary. */
export function formatCustomersTable(customers: CustomerListBody['customers']): string {
  const total = customers.reduce((sum, customer) => sum + customer.total_events, 0);
  const rows = customers.map((customer) => [
    customer.customer_id,
    formatUtc(customer.first_event_at),
    formatUtc(customer.last_event_at),
    String(customer.total_events),
  ]);
  const table = formatColumns(
    [['customer_id', 'first event (UTC)', 'last event (UTC)', 'events'], ...rows],
    [3],
  );
  return `${table}\n${customers.length} customer${customers.length === 1 ? '' : 's'}, ${total} events`;
}
