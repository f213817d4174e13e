import type { LoadProgress } from './load-events';

/** The part of a terminal stream the progress display needs. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** Size of the input in bytes when known (a file): enables the bar and ETA while reading. */
  totalBytes?: number;
  now?: () => number;
  /** Redraw at most this often. */
  intervalMs?: number;
}

/** Updates a progress line; `finish` clears it so only the summary remains. */
export interface ProgressReporter {
  update(progress: LoadProgress): void;
  finish(): void;
}

const BAR_WIDTH = 20;
const CLEAR_LINE = '\r\x1b[2K';
/** Rates and ETA wait for this much history: the first moments of a phase say little. */
const SETTLE_SECONDS = 1;

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const mmss = `${String(minutes % 60).padStart(hours > 0 ? 2 : 1, '0')}:${String(whole % 60).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

const megabytes = (bytes: number) => (bytes / 1_000_000).toFixed(bytes < 100_000_000 ? 1 : 0);
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
const rate = (value: number) => (value < 10 ? value.toFixed(1) : thousands(value));

/** `, 1,234 rows/s, ETA m:ss` once the phase has run long enough to tell; ETA only when the total is known. */
function pace(done: number, unit: string, elapsedSeconds: number, fraction?: number): string {
  if (elapsedSeconds < SETTLE_SECONDS) return '';
  const speed = `, ${rate(done / elapsedSeconds)} ${unit}/s`;
  if (fraction === undefined || fraction <= 0 || fraction >= 1) return speed;
  return `${speed}, ETA ${duration((elapsedSeconds * (1 - fraction)) / fraction)}`;
}

/**
 * The progress line for one state of a load, given the seconds since its phase began. Short
 * enough for an 80-column terminal: reading a file shows the bar, MB and rows/s; stdin, whose
 * size is unknown, shows MB and rows instead.
 */
export function formatProgress(progress: LoadProgress, elapsedSeconds: number, totalBytes?: number): string {
  if (progress.phase === 'reading') {
    if (totalBytes === undefined || totalBytes === 0) {
      return (
        `reading ${megabytes(progress.bytesRead)} MB, ${thousands(progress.rows)} rows` +
        pace(progress.rows, 'rows', elapsedSeconds)
      );
    }
    const fraction = progress.bytesRead / totalBytes;
    return (
      `reading ${bar(fraction)} ${megabytes(progress.bytesRead)}/${megabytes(totalBytes)} MB` +
      pace(progress.rows, 'rows', elapsedSeconds, fraction)
    );
  }
  const fraction = progress.hours === 0 ? 1 : progress.hoursDone / progress.hours;
  return (
    `writing ${bar(fraction)} ${progress.hoursDone}/${progress.hours} hours` +
    pace(progress.hoursDone, 'hours', elapsedSeconds, fraction)
  );
}

/**
 * A one-line progress display on a terminal: bytes, rows/s and ETA while reading, hours,
 * hours/s and ETA while writing (each time the buffer is written). When the stream is not a terminal it does nothing at all, so
 * logs and pipes get only the summary.
 */
export function createProgressReporter({
  stream,
  totalBytes,
  now = () => performance.now(),
  intervalMs = 100,
}: ProgressOptions): ProgressReporter {
  if (stream.isTTY !== true) return { update() {}, finish() {} };
  let phase: LoadProgress['phase'] | undefined;
  let phaseStartedAt = now();
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(progress) {
      const at = now();
      if (progress.phase !== phase) {
        phase = progress.phase;
        phaseStartedAt = at;
        drawnAt = Number.NEGATIVE_INFINITY;
      }
      if (at - drawnAt < intervalMs) return;
      drawnAt = at;
      const line = formatProgress(progress, (at - phaseStartedAt) / 1000, totalBytes);
      // Some terminals report 0 columns; assume the classic 80 then.
      const width = (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1;
      stream.write(`${CLEAR_LINE}${line.length > width ? line.slice(0, width) : line}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
