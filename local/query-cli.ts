import { parseArgs } from 'node:util';
import {
  EXIT_SUCCESS,
  EXIT_USAGE,
  printCliError,
  quietSdkNodeVersionNotice,
  resolveTarget,
  TARGET_OPTIONS,
  targetOptionsHelp,
} from '../core/cli-options';
import { API_CLIENT_SETTINGS, createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { eventCountsBody } from '../lambda/response-bodies';
import { describeCliError, formatCountsChart, formatCountsTable } from './cli-support';

const HELP = `Usage: npm run query -- <customer_id> [options]

Prints the events of one customer in each hour, UTC day or the whole range, counted exactly as the
API counts them: the range is [starting_at, ending_before), partial edge buckets are marked.

Options:
  --starting-at A      first instant counted (default: the hour of the customer's first event)
  --ending-before B    first instant not counted (default: the end of the hour of its last event)
  --window-size W      hour (default), day, or none for one bucket over the whole range
  --json               print exactly the body of the API's answer
  --chart              draw the buckets as horizontal bars
${targetOptionsHelp(23)}
  -h, --help           show this help

Times: ISO-8601 such as 2021-03-01T04:00:00Z, 2021-03-01 06:30+01:00 or a bare date 2021-03-02 (UTC).

Examples:
  npm run query -- b4f9279a0196e40632e947dd1a88e857 --starting-at 2021-03-01T04:00Z --ending-before 2021-03-01T06:30Z
  npm run query -- b4f9279a0196e40632e947dd1a88e857 --window-size day --chart
  npm run query -- b4f9279a0196e40632e947dd1a88e857 --window-size none --json --endpoint http://localhost:8000

Exit codes: 0 answered, 1 no answer (no events to default a bound to, DynamoDB failed), 2 bad usage.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  'starting-at': { type: 'string' },
  'ending-before': { type: 'string' },
  'window-size': { type: 'string' },
  json: { type: 'boolean' },
  chart: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLAGS: Record<string, string> = {
  starting_at: '--starting-at',
  ending_before: '--ending-before',
  window_size: '--window-size',
  customer_id: 'the <customer_id> argument',
};

function usageError(error: unknown): number {
  printCliError(error, 'Run npm run query -- --help for the options.');
  return EXIT_USAGE;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return usageError(error);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return EXIT_SUCCESS;
  }
  const [customerId, ...extra] = positionals;
  if (customerId === undefined || extra.length > 0) {
    return usageError(`expected exactly one customer_id, received ${positionals.length} arguments`);
  }
  if (values.json && values.chart) return usageError('choose one of --json and --chart');
  const { endpoint, region, tableName, where } = resolveTarget(values, process.env);
  const store = createCounterStore({
    client: createDynamoDbClient({ endpoint, region, ...API_CLIENT_SETTINGS }),
    tableName,
  });
  try {
    const body = await eventCountsBody(store, customerId, {
      starting_at: values['starting-at'],
      ending_before: values['ending-before'],
      window_size: values['window-size'],
    });
    if (values.json) console.log(JSON.stringify(body));
    else if (values.chart) console.log(formatCountsChart(body, process.stdout.columns ?? 80));
    else console.log(formatCountsTable(body));
    return EXIT_SUCCESS;
  } catch (error) {
    const { message, exitCode } = describeCliError(error, where, FLAGS);
    printCliError(message);
    return exitCode;
  }
}

quietSdkNodeVersionNotice();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
