import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  openSync,
  readSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import {
  EXIT_FAILURE,
  EXIT_SUCCESS,
  EXIT_USAGE,
  printCliError,
  resolveTarget,
  TARGET_OPTIONS,
  targetOptionsHelp,
} from '../core/cli-options';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { errorMessage } from '../core/errors';
import { DEFAULT_RETRY_POLICY } from '../core/retry';
import {
  ChunkWriteError,
  DEFAULT_CONCURRENCY,
  InputReadError,
  type LoadSummary,
  loadEvents,
  type RejectedRow,
  TooManyRejectsError,
} from './load-events';
import { createProgressReporter } from './progress';
import { formatRowCounts, formatSummary, formatWriteFailure, summaryJson } from './summary';

const EXIT = { loaded: EXIT_SUCCESS, failed: EXIT_FAILURE, usage: EXIT_USAGE, tooManyRejects: 3 } as const;
const REJECTS_HEADER = 'line,reason,raw';
/**
 * Rows of the data set take about 104 bytes; guessing from 150 sizes the transaction_id table of a
 * plain file without growing it and rarely oversizes it (a gzip file simply grows it).
 */
const BYTES_PER_ROW_GUESS = 150;
/** A hung connection must not hang the load: such a request is abandoned and retried. */
const REQUEST_TIMEOUT_MS = 30_000;

const HELP = `Usage: npm run load -- <file|-> [options]

Loads a CSV of events (customer_id,event_type,transaction_id,timestamp; plain or gzip, detected by
its first bytes; - reads stdin) into the hourly counters, exactly once: loading the same content
again changes nothing, and re-running after a failure or a kill resumes where the load stopped.

Options:
${targetOptionsHelp(26)}
  --rejects PATH          where rejected rows go, as CSV line,reason,raw (default: <file>.rejects.csv,
                          stdin: rejects.csv)
  --max-rejects N         stop before writing anything when more than N rows are rejected
                          (default: no limit)
  --concurrency N         transactions in flight at once (default: ${DEFAULT_CONCURRENCY})
  --max-retry-seconds S   how long one transaction is retried on throttling, 5xx or network
                          errors before the load stops (default: ${DEFAULT_RETRY_POLICY.maxElapsedMs / 1000})
  --json                  print the summary as one JSON object
  -h, --help              show this help

Examples:
  npm run load -- data/events.csv --endpoint http://localhost:8000
  npm run load -- events.csv.gz --max-rejects 0 --json
  gunzip -c events.csv.gz | npm run load -- - --table EventCounts --region eu-west-1

Exit codes:
  0  loaded, or already loaded
  1  failed (input unreadable, or DynamoDB failed after retries): re-run the same command to resume
  2  bad usage
  3  more rows rejected than --max-rejects allows: nothing was written`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  rejects: { type: 'string' },
  'max-rejects': { type: 'string' },
  concurrency: { type: 'string' },
  'max-retry-seconds': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function integerOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number) || number < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}; received ${JSON.stringify(value)}`);
  }
  return number;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes rejected rows to `path`, creating it (with its header) at the first one. */
function createRejectsWriter(path: string) {
  let out: WriteStream | undefined;
  let failure: Error | undefined;
  return {
    async write(row: RejectedRow): Promise<void> {
      if (failure !== undefined) throw failure;
      if (out === undefined) {
        out = createWriteStream(path).on('error', (error) => {
          failure = new Error(`cannot write the rejects file ${path}: ${error.message}`);
        });
        out.write(`${REJECTS_HEADER}\n`);
      }
      if (!out.write(`${row.line},${csvField(row.reason)},${csvField(row.raw)}\n`)) await once(out, 'drain');
    },
    /** Flushes the file; without rejects, removes a rejects file an earlier run left at `path`. */
    async close(): Promise<void> {
      if (out !== undefined) {
        out.end();
        await finished(out);
      } else if (startsWithRejectsHeader(path)) {
        rmSync(path);
      }
      if (failure !== undefined) throw failure;
    },
  };
}

function startsWithRejectsHeader(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(REJECTS_HEADER.length + 1);
    const length = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, length).toString() === `${REJECTS_HEADER}\n`;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  let maxRejects: number | undefined;
  let concurrency: number;
  let maxRetrySeconds: number;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    maxRejects = integerOption('max-rejects', parsed.values['max-rejects'], 0);
    concurrency = integerOption('concurrency', parsed.values.concurrency, 1) ?? DEFAULT_CONCURRENCY;
    maxRetrySeconds =
      integerOption('max-retry-seconds', parsed.values['max-retry-seconds'], 0) ??
      DEFAULT_RETRY_POLICY.maxElapsedMs / 1000;
  } catch (error) {
    printCliError(error, `\n${HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return EXIT.loaded;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    printCliError(
      `expected exactly one input file (or - for stdin), received ${positionals.length}`,
      `\n${HELP}`,
    );
    return EXIT.usage;
  }
  let totalBytes: number | undefined;
  if (file !== '-') {
    try {
      totalBytes = statSync(file).size;
    } catch {
      printCliError(`input file ${JSON.stringify(file)} does not exist`);
      return EXIT.usage;
    }
  }
  const { endpoint, region, tableName } = resolveTarget(values, process.env);
  const store = createCounterStore({
    // The store retries each call itself (core/retry.ts: full jitter, bounded by time); the SDK's
    // own retries stay off so that the two layers do not multiply.
    client: createDynamoDbClient({ endpoint, region, maxAttempts: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS }),
    tableName,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, maxElapsedMs: maxRetrySeconds * 1000 },
  });
  const json = values.json === true;
  const rejectsPath = values.rejects ?? (file === '-' ? 'rejects.csv' : `${file}.rejects.csv`);
  const rejects = createRejectsWriter(rejectsPath);
  const progress = createProgressReporter({ stream: process.stderr, totalBytes });
  const fail = (code: number, message: string, details: Record<string, unknown>) => {
    progress.finish();
    console.error(message);
    if (json) {
      const status = code === EXIT.tooManyRejects ? 'too-many-rejects' : 'failed';
      console.log(JSON.stringify({ status, ...details }));
    }
    return code;
  };

  let summary: LoadSummary;
  try {
    if (endpoint !== undefined) await store.ensureTable();
    summary = await loadEvents({
      store,
      input: file === '-' ? process.stdin : createReadStream(file),
      source: file,
      onReject: (row) => rejects.write(row),
      concurrency,
      maxRejects,
      expectedRows: totalBytes === undefined ? undefined : Math.floor(totalBytes / BYTES_PER_ROW_GUESS),
      onProgress: (state) => progress.update(state),
    });
    await rejects.close();
  } catch (error) {
    await rejects.close().catch(() => {});
    const message = errorMessage(error);
    if (error instanceof TooManyRejectsError) {
      return fail(
        EXIT.tooManyRejects,
        `error: ${message}\n${formatRowCounts(error.counts)} so far; rejected rows are listed in ${rejectsPath}`,
        { error: message, ...error.counts, maxRejects: error.maxRejects, rejectsFile: rejectsPath },
      );
    }
    if (error instanceof ChunkWriteError) {
      const { chunks, chunksApplied, chunksSkipped } = error;
      return fail(EXIT.failed, formatWriteFailure(error), {
        error: message,
        chunks,
        chunksApplied,
        chunksSkipped,
      });
    }
    const hint =
      error instanceof InputReadError
        ? ''
        : '\nNothing is counted twice: re-run the same command to resume the load.';
    return fail(EXIT.failed, `error: ${message}${hint}`, { error: message });
  }
  progress.finish();
  console.log(json ? summaryJson(summary, rejectsPath) : formatSummary(summary, rejectsPath));
  return EXIT.loaded;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printCliError(error, 'Nothing is counted twice: re-run the same command to resume the load.');
    process.exitCode = EXIT.failed;
  },
);
