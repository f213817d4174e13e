import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDynamoDbClient, DEFAULT_TABLE_NAME, optionalEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { loadEvents, type RejectedRow } from './load-events';
import { formatSummary } from './summary';

const HELP = `Usage: npm run load -- <file|-> [options]

Loads a CSV of events (customer_id,event_type,transaction_id,timestamp; no header line; plain or
gzip) into the hourly counters, exactly once: loading the same content again changes nothing.

Options:
  --endpoint URL   DynamoDB endpoint, e.g. http://localhost:8000 (default: $DYNAMODB_ENDPOINT,
                   else AWS with the default credential chain)
  --table NAME     table name (default: $TABLE_NAME, else ${DEFAULT_TABLE_NAME})
  --region R       AWS region (default: $AWS_REGION)
  --rejects PATH   where rejected rows go (default: <file>.rejects.csv, stdin: rejects.csv)
  -h, --help       show this help

Examples:
  npm run load -- data/events.csv --endpoint http://localhost:8000
  gunzip -c events.csv.gz | npm run load -- - --table EventCounts --region eu-west-1

Exit codes: 0 loaded (or already loaded), 1 load failed (re-run the same command to resume), 2 bad usage.`;

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const OPTIONS = {
  endpoint: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  rejects: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    console.error(
      `error: expected exactly one input file (or - for stdin), received ${positionals.length}\n\n${HELP}`,
    );
    return 2;
  }
  if (file !== '-' && !existsSync(file)) {
    console.error(`error: input file ${JSON.stringify(file)} does not exist`);
    return 2;
  }
  const endpoint = values.endpoint ?? optionalEnv('DYNAMODB_ENDPOINT');
  const region = values.region ?? optionalEnv('AWS_REGION');
  const store = createCounterStore({
    client: createDynamoDbClient({ endpoint, region }),
    tableName: values.table ?? optionalEnv('TABLE_NAME') ?? DEFAULT_TABLE_NAME,
  });
  if (endpoint !== undefined) await store.ensureTable();

  const rejectsPath = values.rejects ?? (file === '-' ? 'rejects.csv' : `${file}.rejects.csv`);
  let rejects: WriteStream | undefined;
  const onReject = (row: RejectedRow) => {
    rejects ??= createWriteStream(rejectsPath).on('error', (error) => {
      console.error(`error: cannot write rejects file ${rejectsPath}: ${error.message}`);
    });
    rejects.write(`${row.line},${csvField(row.reason)},${csvField(row.raw)}\n`);
  };
  const input = file === '-' ? process.stdin : createReadStream(file);
  const summary = await loadEvents({ store, input, source: file, onReject });
  if (rejects !== undefined) {
    rejects.end();
    console.error(`${summary.rejected + summary.conflicts} rows listed in ${rejectsPath}`);
  }
  console.log(formatSummary(summary));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message}\nNothing is counted twice: re-run the same command to resume the load.`);
    process.exitCode = 1;
  },
);
