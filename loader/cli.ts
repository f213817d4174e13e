import { createReadStream, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  EXIT_FAILURE,
  EXIT_SUCCESS,
  EXIT_USAGE,
  printCliError,
  quietSdkNodeVersionNotice,
  resolveTarget,
  TARGET_OPTIONS,
  targetOptionsHelp,
} from '../core/cli-options';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { errorMessage, StoreUnavailableError, WriteConflictError } from '../core/errors';
import { DEFAULT_RETRY_POLICY } from '../core/retry';
import {
  DEFAULT_BUFFER_EVENTS,
  DEFAULT_CONCURRENCY,
  type LoadSummary,
  LoadWriteError,
  loadEvents,
  NoEventsError,
  TooManyRejectsError,
} from './load-events';
import { createProgressReporter } from './progress';
import { createRejectsWriter, defaultRejectsPath, isSameFile } from './rejects-file';
import { formatRowCounts, formatSummary, formatWriteFailure, summaryJson } from './summary';

const EXIT = {
  loaded: EXIT_SUCCESS,
  failed: EXIT_FAILURE,
  usage: EXIT_USAGE,
  tooManyRejects: 3,
  noEvents: 4,
} as const;
/** A hung connection must not hang the load: such a request is abandoned and retried. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Retries of a transaction keep its client request token, which DynamoDB honours for 10 minutes:
 * within them, an attempt that committed unseen is answered as such rather than refused.
 */
const MAX_RETRY_SECONDS = 540;

/**
 * Threads that read rows while this one buffers and writes them. None by default: on the 2-core
 * machine measured, a parsing thread made a 3M-row load slower (8.1 s against 9.3 s, 9.2 s against
 * 11.9 s), as the thread reads rows no faster than this one and the two compete for the cores with
 * DynamoDB Local. Rows are taken in input order either way, so the result does not depend on it.
 */
const DEFAULT_PARSE_THREADS = 0;
const MAX_PARSE_THREADS = 16;

/** The buffer fits the 256 MB heap `npm run load` gives the loader (package.json). */
const MAX_BUFFER_EVENTS = 1_000_000;

const HELP = `Usage: npm run load -- <file|-> [options]

Loads a CSV of events (customer_id,event_type,transaction_id,timestamp; plain or gzip, detected by
its first bytes; - reads stdin) into the hourly counters. Each event is counted at most once, by
its transaction_id within its customer and hour, whatever loads came before: the same events
again (re-encoded, reordered, in overlapping or cumulative exports) add nothing, and re-running
a load that failed or was killed counts what is missing.

Options:
${targetOptionsHelp(26)}
  --rejects PATH          where rejected and conflicting rows go, as CSV line,reason,raw
                          (default: <file>.rejects.csv; stdin: rejects-<start time>-<pid>.csv)
  --max-rejects N         stop before writing anything when more than N rows are rejected
                          (default: no limit)
  --concurrency N         requests in flight at once (default: ${DEFAULT_CONCURRENCY})
  --buffer-events N       events held in memory between writes, about 70 bytes each
                          (default: ${DEFAULT_BUFFER_EVENTS}, at most ${MAX_BUFFER_EVENTS})
  --parse-threads N       worker threads that read and check rows while the main one buffers
                          and writes them (default: ${DEFAULT_PARSE_THREADS}, all in the main thread; at most ${MAX_PARSE_THREADS});
                          the result is the same, the speed depends on spare cores
  --max-retry-seconds S   how long one request is retried on throttling, conflicts, 5xx or
                          network errors before the load stops (default: ${DEFAULT_RETRY_POLICY.maxElapsedMs / 1000},
                          at most ${MAX_RETRY_SECONDS})
  --json                  print the summary as one JSON object
  -h, --help              show this help

Examples:
  npm run load -- data/events.csv --endpoint http://localhost:8000
  npm run load -- events.csv.gz --max-rejects 0 --json
  gunzip -c events.csv.gz | npm run load -- - --table EventCounts --region eu-west-1

Exit codes:
  0  loaded (also when every event was counted before)
  1  failed (input unreadable, table in an older layout, or DynamoDB failed after retries):
     re-run the same command to finish; nothing is counted twice
  2  bad usage
  3  more rows rejected than --max-rejects allows: nothing was written
  4  the input holds no acceptable row: nothing was written`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  rejects: { type: 'string' },
  'max-rejects': { type: 'string' },
  concurrency: { type: 'string' },
  'buffer-events': { type: 'string' },
  'parse-threads': { type: 'string' },
  'max-retry-seconds': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function integerOption(
  name: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}; received ${JSON.stringify(value)}`);
  }
  return number;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  let maxRejects: number | undefined;
  let concurrency: number;
  let bufferEvents: number;
  let parseThreads: number;
  let maxRetrySeconds: number;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    maxRejects = integerOption('max-rejects', parsed.values['max-rejects'], 0);
    concurrency = integerOption('concurrency', parsed.values.concurrency, 1) ?? DEFAULT_CONCURRENCY;
    bufferEvents =
      integerOption('buffer-events', parsed.values['buffer-events'], 1, MAX_BUFFER_EVENTS) ??
      DEFAULT_BUFFER_EVENTS;
    parseThreads =
      integerOption('parse-threads', parsed.values['parse-threads'], 0, MAX_PARSE_THREADS) ??
      DEFAULT_PARSE_THREADS;
    maxRetrySeconds =
      integerOption('max-retry-seconds', parsed.values['max-retry-seconds'], 0, MAX_RETRY_SECONDS) ??
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
  const rejectsPath = values.rejects ?? defaultRejectsPath(file, new Date(), process.pid);
  if (file !== '-' && isSameFile(rejectsPath, file)) {
    printCliError(
      `--rejects ${JSON.stringify(rejectsPath)} is the input file; name another file for the rejected rows`,
    );
    return EXIT.usage;
  }
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
    await store.checkFormat();
    summary = await loadEvents({
      store,
      input: file === '-' ? process.stdin : createReadStream(file),
      source: file,
      onReject: (row) => rejects.write(row),
      concurrency,
      bufferEvents,
      parseThreads,
      maxRejects,
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
    if (error instanceof LoadWriteError) {
      return fail(EXIT.failed, formatWriteFailure(error), { error: message, ...error.counts });
    }
    if (error instanceof NoEventsError) {
      return fail(EXIT.noEvents, `error: ${message}`, { error: message, ...error.counts });
    }
    // Only a passing failure of DynamoDB is worth the same command again; a wrong table, a table of
    // the first layout or an unreadable input say what to do in their own message.
    const transient = error instanceof StoreUnavailableError || error instanceof WriteConflictError;
    const hint = transient ? '\nNothing is counted twice: re-run the same command to finish the load.' : '';
    return fail(EXIT.failed, `error: ${message}${hint}`, { error: message });
  }
  progress.finish();
  console.log(json ? summaryJson(summary, rejectsPath) : formatSummary(summary, rejectsPath));
  return EXIT.loaded;
}

quietSdkNodeVersionNotice();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printCliError(error);
    process.exitCode = EXIT.failed;
  },
);
